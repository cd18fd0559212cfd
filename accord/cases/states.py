"""The report-management (RM) and embargo (EM) state machines of process.md, as tables."""

from __future__ import annotations

from django.db import models

from accord.lib.errors import RuleViolation


class RM(models.TextChoices):
    START = "start", "Start"
    RECEIVED = "received", "Received"
    INVALID = "invalid", "Invalid"
    VALID = "valid", "Valid"
    DEFERRED = "deferred", "Deferred"
    ACCEPTED = "accepted", "Accepted"
    CLOSED = "closed", "Closed"


RM_TRANSITIONS: dict[str, dict[str, str]] = {
    "receive": {RM.START: RM.RECEIVED},
    "validate": {RM.RECEIVED: RM.VALID, RM.INVALID: RM.VALID},
    "invalidate": {RM.RECEIVED: RM.INVALID},
    "accept": {RM.VALID: RM.ACCEPTED, RM.DEFERRED: RM.ACCEPTED},
    "defer": {RM.VALID: RM.DEFERRED, RM.ACCEPTED: RM.DEFERRED},
    "close": {RM.ACCEPTED: RM.CLOSED, RM.DEFERRED: RM.CLOSED, RM.INVALID: RM.CLOSED},
}


_DONE = {
    "receive": "received",
    "validate": "validated",
    "invalidate": "invalidated",
    "accept": "accepted",
    "defer": "deferred",
    "close": "closed",
    "propose": "proposed",
    "reject": "rejected",
    "terminate": "terminated",
}


def rm_next(state: str, action: str) -> str:
    """The RM state after `action`, or RuleViolation naming the rule."""
    table = RM_TRANSITIONS[action]
    if state not in table:
        allowed = ", ".join(RM(s).label for s in table)
        raise RuleViolation(
            f"rm-{action}",
            f"A report in state {RM(state).label} cannot be {_DONE[action]} here; it must be {allowed}"
            + (
                " (a Valid report is accepted or deferred before it is closed)"
                if state == RM.VALID and action == "close"
                else ""
            ),
        )
    return table[state]


class EM(models.TextChoices):
    NONE = "none", "None"
    PROPOSED = "proposed", "Proposed"
    ACTIVE = "active", "Active"
    REVISE = "revise", "Revise"
    EXITED = "exited", "eXited"


EM_TRANSITIONS: dict[str, dict[str, str]] = {
    "propose": {EM.NONE: EM.PROPOSED, EM.PROPOSED: EM.PROPOSED, EM.ACTIVE: EM.REVISE, EM.REVISE: EM.REVISE},
    "accept": {EM.PROPOSED: EM.ACTIVE, EM.REVISE: EM.ACTIVE},
    "reject": {EM.PROPOSED: EM.NONE, EM.REVISE: EM.ACTIVE},
    "terminate": {EM.ACTIVE: EM.EXITED, EM.REVISE: EM.EXITED},
}


def em_next(state: str, action: str) -> str:
    table = EM_TRANSITIONS[action]
    if state not in table:
        allowed = ", ".join(EM(s).label for s in table)
        raise RuleViolation(
            f"em-{action}",
            f"An embargo in state {EM(state).label} cannot be {_DONE[action]}; it must be {allowed}",
        )
    return table[state]


class Fact(models.TextChoices):
    """The six case-state facts. V, F and D are per vendor; P, X and A are shared."""

    V = "V", "vendor aware"
    F = "F", "fix ready"
    D = "D", "fix deployed"
    P = "P", "public aware"
    X = "X", "exploit public"
    A = "A", "attacks observed"


SHARED_FACTS = (Fact.P, Fact.X, Fact.A)
VENDOR_FACTS = (Fact.V, Fact.F, Fact.D)

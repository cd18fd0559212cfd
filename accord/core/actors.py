"""Accord itself as an actor: the scheduler, imports and the mail gateway act as SYSTEM.

Work Accord does on its own is recorded as done by "Accord" (process.md "Who is the
coordinator"), never as a missing user: actions take `by=SYSTEM`, and the timeline and the
audit log store it as `by_system`. SYSTEM acts for the coordinator (it passes
`require_analyst`), but it is no person: it has no account, no email and no session.
"""

from __future__ import annotations

from typing import Any

SYSTEM_NAME = "Accord"


class SystemActor:
    pk = None
    id = None
    email = ""
    name = SYSTEM_NAME
    display_name = SYSTEM_NAME
    is_authenticated = False
    is_active = True
    is_analyst = False
    is_publisher = False
    is_coordinator_admin = False
    is_coordinator_staff = False

    def __repr__(self) -> str:
        return "<SYSTEM>"

    def __reduce__(self) -> str:
        return "SYSTEM"  # one instance, even through pickling


SYSTEM = SystemActor()


def is_system(actor: Any) -> bool:
    return isinstance(actor, SystemActor)


def person(actor: Any) -> Any:
    """The user behind `actor` for "done by" columns: None for Accord itself or nobody."""
    return None if is_system(actor) or not getattr(actor, "is_authenticated", False) else actor

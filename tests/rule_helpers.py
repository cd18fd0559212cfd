"""Helpers for the process-rule tests (test_*_rules.py, test_ids.py, test_vulnerabilities.py).

`assert_refused` proves the promise of process.md: a refused action names its rule, writes no
event and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import models
from django.forms.models import model_to_dict

from accord.cases.models import (
    AffectedProduct,
    Case,
    CaseEvent,
    FactReport,
    Participant,
    PolicyChange,
    Report,
    SsvcDecision,
    Vulnerability,
)
from accord.conversation.models import Message, Thread
from accord.lib.errors import InvalidInput, RuleViolation
from accord.mailgate.models import OutboundMessage

# Every table an action of accord.cases may write.
WATCHED: tuple[type[models.Model], ...] = (
    Report,
    Case,
    Participant,
    Vulnerability,
    AffectedProduct,
    FactReport,
    SsvcDecision,
    PolicyChange,
    CaseEvent,
    OutboundMessage,
    Thread,
    Message,
)


def snapshot(*rows: models.Model) -> dict[str, Any]:
    """Every row of every watched table, plus model_to_dict of the rows named (fresh from the DB)."""
    state: dict[str, Any] = {model.__name__: list(model.objects.order_by("pk").values()) for model in WATCHED}
    for index, row in enumerate(rows):
        fresh = type(row).objects.get(pk=row.pk)
        state[f"row{index}:{type(row).__name__}:{row.pk}"] = model_to_dict(fresh)
    return state


def assert_refused(
    call: Callable[[], Any], rule: str | type[InvalidInput], *rows: models.Model, field: str | None = None
) -> Exception:
    """Call `call`; it must be refused with RuleViolation `rule` (or InvalidInput, on `field` if
    given) and leave the event count, the rows named and every watched table unchanged."""
    events = CaseEvent.objects.count()
    before = snapshot(*rows)
    if rule is InvalidInput:
        with pytest.raises(InvalidInput) as caught:
            call()
        if field is not None:
            assert caught.value.field == field, caught.value
    else:
        with pytest.raises(RuleViolation) as caught:
            call()
        assert caught.value.rule == rule, f"refused with {caught.value.rule!r}, expected {rule!r}"
        assert f"(rule: {rule})" in caught.value.detail
    assert CaseEvent.objects.count() == events, "a refused action wrote an event"
    assert snapshot(*rows) == before, "a refused action changed something"
    return caught.value


def events_since(mark: int) -> list[CaseEvent]:
    """The events written after the CaseEvent with pk `mark` (0 for all), in order."""
    return list(CaseEvent.objects.filter(pk__gt=mark).order_by("pk"))


def last_event_pk() -> int:
    last = CaseEvent.objects.order_by("-pk").first()
    return last.pk if last else 0


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)

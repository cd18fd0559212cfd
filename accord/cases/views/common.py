"""Helpers shared by the case-area pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import HttpRequest

from accord.accounts.models import User
from accord.lib.errors import InvalidInput, RuleViolation

ANALYST_ROLES = (User.StaffRole.ANALYST, User.StaffRole.PUBLISHER, User.StaffRole.ADMIN)


def analysts_queryset() -> Any:
    return User.objects.filter(staff_role__in=ANALYST_ROLES, is_active=True).order_by("name", "email")


def refusal(exc: RuleViolation | InvalidInput) -> str:
    """The sentence shown to a person when an action refuses: the rule is named."""
    if isinstance(exc, RuleViolation):
        return f"Refused: {exc.message} (rule: {exc.rule})."
    return exc.message


def refuse(request: HttpRequest, exc: RuleViolation | InvalidInput) -> None:
    messages.error(request, refusal(exc))


def add_error(form: Any, exc: InvalidInput | RuleViolation) -> None:
    """Attach an action's refusal to the form field it names, or to the whole form."""
    field = getattr(exc, "field", None)
    form.add_error(field if field in form.fields else None, refusal(exc))


def parse_instant(value: Any) -> dt.datetime | None:
    """An RFC 3339 string from an event's data, as an aware datetime (None when it is not one)."""
    if not isinstance(value, str) or len(value) < 20 or value[4] != "-" or "T" not in value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None

"""The disclosure policy: environment defaults, admin overrides with history (process.md)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction

from accord.cases.models import PolicyChange
from accord.lib.errors import InvalidInput, RuleViolation

DEFAULT_PAGE = """\
# Disclosure policy

We coordinate the disclosure of vulnerabilities between the people who find them and the
vendors who fix them.

- We publish a vulnerability note **{disclosure_days} days** after our first attempt to contact
  the vendor, whether or not a fix is available.
- The date can be **negotiated**: a vendor or the reporter may propose another date with a
  reason, and we accept, reject or counter it.
- We publish **earlier** when there is evidence that the vulnerability is being exploited or
  has become public.
- Vendor statements are published word for word.
"""


@dataclass(frozen=True)
class PolicyKey:
    key: str
    label: str
    kind: type
    default: Any


def _keys() -> dict[str, PolicyKey]:
    return {
        "disclosure_days": PolicyKey("disclosure_days", "Days to publication", int, settings.DISCLOSURE_DAYS),
        "exit_embargo_on_attacks": PolicyKey(
            "exit_embargo_on_attacks",
            "End the embargo when attacks are confirmed",
            bool,
            settings.EXIT_EMBARGO_ON_ATTACKS,
        ),
        "draft_share_days": PolicyKey(
            "draft_share_days", "Days the draft is shared before", int, settings.DRAFT_SHARE_DAYS
        ),
        "page": PolicyKey("page", "Policy page (Markdown)", str, DEFAULT_PAGE),
    }


def _parse(key: PolicyKey, raw: str) -> Any:
    if key.kind is bool:
        return raw in ("1", "true", "True")
    if key.kind is int:
        return int(raw)
    return raw


def current(name: str, at: dt.datetime | None = None) -> Any:
    """The value in force now, or at the instant `at` (the newest change made by then)."""
    key = _keys()[name]
    changes = PolicyChange.objects.filter(key=name)
    if at is not None:
        changes = changes.filter(changed_at__lte=at)
    latest = changes.order_by("-changed_at", "-id").first()
    return key.default if latest is None else _parse(key, latest.value)


def snapshot() -> dict[str, Any]:
    return {name: current(name) for name in _keys()}


@transaction.atomic
def set_policy(name: str, value: Any, *, by: Any) -> PolicyChange:
    """An admin override. It applies to cases whose first contact comes after it."""
    if not getattr(by, "is_coordinator_admin", False):
        raise RuleViolation("admin-only", "Only an admin edits the disclosure policy")
    keys = _keys()
    if name not in keys:
        raise InvalidInput("key", f"Unknown policy setting {name!r}.")
    key = keys[name]
    if key.kind is int:
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise InvalidInput(name, "Enter a whole number of days.")
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise InvalidInput(name, "Enter a whole number of days.")
        low, high = (1, 3650) if name == "disclosure_days" else (0, 365)
        if not low <= number <= high:
            raise InvalidInput(name, f"Enter between {low} and {high} days.")
        raw = str(number)
    elif key.kind is bool:
        if value in (True, "1", "true", "True", "on", "yes"):
            raw = "1"
        elif value in (False, "0", "false", "False", "off", "no", ""):
            raw = "0"
        else:
            raise InvalidInput(name, "Answer yes or no.")
    else:
        raw = str(value)
        if len(raw) > 50_000:
            raise InvalidInput(name, "The policy page is limited to 50,000 characters.")
    return PolicyChange.objects.create(key=name, value=raw, changed_by=by)


def history(limit: int = 50) -> list[PolicyChange]:
    return list(PolicyChange.objects.select_related("changed_by")[:limit])

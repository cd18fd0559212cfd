"""Each person's notification choices: how they hear of new things, and which cases are muted.

Pages and the API call these (accord.notifications.views, accord.api.routes.notifications).
A person chooses for themselves only. Muting needs the case from the access gate
(`access_case(user, ref, need="read")`); it hides nothing from the portal, only mail.
"""

from __future__ import annotations

from django.db import transaction

from accord.accounts.models import User
from accord.cases.models import Case
from accord.core import audit
from accord.lib.errors import InvalidInput, RuleViolation
from accord.notifications.models import CaseMute

Mode = User.NotifyMode


def _own(user: User, by: User) -> None:
    if getattr(by, "pk", None) != user.pk:
        raise RuleViolation("own-notifications", "People choose their own notifications")


@transaction.atomic
def set_notify_mode(user: User, mode: str, *, by: User) -> User:
    """Immediate mail ("immediate"), a daily digest ("digest") or no mail ("none")."""
    _own(user, by)
    if mode not in Mode.values:
        raise InvalidInput("notify_mode", 'Choose "immediate", "digest" or "none".')
    old = user.notify_mode
    if mode == old:
        return user
    user.notify_mode = mode
    user.save(update_fields=["notify_mode", "updated_at"])
    audit.record(by, "user.notify_mode_changed", user, old=old, new=mode)
    return user


def is_muted(user: User, case: Case) -> bool:
    return CaseMute.objects.filter(user=user, case=case).exists()


@transaction.atomic
def set_case_muted(case: Case, muted: bool, *, by: User) -> bool:
    """Mute (no mail, no digest item about `case` for `by`) or unmute; returns the new state.

    Setting the state it already has changes nothing and records nothing."""
    if muted:
        _, changed = CaseMute.objects.get_or_create(user=by, case=case)
    else:
        changed = CaseMute.objects.filter(user=by, case=case).delete()[0] > 0
    if changed:
        audit.record(by, "user.case_muted" if muted else "user.case_unmuted", by, case=case.label)
    return muted

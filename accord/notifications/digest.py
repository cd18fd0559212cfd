"""The daily digest: everything waiting for a person, in one mail.

`send_digests` runs once a day (accord.core.schedule, job "notifications.send_digests"). For
each person with waiting DigestItems it queues ONE mail: a neutral list ("3 new items in
VU#123456, 1 in VU#234567") with links, and the full texts sealed for the person's keys, which
are read now, so a key added since the items were stored is used. The items are then marked
sent, in the same transaction, so a second run sends nothing (safe to run twice).

Before anything is mailed, each item is checked again: an item is dropped (marked, not mailed)
when its case became quiet, the person muted it, chose no mail, was deactivated, or no longer
reaches the case through the access gate.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.http import Http404
from django.utils import timezone

from accord.accounts.models import User
from accord.cases.access import standing_of
from accord.lib.errors import RuleViolation
from accord.mailgate import kinds
from accord.mailgate.outbound import Mail, queue_mails
from accord.notifications.models import CaseMute, DigestItem
from accord.notifications.send import recipients_for

log = logging.getLogger(__name__)


class _Reach:
    """Whether a person still reads a case, asked of the one gate once per (person, case)."""

    def __init__(self) -> None:
        self._known: dict[tuple[int, int], bool] = {}

    def __call__(self, user: User, item: DigestItem) -> bool:
        if item.case is None:
            return True
        key = (user.pk, item.case.pk)
        if key not in self._known:
            try:
                standing_of(user, item.case).check("read")
            except (Http404, RuleViolation):
                self._known[key] = False
            else:
                self._known[key] = True
        return self._known[key]


def send_digests(now: dt.datetime | None = None) -> int:
    """Queue one digest mail per person with waiting items created up to `now`; the number queued."""
    now = now or timezone.now()
    with transaction.atomic():
        items = list(
            DigestItem.objects.select_for_update(of=("self",))
            .filter(sent_at__isnull=True, created_at__lte=now)
            .select_related("user", "case")
            .order_by("user_id", "created_at", "id")
        )
        if not items:
            return 0
        people: dict[int, User] = {item.user.pk: item.user for item in items}
        by_person: dict[int, list[DigestItem]] = {}
        for item in items:
            by_person.setdefault(item.user.pk, []).append(item)
        muted = set(
            CaseMute.objects.filter(
                user_id__in=list(people), case_id__in={i.case_id for i in items if i.case_id}
            ).values_list("user_id", "case_id")
        )
        recipients = {r.user.pk: r for r in recipients_for(people.values()) if r.user is not None}
        reach = _Reach()
        outgoing: list[Mail] = []
        dropped = 0
        for user_id, waiting in by_person.items():
            user = people[user_id]
            if not user.is_active or user.notify_mode == User.NotifyMode.NONE:
                dropped += len(waiting)
                continue
            keep = [
                item
                for item in waiting
                if item.case is None
                or (not item.case.quiet and (user_id, item.case.pk) not in muted and reach(user, item))
            ]
            dropped += len(waiting) - len(keep)
            if not keep:
                continue
            told = [kinds.Item(i.case, i.neutral, i.full_text, i.link, i.created_at) for i in keep]
            outgoing.append(kinds.digest(recipients[user_id], told))
        queue_mails(outgoing)
        DigestItem.objects.filter(pk__in=[item.pk for item in items]).update(sent_at=now)
    if dropped:
        log.info("digest: %s items dropped (muted, quiet, no mail or out of reach)", dropped)
    return len(outgoing)

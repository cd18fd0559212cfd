"""Reminders to vendors (process.md "Disclosure policy"): the automatic ones, muting them per
case and per vendor, and the analyst's final reminder to an unresponsive vendor.

The rules (when a reminder is due, what "unresponsive" means) live in accord.cases.reminders;
the mails in accord.mailgate.kinds. Mail goes to the vendor's active "to" and "cc"
contacts, as notifications do: one mail per organisation, sealed to its key.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from accord.accounts.models import User
from accord.cases import reminders
from accord.cases.events import record
from accord.cases.models import Case, Participant
from accord.core.access import require_analyst
from accord.core.actors import SYSTEM
from accord.lib.errors import RuleViolation
from accord.lib.reasons import required_reason
from accord.lib.time import rfc3339
from accord.mailgate import kinds
from accord.mailgate.kinds import final_reminder as final_reminder_mail
from accord.mailgate.kinds import reminder as reminder_mail


def _contacts(participant: Participant) -> list[Any]:
    from accord.vendors.queries import notification_contacts

    if participant.organization is None:
        return []
    return notification_contacts(participant.organization)


def _address(participant: Participant, contacts: list[Any]) -> kinds.OrgAddress:
    assert participant.organization is not None
    return kinds.org_address(participant.organization, [c.email for c in contacts])


# --- Muting ---------------------------------------------------------------------------------------


@transaction.atomic
def mute_case_reminders(case: Case, muted: bool, *, by: User) -> Case:
    """Mute (or resume) the automatic reminders to every vendor of the case. No change, no event."""
    require_analyst(by)
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.reminders_muted == muted:
        return case
    case.reminders_muted = muted
    case.save(update_fields=["reminders_muted", "updated_at"])
    record("case.reminders", case=case, actor=by, muted=muted)
    return case


@transaction.atomic
def mute_vendor_reminders(participant: Participant, muted: bool, *, by: User) -> Participant:
    """Mute (or resume) the automatic reminders to one vendor of a case. No change, no event."""
    require_analyst(by)
    participant = (
        Participant.objects.select_for_update(of=("self",)).select_related("case").get(pk=participant.pk)
    )
    if participant.kind != Participant.Kind.VENDOR:
        raise RuleViolation("reminders-vendors", "Only vendors get reminders")
    if participant.reminders_muted == muted:
        return participant
    participant.reminders_muted = muted
    participant.save(update_fields=["reminders_muted"])
    record("participant.reminders", case=participant.case, actor=by, participant=participant, muted=muted)
    return participant


# --- The automatic reminders (the scheduler's job) ------------------------------------------------


def send_due_reminders(now: dt.datetime | None = None) -> dict[str, int]:
    """Send every automatic reminder due at `now`; returns how many vendors got each kind.

    One transaction and one event ("vendors.reminded", by Accord) per case and kind. A vendor
    without an active contact is skipped and not marked: it gets the reminder once it has one
    (while the reminder is still due)."""
    now = now or timezone.now()
    sent = dict.fromkeys(reminders.REMINDERS, 0)
    for reminder in reminders.REMINDERS:
        case_ids = sorted(set(reminders.due(reminder, now).values_list("case_id", flat=True)))
        for case_id in case_ids:
            sent[reminder] += _remind(case_id, reminder, now)
    return sent


@transaction.atomic
def _remind(case_id: int, reminder: str, now: dt.datetime) -> int:
    # The case's row lock serialises two runs of the job (and a mute arriving meanwhile): the
    # vendors due are read again under it, so none is reminded twice.
    case = Case.objects.select_for_update().get(pk=case_id)
    due = list(
        reminders.due(reminder, now)
        .filter(case=case)
        .select_related("organization")
        .select_for_update(of=("self",))
        .order_by("id")
    )
    reached = []
    for participant in due:
        contacts = _contacts(participant)
        if contacts:
            # A vendor requiring encryption without a key gets a failed row (shown on the case), no mail.
            reminder_mail(case, participant, reminder, _address(participant, contacts))
            reached.append(participant)
    if not reached:
        return 0
    Participant.objects.filter(pk__in=[p.pk for p in reached]).update(**{reminders.SENT_FIELD[reminder]: now})
    record(
        "vendors.reminded",
        case=case,
        actor=SYSTEM,
        reminder=reminder,
        count=len(reached),
        participants=[p.pk for p in reached],
        aliases=[p.alias for p in reached],
    )
    return len(reached)


# --- The final reminder ---------------------------------------------------------------------------


@transaction.atomic
def send_final_reminder(participant: Participant, *, by: User, reason: str) -> Participant:
    """The analyst's final reminder to an unresponsive vendor, with the reason (kept on the
    coordinator's timeline; the vendor sees only that a final reminder was sent).

    Muting stops the automatic reminders only: a final reminder is a deliberate act of an
    analyst, so it goes to a muted vendor, or in a muted case, too. It is refused for a vendor
    that is not unresponsive (which also covers quiet cases, declined and Closed vendors), for
    one that got a final reminder and has not responded since, and for one without a contact.
    """
    require_analyst(by)
    reason = required_reason(reason, "for the final reminder")
    now = timezone.now()
    Participant.objects.select_for_update().only("pk").get(pk=participant.pk)  # one final reminder at a time
    participant = reminders.annotated(participant, now)
    case = participant.case
    if participant.kind != Participant.Kind.VENDOR:
        raise RuleViolation("reminders-vendors", "Only vendors get reminders")
    if case.quiet:
        raise RuleViolation("reminders-quiet-case", "An imported or historical case sends no reminders")
    state = reminders.state_of(participant)
    if not state.unresponsive:
        raise RuleViolation(
            "final-reminder-unresponsive",
            "Only an unresponsive vendor gets a final reminder: no response for 14 days, and either "
            "the target date has passed or 6 weeks have gone by since its last response",
        )
    if state.final_sent_since_response:
        raise RuleViolation(
            "final-reminder-once",
            "This vendor got a final reminder and has not responded since",
        )
    contacts = _contacts(participant)
    if not contacts:
        raise RuleViolation(
            "final-reminder-contact",
            "The vendor has no active “to” or “cc” contact: add one on its directory page first",
        )
    final_reminder_mail(case, _address(participant, contacts))
    Participant.objects.filter(pk=participant.pk).update(final_reminder_at=now)
    participant.final_reminder_at = now
    record(
        "participant.final_reminder",
        case=case,
        actor=by,
        participant=participant,
        reason=reason,
        silent_since=rfc3339(state.silent_since),
        last_response_at=rfc3339(state.last_response_at),
        contacts=len(contacts),
    )
    return participant

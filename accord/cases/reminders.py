"""When Accord reminds a vendor, and when a vendor is unresponsive (process.md "Disclosure policy").

Automatic reminders, sent by the scheduler's `cases.send_reminders` job through the action
accord.cases.actions.reminders.send_due_reminders:
- UNOPENED: to a vendor none of whose members has opened the case (`Participant.seen_at`)
  7 days after it was notified (`Participant.first_contact_at`, the "Notified" column);
- DEADLINE: to a vendor with no statement 6 days before the case's target publication date.
Each goes at most once per vendor (`reminded_unopened_at`, `reminded_deadline_at` keep when),
and only while the target date has not passed: after it, the analyst decides, with the final
reminder. None goes for a quiet case (imported or historical), a muted case, a muted vendor,
a vendor not notified yet, one that declined the embargo, or one whose report is Closed.

Unresponsive: no response for 14 days, and either the target date has passed or 6 weeks have
gone by since the vendor's last response; a vendor that never responded counts from its
notification. What a "response" is, is said once, in `last_response()`. Accord marks such
vendors on the analysts' pages and in the API, and offers the final reminder.

Everything here is a database expression, so that a page of 2,000 vendors is annotated in
the query that loads it (`with_responses`) and the rule exists once: pages, the API, filters,
counts and the final reminder's check all read the same annotation.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import (
    BooleanField,
    DateTimeField,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models import Case as Choose
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from accord.answers.models import Statement
from accord.cases.models import CaseEvent, Participant
from accord.cases.states import RM
from accord.conversation.models import Message

UNOPENED = "unopened"
DEADLINE = "deadline"
REMINDERS = (UNOPENED, DEADLINE)
# The field keeping when each automatic reminder went.
SENT_FIELD = {UNOPENED: "reminded_unopened_at", DEADLINE: "reminded_deadline_at"}

UNOPENED_AFTER = dt.timedelta(days=7)  # after the notification
DEADLINE_BEFORE = dt.timedelta(days=6)  # before the target publication date
SILENT_FOR = dt.timedelta(days=14)
LONG_SILENCE = dt.timedelta(weeks=6)

# A vendor's responses: the events about it (CaseEvent.participant) of these kinds, done by a
# person (Accord's own V at notification is no response). Opening the case (`seen_at`,
# "participant.seen") or claiming an account is not a response.
RESPONSE_KINDS = (
    "answer.submitted",  # statuses, a statement, a request for information, the sharing choice
    #                      (also when an analyst records it for the vendor after a call)
    "embargo.joined",  # accepting the embargo
    "fact.vendor",  # its own V, F (fix ready) or D (fix deployed)
    "participant.tracking_id",  # its own tracking id for the case
    "participant.member_access",  # which of its members see the case
    "participant.named_at_publication",  # its name or its alias in the published note
)


def last_response() -> Any:
    """The instant of a vendor's latest response (null: none yet), as an expression on participants.

    The one place that says what a response is: one of the events above, or a message the vendor
    wrote in any thread (accord.conversation). Add a source here and every page, filter and check
    follows.
    """
    events = CaseEvent.objects.filter(
        participant_id=OuterRef("pk"), kind__in=RESPONSE_KINDS, by_system=False
    ).order_by("-created_at", "-id")
    latest_event = Subquery(events.values("created_at")[:1], output_field=DateTimeField())
    messages = Message.objects.filter(author_participant_id=OuterRef("pk")).order_by("-created_at", "-id")
    latest_message = Subquery(messages.values("created_at")[:1], output_field=DateTimeField())
    # Greatest is null on SQLite when either side is: each side falls back to the other.
    return Greatest(
        Coalesce(latest_event, latest_message),
        Coalesce(latest_message, latest_event),
        output_field=DateTimeField(),
    )


def _remindable() -> Q:
    """Vendors Accord may remind, or mark unresponsive, at all."""
    return (
        Q(kind=Participant.Kind.VENDOR, first_contact_at__isnull=False, case__quiet=False)
        & ~Q(embargo_answer=Participant.EmbargoAnswer.DECLINED)
        & ~Q(rm_state=RM.CLOSED)
    )


def unresponsive_condition(now: dt.datetime) -> Q:
    """The unresponsive rule, on participants annotated with `response_since`."""
    return (
        _remindable()
        & Q(response_since__lte=now - SILENT_FOR)
        & (Q(case__target_publication_at__lte=now) | Q(response_since__lte=now - LONG_SILENCE))
    )


def with_responses(queryset: QuerySet[Participant], now: dt.datetime | None = None) -> QuerySet[Participant]:
    """`queryset` with, on each participant, as of `now`:
    - `last_response_at`: its latest response, or None;
    - `response_since`: when its silence started (its latest response, or its notification);
    - `unresponsive`: True or False.
    No query of its own: the annotations are subqueries of the query that loads the rows."""
    now = now or timezone.now()
    return (
        queryset.annotate(last_response_at=last_response())
        .annotate(
            response_since=Greatest(
                Coalesce("last_response_at", "first_contact_at"),
                "first_contact_at",
                output_field=DateTimeField(),
            )
        )
        .annotate(
            unresponsive=Choose(
                When(unresponsive_condition(now), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
    )


def annotated(participant: Participant, now: dt.datetime | None = None) -> Participant:
    """One participant, freshly loaded with the annotations of `with_responses` (one query)."""
    return with_responses(
        Participant.objects.filter(pk=participant.pk).select_related("case", "organization"), now
    ).get()


@dataclass(frozen=True)
class ReminderState:
    """What the coordinator sees of a vendor's reminders (accord.cases.presenter decides who)."""

    muted: bool
    unresponsive: bool
    last_response_at: dt.datetime | None
    silent_since: dt.datetime | None
    unopened_sent_at: dt.datetime | None
    deadline_sent_at: dt.datetime | None
    final_sent_at: dt.datetime | None

    @property
    def final_sent_since_response(self) -> bool:
        """A final reminder went, and the vendor has not responded since."""
        if self.final_sent_at is None:
            return False
        return self.last_response_at is None or self.last_response_at < self.final_sent_at

    @property
    def final_offered(self) -> bool:
        """Whether the final reminder may be sent now (accord.cases.actions.reminders checks the same)."""
        return self.unresponsive and not self.final_sent_since_response


def state_of(participant: Participant) -> ReminderState:
    """The reminder state of a participant loaded through `with_responses` (else one query)."""
    if not hasattr(participant, "unresponsive"):
        participant = annotated(participant)
    return ReminderState(
        muted=participant.reminders_muted,
        unresponsive=bool(participant.unresponsive),  # type: ignore[attr-defined]
        last_response_at=participant.last_response_at,  # type: ignore[attr-defined]
        silent_since=participant.response_since,  # type: ignore[attr-defined]
        unopened_sent_at=participant.reminded_unopened_at,
        deadline_sent_at=participant.reminded_deadline_at,
        final_sent_at=participant.final_reminder_at,
    )


def due(reminder: str, now: dt.datetime) -> QuerySet[Participant]:
    """The vendors an automatic `reminder` is due to at `now`, in every case."""
    if reminder not in REMINDERS:
        raise ValueError(f"unknown reminder {reminder!r}")
    vendors = Participant.objects.filter(
        _remindable(),
        reminders_muted=False,
        case__reminders_muted=False,
        case__target_publication_at__gt=now,  # automatic reminders stop at the target date
        **{f"{SENT_FIELD[reminder]}__isnull": True},
    )
    if reminder == UNOPENED:
        return vendors.filter(seen_at__isnull=True, first_contact_at__lte=now - UNOPENED_AFTER)
    statements = Statement.objects.filter(participant_id=OuterRef("pk"))
    return vendors.filter(case__target_publication_at__lte=now + DEADLINE_BEFORE).exclude(Exists(statements))

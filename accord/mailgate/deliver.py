"""Where a routed mail is written, and who hears of mail that could not be (process.md "Routing
inbound mail", step 4). Called by inbound._record inside its transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.urls import reverse

from accord.accounts.models import User
from accord.cases.models import Case, Participant
from accord.mailgate.parse import ParsedMail
from accord.mailgate.route import Route
from accord.notifications.send import notify, recipients_for

if TYPE_CHECKING:
    from accord.conversation.actions import Speaker
    from accord.conversation.models import Thread


def target(route: Route) -> tuple[Thread, Speaker]:
    """The thread a routed mail goes into and who speaks: a vendor in its private thread, the
    reporter in the thread of their report (on the case once there is one)."""
    from accord.conversation.actions import Speaker, private_thread, report_thread, speaker_on_report

    participant = route.participant
    if participant is None:
        assert route.report is not None and route.reporter
        return report_thread(route.report), speaker_on_report(route.report, route.user, reporter=True)
    if participant.kind == Participant.Kind.REPORTER:
        return private_thread(participant), Speaker(
            route.user, participant, reporter=True, report=participant.report
        )
    return private_thread(participant), Speaker(route.user, participant)


def analysts(case: Case) -> list[User]:
    """The case's analysts, owner first, then the other assigned ones (process.md step 4)."""
    people = list(case.analysts.filter(is_active=True).order_by("pk"))
    owner = case.owner if case.owner_id and case.owner.is_active else None  # type: ignore[union-attr]
    if owner is not None:
        people = [owner, *(p for p in people if p.pk != owner.pk)]
    return people


def tell_analysts_of_stranger(case: Case, parsed: ParsedMail, inbound_id: int) -> None:
    """Mail naming the case from a non-participant waits for the case's analysts: tell them,
    neutrally in plaintext, in full only to their keys."""
    people = analysts(case)
    if not people:
        return
    full = (
        f"Mail from a non-participant: {parsed.from_address or '(no sender address)'}\n"
        f"Subject: {parsed.subject}\n\n{parsed.text.strip()[:5000]}"
    )
    link = reverse("mailgate:detail", kwargs={"inbound_id": inbound_id})  # where they act on it
    notify(
        case,
        recipients_for(people),
        neutral="Mail from a non-participant waits for triage",
        link=link,
        full_text_for=lambda recipient: full,
    )

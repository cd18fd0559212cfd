"""Telling people that a message awaits them (accord.notifications), per process.md "Mail and
confidentiality": the plaintext mail says only that something new awaits, with the VU# and a
link; the message itself travels only encrypted, to the reader's keys, rendered through the
presenter for that reader (an anonymous vendor stays an alias, mentions included).

Who is told: the readers of the thread (the gate's audience) other than the author. Coordinators
are the case's assigned analysts and owner (a report's assignee before there is a case); a
participant's readers are its organisation's members who may see the case (narrowed by the
vendor admin's choice, CaseMemberAccess), or the person it is; the reporter by the address and
key they gave.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.urls import reverse

from accord.accounts.models import Membership, User
from accord.cases.models import CaseMemberAccess, Participant
from accord.cases.presenter import Viewer
from accord.conversation.models import Message, Thread
from accord.mailgate import kinds
from accord.notifications.send import Recipient, notify, recipients_for

if TYPE_CHECKING:
    from accord.conversation.actions import Speaker


def _coordinators(thread: Thread) -> list[User]:
    """In the order process.md gives ("Routing inbound mail"): the owner first, then the other
    assigned analysts."""
    case = thread.case
    if case is not None:
        people = [case.owner] if case.owner_id and case.owner.is_active else []  # type: ignore[union-attr]
        people += [u for u in case.analysts.filter(is_active=True).order_by("pk") if u.pk != case.owner_id]
        return people  # type: ignore[return-value]
    report = thread.report
    return [report.assigned_to] if report is not None and report.assigned_to_id else []  # type: ignore[list-item]


def participant_readers(audience: list[Participant]) -> dict[int, Participant]:
    """user id -> the participant through which they read the thread (one query each kind)."""
    readers: dict[int, Participant] = {}
    by_org = {p.organization_id: p for p in audience if p.organization_id}
    narrowed: dict[int, set[int]] = {}
    for participant_id, user_id in CaseMemberAccess.objects.filter(
        participant__in=[p.pk for p in audience]
    ).values_list("participant_id", "user_id"):
        narrowed.setdefault(participant_id, set()).add(user_id)
    for user_id, org_id in Membership.objects.filter(organization__in=list(by_org)).values_list(
        "user_id", "organization_id"
    ):
        p = by_org[org_id]
        if p.pk not in narrowed or user_id in narrowed[p.pk]:
            readers.setdefault(user_id, p)
    for p in audience:
        if p.user_id:
            readers.setdefault(p.user_id, p)
    return readers


def new_message(message: Message, speaker: Speaker) -> None:
    """Called inside the posting transaction; mail leaves once it commits."""
    from accord.conversation.actions import audience

    thread = message.thread
    # The reporter is told apart (_tell_reporter), at the address and key of their report.
    readers = participant_readers([p for p in audience(thread) if p.kind != Participant.Kind.REPORTER])
    staff = {u.pk: u for u in _coordinators(thread)}
    author_id = speaker.user.pk if speaker.user is not None else None
    wanted = [uid for uid in dict.fromkeys([*staff, *readers]) if uid != author_id]  # owner first
    found = {u.pk: u for u in User.objects.filter(pk__in=wanted, is_active=True)}
    users = {uid: found[uid] for uid in wanted if uid in found}
    recipients = recipients_for(users.values(), case=thread.case)
    by_email = {r.email: r for r in recipients}
    case = thread.case

    def full_text(recipient: Recipient) -> str:
        user = recipient.user
        if user is not None and user.pk in readers and user.pk not in staff:
            viewer = Viewer.of_participant(readers[user.pk])
        else:
            viewer = Viewer.coordinator()
        return _text(message, viewer)

    if case is not None and by_email:
        link = (
            reverse("cases:thread", kwargs={"case": case.url_ref, "thread_id": thread.pk}) + f"#m{message.pk}"
        )
        neutral = "New request for information" if message.is_request else "New message"
        notify(case, list(by_email.values()), neutral=neutral, link=link, full_text_for=full_text)
    _tell_reporter(message, thread)


def _tell_reporter(message: Message, thread: Thread) -> None:
    """The reporter learns of the coordinator's messages in their own thread, and of messages in
    the case discussion, at the address they gave, through their private follow link."""
    if message.from_reporter:
        return
    if thread.kind == Thread.Kind.PRIVATE:
        report = thread.report  # only the reporter's own private thread has one
        if report is None or not message.from_coordinator:
            return
    elif thread.kind == Thread.Kind.CASE:
        reporter = (
            Participant.objects.filter(case=thread.case_id, kind=Participant.Kind.REPORTER)
            .select_related("report")
            .first()
        )
        report = reporter.report if reporter is not None else None
        if report is None:
            return
    else:
        return
    from accord.cases.actions.reports import follow_link

    participant = Participant.objects.filter(report=report, kind=Participant.Kind.REPORTER).first()
    viewer = Viewer(
        False, None, frozenset({participant.pk}) if participant else frozenset(), reporter_view=True
    )
    kinds.report_message(report, follow_link(report), full_text=_text(message, viewer))


def _text(message: Message, viewer: Viewer) -> str:
    shown = viewer.message(message)
    what = "A request for information" if message.is_request else "A message"
    return f"{what} from {shown.author.name}:\n\n{shown.body}\n"

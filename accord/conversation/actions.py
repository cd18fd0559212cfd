"""Every change to the conversation: threads, messages, requests for information, read markers.

Who may read a thread is the gate's call (accord.cases.access.threads_visible); these actions
take the `Speaker` built from the caller's standing and check it against the thread.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accord.accounts.models import User
from accord.cases.access import ANSWERING, Standing, threads_visible
from accord.cases.events import record
from accord.cases.models import Case, Participant, Report
from accord.cases.presenter import Viewer
from accord.conversation import mentions as mention_rules
from accord.conversation.models import Attachment, Mention, Message, Thread, ThreadRead
from accord.core.access import require_analyst
from accord.lib.errors import InvalidInput, RuleViolation, storable

MAX_BODY = 50_000


@dataclass(frozen=True)
class Upload:
    name: str
    content: bytes
    content_type: str = "application/octet-stream"


@dataclass(frozen=True)
class Speaker:
    """Who writes, and for whom: the coordinator (participant None), a participant's member, or
    the reporter (with or without an account)."""

    user: User | None
    participant: Participant | None = None
    staff: bool = False
    reporter: bool = False
    report: Report | None = None  # the reporter's report, when the reporter speaks

    @property
    def viewer(self) -> Viewer:
        own = frozenset({self.participant.pk}) if self.participant else frozenset()
        return Viewer(self.staff, self.user.pk if self.user else None, own, reporter_view=self.reporter)


# --- Finding threads --------------------------------------------------------------------------------


def _get_or_create(lookup: dict[str, Any], defaults: dict[str, Any]) -> Thread:
    thread = Thread.objects.filter(**lookup).first()
    if thread is not None:
        return thread
    try:
        with transaction.atomic():
            return Thread.objects.create(**lookup, **defaults)
    except IntegrityError:  # created meanwhile by another request
        return Thread.objects.get(**lookup)


def discussion(case: Case) -> Thread:
    """The case-wide discussion."""
    return _get_or_create({"case": case, "kind": Thread.Kind.CASE}, {})


def private_thread(participant: Participant) -> Thread:
    """The private thread between the coordinators and `participant`. A reporter's continues the
    thread of their report."""
    if participant.kind == Participant.Kind.REPORTER and participant.report_id:
        thread = report_thread(participant.report)  # type: ignore[arg-type]
        if thread.participant_id != participant.pk:
            Thread.objects.filter(pk=thread.pk).update(participant=participant, case=participant.case_id)
            thread.refresh_from_db()
        return thread
    return _get_or_create(
        {"participant": participant}, {"kind": Thread.Kind.PRIVATE, "case": participant.case}
    )


def report_thread(report: Report) -> Thread:
    """The private thread with a report's reporter (from the first message, before any case); once
    the report is a case, it is the reporter participant's private thread there."""
    reporter = (
        Participant.objects.filter(report=report, case=report.case_id, kind=Participant.Kind.REPORTER).first()
        if report.case_id
        else None
    )
    return _get_or_create(
        {"report": report}, {"kind": Thread.Kind.PRIVATE, "case": report.case, "participant": reporter}
    )


def audience(thread: Thread) -> list[Participant]:
    """The participants a thread reaches now (besides the coordinators), as the gate decides:
    never a declined one, nor a vendor invited into an Active embargo it has not accepted yet."""
    rows = Participant.objects.exclude(kind=Participant.Kind.COORDINATOR).exclude(
        embargo_answer=Participant.EmbargoAnswer.DECLINED
    )
    case = thread.case
    if case is not None and case.embargo_state in ANSWERING:
        rows = rows.exclude(kind=Participant.Kind.VENDOR, embargo_answer=Participant.EmbargoAnswer.INVITED)
    if thread.kind == Thread.Kind.PRIVATE:
        if thread.participant_id is None:
            return []
        return list(rows.filter(pk=thread.participant_id).select_related("organization", "user"))
    rows = rows.filter(case=thread.case_id)
    if thread.kind == Thread.Kind.TOPIC:
        rows = rows.filter(topic_threads=thread)
    return list(rows.select_related("organization", "user"))


# --- Speakers ---------------------------------------------------------------------------------------


def speaker_in(standing: Standing, thread: Thread) -> Speaker:
    """How the standing's holder speaks in `thread` (which they must be able to read)."""
    if standing.staff:
        return Speaker(standing.user, staff=True)
    if not threads_visible(standing).filter(pk=thread.pk).exists():
        raise RuleViolation("thread-reader", "You cannot write in this thread")
    if thread.kind == Thread.Kind.PRIVATE:
        participant = next(p for p in standing.own if p.pk == thread.participant_id)
    elif thread.kind == Thread.Kind.TOPIC:
        members = set(thread.members.values_list("pk", flat=True))
        participant = next(p for p in standing.own if p.pk in members)
    else:
        participant = standing.participant  # type: ignore[assignment]
    reporter = participant.kind == Participant.Kind.REPORTER
    user = standing.user if getattr(standing.user, "is_authenticated", False) else None
    return Speaker(user, participant, reporter=reporter, report=participant.report if reporter else None)


def speaker_on_report(report: Report, user: Any, *, reporter: bool) -> Speaker:
    """On a report's own pages: the analyst, or the reporter (signed in or through the link)."""
    if reporter:
        account = user if getattr(user, "is_authenticated", False) else None
        participant = (
            Participant.objects.filter(report=report, kind=Participant.Kind.REPORTER).first()
            if report.case_id
            else None
        )
        return Speaker(account, participant, reporter=True, report=report)
    require_analyst(user)
    return Speaker(user, staff=True)


# --- Messages ---------------------------------------------------------------------------------------


def _side(message: Message) -> str:
    return "coordinator" if message.from_coordinator else "participant"


def _attachments(message: Message, uploads: Sequence[Upload]) -> None:
    if len(uploads) > settings.MESSAGE_MAX_ATTACHMENTS:
        raise InvalidInput("attachments", f"Attach at most {settings.MESSAGE_MAX_ATTACHMENTS} files.")
    limit = settings.MESSAGE_MAX_ATTACHMENT_BYTES
    for upload in uploads:
        name = storable(upload.name or "attachment", "attachments")[:255]
        if len(upload.content) > limit:
            raise InvalidInput("attachments", f"{name}: larger than the limit of {limit:,} bytes.")
        attachment = Attachment(
            message=message,
            name=name,
            content_type=(upload.content_type or "application/octet-stream")[:100],
            size=len(upload.content),
            sha256=hashlib.sha256(upload.content).hexdigest(),
        )
        attachment.file.save("message-attachment", ContentFile(upload.content), save=True)


def post_message(
    thread: Thread,
    body: str,
    *,
    speaker: Speaker,
    reply_to: Message | None = None,
    request: bool = False,
    attachments: Sequence[Upload] = (),
    mentions: bool = True,
) -> Message:
    """Write in a thread. A request for information stays open until the other side answers it
    (a reply to it) or an analyst closes it."""
    body = storable(body or "", "body")
    if not body.strip():
        raise InvalidInput("body", "Write the message first.")
    if len(body) > MAX_BODY:
        raise InvalidInput("body", f"At most {MAX_BODY:,} characters.")
    if request and thread.kind != Thread.Kind.PRIVATE:
        raise InvalidInput("request", "Ask for information in a private thread.")
    if reply_to is not None and reply_to.thread_id != thread.pk:
        raise InvalidInput("reply_to", "That message is not in this thread.")
    found: list[mention_rules.Found] = []
    if mentions:
        own_orgs = {speaker.participant.organization_id} if speaker.participant else set()
        body, found = mention_rules.resolve(
            body,
            audience=audience(thread),
            author_viewer=speaker.viewer,
            author_org_ids=own_orgs,  # type: ignore[arg-type]
        )
    with transaction.atomic():
        now = timezone.now()
        message = Message.objects.create(
            thread=thread,
            author=speaker.user,
            author_participant=None if speaker.staff else speaker.participant,
            from_reporter=speaker.reporter,
            body=body,
            reply_to=reply_to,
            request=Message.Request.OPEN if request else Message.Request.NONE,
            created_at=now,
        )
        Mention.objects.bulk_create(
            [Mention(message=message, participant=f.participant, user=f.user) for f in found]
        )
        _attachments(message, attachments)
        Thread.objects.filter(pk=thread.pk).update(last_message_at=now)
        case = thread.case
        if request:
            record(
                "message.request",
                case=case,
                report=thread.report if case is None else None,
                participant=thread.participant,
                actor=speaker.user,
                message=message.pk,
                asked_by=_side(message),
            )
        if (
            reply_to is not None
            and reply_to.request == Message.Request.OPEN
            and _side(reply_to) != _side(message)
        ):
            Message.objects.filter(pk=reply_to.pk).update(request=Message.Request.ANSWERED, answered_at=now)
            record(
                "message.request_answered",
                case=case,
                report=thread.report if case is None else None,
                participant=thread.participant,
                actor=speaker.user,
                message=reply_to.pk,
            )
        if speaker.user is not None:
            ThreadRead.objects.update_or_create(thread=thread, user=speaker.user, defaults={"read_at": now})
        elif speaker.report is not None:
            ThreadRead.objects.update_or_create(
                thread=thread, report=speaker.report, defaults={"read_at": now}
            )
        if thread.report_id:
            from accord.cases import search

            search.index_report(thread.report)  # type: ignore[arg-type]
        from accord.conversation import announce

        announce.new_message(message, speaker)
    return message


def close_request(message: Message, *, by: User) -> Message:
    """An analyst closes a request for information, answered or not."""
    require_analyst(by)
    with transaction.atomic():
        message = Message.objects.select_for_update().select_related("thread").get(pk=message.pk)
        if not message.is_request:
            raise RuleViolation("request-only", "Only a request for information can be closed")
        if message.request == Message.Request.CLOSED:
            raise RuleViolation("request-open", "This request is already closed")
        message.request = Message.Request.CLOSED
        message.closed_at = timezone.now()
        message.closed_by = by
        message.save(update_fields=["request", "closed_at", "closed_by"])
        thread = message.thread
        record(
            "message.request_closed",
            case=thread.case,
            report=thread.report if thread.case_id is None else None,
            participant=thread.participant,
            actor=by,
            message=message.pk,
        )
    return message


def mark_read(thread: Thread, *, user: Any = None, report: Report | None = None) -> None:
    """Remember that a reader has read `thread` up to now. Reading changes nothing of the case: no
    event."""
    now = timezone.now()
    if getattr(user, "is_authenticated", False):
        ThreadRead.objects.update_or_create(thread=thread, user=user, defaults={"read_at": now})
    elif report is not None:
        ThreadRead.objects.update_or_create(thread=thread, report=report, defaults={"read_at": now})


# --- Topics -----------------------------------------------------------------------------------------


def _members(case: Case, members: Sequence[Participant]) -> list[Participant]:
    rows = [p for p in members if p.case_id == case.pk and p.kind != Participant.Kind.COORDINATOR]
    if not rows:
        raise InvalidInput("members", "Choose at least one participant of the case.")
    return rows


@transaction.atomic
def open_topic(case: Case, title: str, members: Sequence[Participant], *, by: User) -> Thread:
    """A thread for a subset of the participants, for example one per vulnerability or product."""
    require_analyst(by)
    title = storable(title or "", "title").strip()
    if not title:
        raise InvalidInput("title", "Give the topic a title.")
    if len(title) > 200:
        raise InvalidInput("title", "At most 200 characters.")
    rows = _members(case, members)
    thread = Thread.objects.create(case=case, kind=Thread.Kind.TOPIC, title=title, created_by=by)
    thread.members.set(rows)
    record("thread.topic", case=case, actor=by, thread=thread.pk, members=len(rows))
    return thread


@transaction.atomic
def set_topic_members(thread: Thread, members: Sequence[Participant], *, by: User) -> Thread:
    require_analyst(by)
    if thread.kind != Thread.Kind.TOPIC:
        raise RuleViolation("topic-only", "Only a topic thread has chosen members")
    rows = _members(thread.case, members)  # type: ignore[arg-type]
    thread.members.set(rows)
    record("thread.members", case=thread.case, actor=by, thread=thread.pk, members=len(rows))
    return thread


def open_requests(query: Q | None = None) -> Any:
    """Open requests for information (a queryset of messages)."""
    rows = Message.objects.filter(request=Message.Request.OPEN)
    return rows.filter(query) if query is not None else rows

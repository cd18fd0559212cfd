"""The conversation of a case: threads, messages, requests for information, attachments.

Everything a participant may read comes from the gate (threads_visible) and is shown through
the presenter (Viewer.message): a private thread reaches only its participant and the
coordinators, and an anonymous vendor appears to others only under its alias, mentions included.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
from typing import Any, Literal

from django.http import Http404, HttpRequest
from ninja import Query, Router, Status
from pydantic import BaseModel, ConfigDict, Field

from accord.api.auth import caller, rule
from accord.api.base import paginate
from accord.api.errors import ApiError
from accord.api.schemas import Error, Instant, page_of
from accord.cases.access import ReporterKey, Standing, access_case, access_thread, threads_visible
from accord.cases.models import Participant
from accord.cases.presenter import MessageView, Viewer
from accord.conversation import actions, queries
from accord.conversation.models import Message, Thread
from accord.core.files import download
from accord.lib.ids import MAX_ID, parse_id

router = Router(tags=["conversation"])

ThreadRef = str  # "case", "private" or a topic's id


# --- Schemas ----------------------------------------------------------------------------------------


class AttachmentOut(BaseModel):
    id: int
    name: str
    content_type: str
    size: int
    sha256: str
    url: str


class MailOut(BaseModel):
    """How a message came by mail, as you may see it."""

    inbound_id: int | None = Field(
        None, description="The received mail (analysts only): POST …/mail/{mail_id}/statement."
    )
    decrypted: bool
    signature: Literal["verified", "not_verified"] | None = Field(
        None, description="Checked against the pinned keys of the sender's organisation; null: unsigned."
    )
    fingerprint: str | None = Field(None, description="The pinned key that verified it, where shown.")
    sender_authenticated: bool | None = Field(
        None, description="The receiving server's DKIM/DMARC verdict; null when it gave none."
    )
    labels: list[str] = Field(
        description='In words: "by mail", "decrypted" or "not encrypted", "verified by <fingerprint>", '
        '"signature did not verify[: why]", "sender not authenticated".'
    )
    signed_statement: bool = Field(
        False, description="Analysts: it carries signed bytes that can become the vendor's statement."
    )


class MessageOut(BaseModel):
    id: int
    thread: str = Field(description='"case", "private" or the topic\'s id.')
    thread_id: int
    participant: int | None = Field(
        None, description="For a private thread: its participant (shown to the coordinator only)."
    )
    author: str = Field(description="As you may see them: an anonymous vendor by its alias.")
    side: Literal["coordinator", "participant", "reporter"]
    mine: bool
    body: str = Field(description="Markdown, with mentions as names you may see.")
    reply_to: int | None
    request: Literal["open", "answered", "closed"] | None = Field(
        None, description="Set on a request for information: its state."
    )
    attachments: list[AttachmentOut]
    mail: MailOut | None = Field(None, description="Set when the message came by mail.")
    created_at: Instant


class ThreadOut(BaseModel):
    id: int
    thread: str
    kind: Literal["case", "private", "topic"]
    label: str
    participant: int | None
    members: list[int] | None = Field(None, description="A topic's participants (coordinator only).")
    messages: int
    unread: int
    last_message_at: Instant | None


class UploadIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=255)
    content_type: str = Field("application/octet-stream", max_length=100)
    content_base64: str = Field(description="The file's bytes, base64-encoded.")


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    thread: ThreadRef = Field(description='"case", "private" or a topic\'s id.')
    body: str = Field(min_length=1, max_length=actions.MAX_BODY)
    participant: int | None = Field(
        None, ge=1, le=MAX_ID, description='Analysts, with thread "private": the participant written to.'
    )
    reply_to: int | None = Field(None, ge=1, le=MAX_ID)
    request: bool = Field(
        False, description="A request for information (private threads), open until answered."
    )
    attachments: list[UploadIn] = Field(default_factory=list, max_length=5)


class TopicIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=200)
    members: list[int] = Field(min_length=1, max_length=5000, description="Participant ids.")


class MembersIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    members: list[int] = Field(min_length=1, max_length=5000)


# --- Helpers ----------------------------------------------------------------------------------------


def _standing(request: HttpRequest, case: str, need: str = "read") -> Standing:
    """The caller's standing: a signed-in person, or the reporter with the follow secret."""
    return access_case(caller(request), case, need=need)


def _reader(request: HttpRequest) -> queries.Reader:
    who = caller(request)
    if isinstance(who, ReporterKey):
        return queries.Reader(report=who.report)
    return queries.Reader(user=request.user)


def message_out(shown: MessageView, case_ref: str, staff: bool) -> MessageOut:
    m = shown.message
    thread = m.thread
    return MessageOut(
        id=m.pk,
        thread=thread.api_ref,
        thread_id=thread.pk,
        participant=thread.participant_id if staff else None,
        author=shown.author.api,
        side=shown.side,  # type: ignore[arg-type]
        mine=shown.mine,
        body=shown.body,
        reply_to=m.reply_to_id,
        request=m.request or None,
        attachments=[
            AttachmentOut(
                id=a.pk,
                name=a.name,
                content_type=a.content_type,
                size=a.size,
                sha256=a.sha256,
                url=f"/api/v1/cases/{case_ref}/messages/files/{a.pk}",
            )
            for a in shown.attachments
        ],
        mail=MailOut(**dataclasses.asdict(shown.mail)) if shown.mail else None,
        created_at=m.created_at,
    )


def _thread_named(standing: Standing, ref: str, participant: int | None) -> Thread:
    """The thread a body names: "case", "private" (an analyst names the participant) or a topic id."""
    if ref == "case":
        return actions.discussion(standing.case) if standing.staff or standing.own else _no_thread()
    if ref == "private":
        if standing.staff:
            if participant is None:
                raise ApiError(
                    400,
                    "Name the participant of the private thread.",
                    [{"field": "participant", "message": 'required with thread "private" for analysts'}],
                )
            row = (
                Participant.objects.filter(case=standing.case, pk=participant)
                .exclude(kind=Participant.Kind.COORDINATOR)
                .first()
            )
            if row is None:
                raise ApiError(
                    400,
                    "No such participant in this case.",
                    [{"field": "participant", "message": "not a participant of this case"}],
                )
            return actions.private_thread(row)
        own = standing.participant
        if own is None:
            return _no_thread()
        return actions.private_thread(own)
    number = parse_id(ref)
    if number is None:
        raise ApiError(
            400,
            'thread is "case", "private" or a topic\'s id.',
            [{"field": "thread", "message": "not a thread"}],
        )
    found = threads_visible(standing).filter(pk=number, kind=Thread.Kind.TOPIC).first()
    if found is None:
        raise Http404("No such thread.")
    return found


def _no_thread() -> Thread:
    raise Http404("No such thread.")


def _uploads(items: list[UploadIn]) -> list[actions.Upload]:
    out = []
    for index, item in enumerate(items):
        try:
            content = base64.b64decode(item.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise ApiError(
                400,
                f"Attachment {item.name!r} is not valid base64.",
                [{"field": f"attachments[{index}].content_base64", "message": "not base64"}],
            )
        out.append(actions.Upload(name=item.name, content=content, content_type=item.content_type))
    return out


def _views(viewer: Viewer, rows: list[Message]) -> list[MessageView]:
    viewer.remember_actors(rows[0].thread.case_id if rows else None, [m.author for m in rows])
    return [viewer.message(m) for m in rows]


# --- Routes -----------------------------------------------------------------------------------------


@router.get(
    "/cases/{case}/messages",
    response={200: page_of(MessageOut), 400: Error, 401: Error, 404: Error, 409: Error},
    summary="The messages you may read in the case, oldest first",
    description="Every thread you may read: the case discussion, your private thread with the "
    "coordinators (analysts: every private thread) and the topics you are a member of. `thread` "
    'filters by "case", "private" or a topic id; `unread=true` keeps what you have not read yet; '
    "`request=open` keeps open requests for information.",
    auth=rule("object:case-or-follow"),
)
def list_messages(
    request: HttpRequest,
    case: str,
    thread: str | None = Query(None, max_length=20),
    participant: int | None = Query(None, ge=1, le=MAX_ID),
    unread: bool | None = None,
    request_state: Literal["open", "answered", "closed"] | None = Query(None, alias="request"),
    cursor: str | None = None,
    limit: int | None = None,
) -> dict[str, Any]:
    standing = _standing(request, case)
    viewer = Viewer.of(standing)
    visible = threads_visible(standing)
    if thread == "case":
        visible = visible.filter(kind=Thread.Kind.CASE)
    elif thread == "private":
        visible = visible.filter(kind=Thread.Kind.PRIVATE)
        if participant is not None and standing.staff:
            visible = visible.filter(participant=participant)
    elif thread:
        number = parse_id(thread)
        if number is None:
            raise ApiError(
                400,
                'thread is "case", "private" or a topic\'s id.',
                [{"field": "thread", "message": "not a thread"}],
            )
        visible = visible.filter(pk=number, kind=Thread.Kind.TOPIC)
    rows = (
        queries.new_messages(visible, _reader(request))
        if unread
        else queries.message_rows().filter(thread__in=visible.values("pk"))
    )
    rows = rows.select_related("thread")
    if request_state:
        rows = rows.filter(request=request_state)
    return paginate(
        rows,
        ordering=("created_at", "id"),
        cursor=cursor,
        limit=limit,
        serialize=lambda page: [
            message_out(v, standing.case.url_ref, standing.staff) for v in _views(viewer, page)
        ],
    )


@router.post(
    "/cases/{case}/messages",
    response={201: MessageOut, 400: Error, 401: Error, 404: Error, 409: Error},
    summary="Write a message",
    description='`thread`: "case" (every participant reads it), "private" (you and the coordinators; '
    "an analyst also names `participant`) or a topic's id. `reply_to` answers a message of the same "
    "thread: a reply from the other side answers an open request. `request: true` makes a request for "
    "information (private threads). Mention an organisation as `@[name or alias]` and a person as "
    "`@address`. Attachments are base64, at most 5, each within the size limit.",
    auth=rule("object:case-or-follow"),
)
def post_message(request: HttpRequest, case: str, payload: MessageIn) -> Status[MessageOut]:
    standing = _standing(request, case, need="act")
    thread = _thread_named(standing, payload.thread, payload.participant)
    reply_to = queries.reply_target(thread, payload.reply_to)
    message = actions.post_message(
        thread,
        payload.body,
        speaker=actions.speaker_in(standing, thread),
        reply_to=reply_to,
        request=payload.request,
        attachments=_uploads(payload.attachments),
    )
    viewer = Viewer.of(standing)
    row = queries.message_rows().select_related("thread").get(pk=message.pk)
    return Status(201, message_out(_views(viewer, [row])[0], standing.case.url_ref, standing.staff))


@router.post(
    "/cases/{case}/messages/{message_id}/close",
    response={200: MessageOut, 400: Error, 401: Error, 403: Error, 404: Error, 409: Error},
    summary="Close a request for information (analysts)",
    auth=rule("analyst"),
)
def close_request(request: HttpRequest, case: str, message_id: str) -> MessageOut:
    standing = _standing(request, case, need="write")
    number = parse_id(message_id)
    found = Message.objects.filter(pk=number, thread__case=standing.case).first() if number else None
    if found is None:
        raise Http404("No such message.")
    actions.close_request(found, by=request.user)  # type: ignore[arg-type]
    row = queries.message_rows().select_related("thread").get(pk=found.pk)
    return message_out(Viewer.of(standing).message(row), standing.case.url_ref, True)


@router.get(
    "/cases/{case}/messages/files/{file_id}",
    response={200: None, 401: Error, 404: Error, 409: Error},
    summary="Download a message's attachment",
    auth=rule("object:thread-or-follow"),
)
def message_file(request: HttpRequest, case: str, file_id: str) -> Any:
    found = queries.visible_file(_standing(request, case), file_id)
    return download(found.file, found.name)


@router.get(
    "/cases/{case}/threads",
    response={200: page_of(ThreadOut), 400: Error, 401: Error, 404: Error, 409: Error},
    summary="The threads you may read, with unread counts",
    description="The case discussion first, then the most recently active.",
    auth=rule("object:case-or-follow"),
)
def list_threads(
    request: HttpRequest, case: str, cursor: str | None = None, limit: int | None = None
) -> dict[str, Any]:
    standing = _standing(request, case)
    viewer = Viewer.of(standing)
    if not Thread.objects.filter(case=standing.case, kind=Thread.Kind.CASE).exists():
        actions.discussion(standing.case)
    rows = queries.with_unread(threads_visible(standing), _reader(request)).select_related(
        "participant__organization", "participant__user"
    )

    def serialize(page: list[Thread]) -> list[ThreadOut]:
        members: dict[int, list[int]] = {}
        if standing.staff:
            for thread_id, participant_id in Thread.members.through.objects.filter(
                thread__in=[t.pk for t in page]
            ).values_list("thread_id", "participant_id"):
                members.setdefault(thread_id, []).append(participant_id)
        return [
            ThreadOut(
                id=t.pk,
                thread=t.api_ref,
                kind=t.kind,  # type: ignore[arg-type]
                label=queries.thread_label(t, viewer),
                participant=t.participant_id if standing.staff else None,
                members=members.get(t.pk, []) if standing.staff and t.kind == Thread.Kind.TOPIC else None,
                messages=t.message_count,  # type: ignore[attr-defined]
                unread=t.unread,  # type: ignore[attr-defined]
                last_message_at=t.last_message_at,
            )
            for t in page
        ]

    return paginate(rows, ordering=("id",), cursor=cursor, limit=limit, serialize=serialize)


def _members(standing: Standing, ids: list[int]) -> list[Participant]:
    wanted = {i for i in ids if 0 < i <= MAX_ID}
    rows = list(
        Participant.objects.filter(case=standing.case, pk__in=wanted).exclude(
            kind=Participant.Kind.COORDINATOR
        )
    )
    missing = sorted(set(ids) - {p.pk for p in rows})
    if missing:
        raise ApiError(
            400,
            "Some members are not participants of this case.",
            [{"field": "members", "message": f"not in this case: {', '.join(map(str, missing[:20]))}"}],
        )
    return rows


@router.post(
    "/cases/{case}/threads",
    response={201: ThreadOut, 400: Error, 401: Error, 403: Error, 404: Error, 409: Error},
    summary="Open a topic thread for some participants (analysts)",
    auth=rule("analyst"),
)
def open_topic(request: HttpRequest, case: str, payload: TopicIn) -> Status[ThreadOut]:
    standing = _standing(request, case, need="write")
    members = _members(standing, payload.members)
    thread = actions.open_topic(standing.case, payload.title, members, by=standing.user)
    return Status(201, _thread_out(standing, thread, request))


@router.put(
    "/cases/{case}/threads/{thread_id}/members",
    response={200: ThreadOut, 400: Error, 401: Error, 403: Error, 404: Error, 409: Error},
    summary="Choose a topic's participants (analysts)",
    auth=rule("analyst"),
)
def topic_members(request: HttpRequest, case: str, thread_id: str, payload: MembersIn) -> ThreadOut:
    standing = _standing(request, case, need="write")
    thread = access_thread(standing, thread_id)
    actions.set_topic_members(thread, _members(standing, payload.members), by=request.user)  # type: ignore[arg-type]
    return _thread_out(standing, thread, request)


@router.post(
    "/cases/{case}/threads/{thread_id}/read",
    response={200: ThreadOut, 401: Error, 404: Error, 409: Error},
    summary="Mark a thread as read up to now",
    auth=rule("object:thread-or-follow"),
)
def mark_read(request: HttpRequest, case: str, thread_id: str) -> ThreadOut:
    standing = _standing(request, case)
    thread = access_thread(standing, thread_id)
    reader = _reader(request)
    actions.mark_read(thread, user=reader.user, report=reader.report)
    return _thread_out(standing, thread, request)


def _thread_out(standing: Standing, thread: Thread, request: HttpRequest) -> ThreadOut:
    viewer = Viewer.of(standing)
    row = (
        queries.with_unread(Thread.objects.filter(pk=thread.pk), _reader(request))
        .select_related("participant__organization", "participant__user")
        .get()
    )
    return ThreadOut(
        id=row.pk,
        thread=row.api_ref,
        kind=row.kind,  # type: ignore[arg-type]
        label=queries.thread_label(row, viewer),
        participant=row.participant_id if standing.staff else None,
        members=list(row.members.values_list("pk", flat=True))
        if standing.staff and row.kind == Thread.Kind.TOPIC
        else None,
        messages=row.message_count,  # type: ignore[attr-defined]
        unread=row.unread,  # type: ignore[attr-defined]
        last_message_at=row.last_message_at,
    )

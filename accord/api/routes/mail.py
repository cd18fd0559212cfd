"""Inbound mail for the coordinator's analysts: the triage inbox, the mail problems, one mail,
and what an analyst does with it. Analysts only; every change goes through
accord.mailgate.triage, as the pages do.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Status
from pydantic import BaseModel, ConfigDict, Field

from accord.api.auth import rule
from accord.api.base import paginate
from accord.api.schemas import Error, Instant, page_of
from accord.cases.access import access_case
from accord.cases.models import Participant
from accord.lib.errors import InvalidInput
from accord.lib.ids import parse_id
from accord.mailgate import triage
from accord.mailgate.models import InboundMessage
from accord.mailgate.views import get_mail, problems_queryset, raw_response, triage_queryset

router = Router(tags=["mail"])

WRITE = {400: Error, 401: Error, 403: Error, 404: Error, 409: Error}
READ = {401: Error, 403: Error, 404: Error}


class MailSummaryOut(BaseModel):
    id: int
    status: str = Field(description="triage, failed, flagged, … (InboundMessage.Status)")
    received_at: Instant
    from_address: str
    subject: str
    reason: str = Field(description="Why it is here: the first of its problems.")
    case: str | None = Field(
        None, description='"VU#123456" when the subject names a case of which the sender is no participant.'
    )
    from_non_participant: bool
    attempts: int
    next_attempt_at: Instant | None = Field(None, description="When a failed mail is retried by itself.")
    last_error: str


class AttachmentOut(BaseModel):
    name: str
    content_type: str
    size: int
    sha256: str
    kept: bool = Field(description="false: over the size limit, only in the stored mail.")


class MailOut(MailSummaryOut):
    message_id: str
    size: int
    received_via: str
    text: str
    problems: list[str]
    attachments: list[AttachmentOut]
    decryption: str = Field(description='"", "decrypted" or "failed".')
    signature: str = Field(description='"", "verified" or "not_verified".')
    signer_fingerprint: str
    sender_authenticated: bool | None
    resolution: str = Field(description='"", "linked", "report", "spam" or "reprocessed".')
    resolved_by: str | None
    resolved_at: Instant | None
    participant: int | None = Field(None, description="The participant it was linked to.")
    message: int | None = Field(None, description="The message it became in that participant's thread.")
    report: str | None = Field(None, description="The report it became.")
    raw_url: str


class LinkBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    case: str = Field(max_length=40, description='"VU#123456", "VU123456" or "123456".')
    participant: int = Field(description="A vendor or the reporter of that case (its participant id).")


class ReportMade(BaseModel):
    id: str
    mail: MailOut


def _summary(mail: InboundMessage) -> dict[str, Any]:
    return {
        "id": mail.pk,
        "status": mail.status,
        "received_at": mail.received_at,
        "from_address": mail.from_address,
        "subject": mail.subject,
        "reason": triage.reason_of(mail),
        "case": mail.case.label if mail.case_id else None,  # type: ignore[union-attr]
        "from_non_participant": triage.from_non_participant(mail),
        "attempts": mail.attempts,
        "next_attempt_at": mail.next_attempt_at if mail.status == InboundMessage.Status.FAILED else None,
        "last_error": mail.last_error,
    }


def mail_out(mail: InboundMessage) -> MailOut:
    parsed = triage.parsed_mail(mail)
    return MailOut(
        **_summary(mail),
        message_id=mail.message_id,
        size=mail.size,
        received_via=mail.received_via,
        text=mail.text,
        problems=[p for p in mail.problems.split("\n") if p],
        attachments=[
            AttachmentOut(name=a.name, content_type=a.content_type, size=a.size, sha256=a.sha256, kept=a.kept)
            for a in (parsed.attachments if parsed else ())
        ],
        decryption=mail.decryption,
        signature=mail.signature,
        signer_fingerprint=mail.signer_fingerprint,
        sender_authenticated=mail.sender_authenticated,
        resolution=mail.resolution,
        resolved_by=mail.resolved_by.display_name if mail.resolved_by else None,
        resolved_at=mail.resolved_at,
        participant=mail.participant_id,
        message=mail.posted_message_id,
        report=mail.report_id,
        raw_url=f"/api/v1/mail/{mail.pk}/raw",
    )


def _list(queryset: Any, cursor: str | None, limit: int | None) -> dict[str, Any]:
    return paginate(
        queryset,
        ordering=("-received_at", "-id"),
        cursor=cursor,
        limit=limit,
        serialize=lambda page: [MailSummaryOut(**_summary(m)) for m in page],
    )


@router.get(
    "/mail/triage",
    response={200: page_of(MailSummaryOut), **READ},
    summary="Mail waiting for triage, newest first",
    description="Mail the gateway could not route by itself: no case id, or a sender who is no "
    "participant of the case its subject names (`from_non_participant`).",
    auth=rule("analyst"),
)
def list_triage(request: HttpRequest, cursor: str | None = None, limit: int | None = None) -> dict[str, Any]:
    return _list(triage_queryset(), cursor, limit)


@router.get(
    "/mail/problems",
    response={200: page_of(MailSummaryOut), **READ},
    summary="Failed and flagged mail, newest first",
    description="Failed mail is retried by itself at `next_attempt_at`; flagged mail is not. "
    "POST /mail/{id}/reprocess processes one again.",
    auth=rule("analyst"),
)
def list_problems(
    request: HttpRequest, cursor: str | None = None, limit: int | None = None
) -> dict[str, Any]:
    return _list(problems_queryset(), cursor, limit)


@router.get("/mail/{inbound_id}", response={200: MailOut, **READ}, summary="One mail", auth=rule("analyst"))
def get_one(request: HttpRequest, inbound_id: str) -> MailOut:
    return mail_out(get_mail(inbound_id))


@router.get(
    "/mail/{inbound_id}/raw",
    response={200: None, **READ},
    summary="The mail's bytes exactly as received (message/rfc822)",
    auth=rule("analyst"),
)
def get_raw(request: HttpRequest, inbound_id: str) -> HttpResponse:
    return raw_response(get_mail(inbound_id))


@router.post(
    "/mail/{inbound_id}/link",
    response={200: MailOut, **WRITE},
    summary="Link the mail to a case, in a participant's private thread",
    description="Its text and attachments become a message in the private thread of the vendor or "
    "reporter named, written by the sender's side. 409 when the mail is no longer in triage.",
    auth=rule("analyst"),
)
def link(request: HttpRequest, inbound_id: str, payload: LinkBody) -> MailOut:
    mail = get_mail(inbound_id)
    case = access_case(request.user, payload.case, need="write").case
    number = parse_id(payload.participant)
    participant = (
        Participant.objects.filter(pk=number, case=case)
        .select_related("organization", "user", "report")
        .first()
        if number is not None
        else None
    )
    if participant is None:
        raise InvalidInput("participant", f"No such participant in {case.label}.")
    triage.link_to_case(mail, case, participant, by=request.user)
    return mail_out(get_mail(mail.pk))


@router.post(
    "/mail/{inbound_id}/report",
    response={201: ReportMade, **WRITE},
    summary="Turn the mail into a report",
    description="Files a report with the mail's subject as product and its text as description; "
    "the sender's address is the reporter's. Answers 201 with the report's id.",
    auth=rule("analyst"),
)
def report(request: HttpRequest, response: HttpResponse, inbound_id: str) -> Status[ReportMade]:
    made = triage.report_from_mail(get_mail(inbound_id), by=request.user)
    response["Location"] = f"/api/v1/reports/{made.pk}"
    return Status(201, ReportMade(id=made.pk, mail=mail_out(get_mail(inbound_id))))


@router.post(
    "/mail/{inbound_id}/spam",
    response={200: MailOut, **WRITE},
    summary="Mark the mail as spam",
    auth=rule("analyst"),
)
def spam(request: HttpRequest, inbound_id: str) -> MailOut:
    triage.mark_spam(get_mail(inbound_id), by=request.user)
    return mail_out(get_mail(inbound_id))


@router.post(
    "/mail/{inbound_id}/reprocess",
    response={200: MailOut, **WRITE},
    summary="Process a failed or flagged mail again",
    description="From its stored bytes, as if it had just arrived; its attempts start again from 0.",
    auth=rule("analyst"),
)
def reprocess(request: HttpRequest, inbound_id: str) -> MailOut:
    triage.reprocess(get_mail(inbound_id), by=request.user)
    return mail_out(get_mail(inbound_id))

"""A case's mail, for the coordinator: what Accord sent about it, to which organisation, how
(encrypted to which key) and what became of it. Analysts only, as the case's Mail page."""

from __future__ import annotations

from typing import Literal

from django.http import HttpRequest
from ninja import Router
from pydantic import BaseModel, Field

from accord.api.auth import rule
from accord.api.base import paginate
from accord.api.schemas import Error, Instant, page_of
from accord.cases.access import access_case
from accord.mailgate import queries

router = Router(tags=["case mail"])


class MailOut(BaseModel):
    id: int
    kind: str = Field(
        description="The kind of mail (accord.mailgate.kinds), e.g. notification, reminder_unopened."
    )
    status: Literal["queued", "sending", "sent", "failed", "bounced"]
    organization: str | None = Field(description="The recipient organisation, if the mail went to one.")
    to: list[str] = Field(description="The addresses on the mail (one organisation's, or one person's).")
    subject: str = Field(description="The neutral subject, with the case's [VU#123456] tag.")
    message_id: str
    encrypted: bool = Field(description="The full text went out encrypted.")
    fingerprints: list[str] = Field(description="The key the mail was encrypted to (one organisation's).")
    attempts: int
    created_at: Instant
    sent_at: Instant | None
    next_attempt_at: Instant | None = Field(
        description="When a queued mail is tried again (after a failure)."
    )
    last_error: str = Field(description="Why it failed, was held back, or went out without encryption.")


@router.get(
    "/cases/{case}/mail",
    response={200: page_of(MailOut), 400: Error, 401: Error, 403: Error, 404: Error},
    summary="The case's mail, newest first",
    description="Every mail Accord queued about the case: its status, kind, recipient organisation, "
    "the key fingerprints it was encrypted to and the last error. A vendor that requires encryption "
    "and has no usable key shows here as a failed mail with the reason. Never the mail's text.",
    auth=rule("analyst"),
)
def list_mail(request: HttpRequest, case: str, cursor: str | None = None, limit: int | None = None) -> dict:
    standing = access_case(request.user, case)
    return paginate(
        queries.case_mail(standing.case),
        ordering=("-created_at", "-id"),
        cursor=cursor,
        limit=limit,
        serialize=lambda page: [MailOut(**queries.describe(m)) for m in page],
    )

"""Request bodies and responses of the vendor routes: adding and notifying vendors, and a vendor's
answer to the four questions (process.md "Vendor answers", "Anonymity in multiparty cases").

What a viewer sees of another vendor's answer: nothing unless that vendor shared it
(`Answer.share`); an anonymous vendor is named only by its alias, and its verified signature
shows as "signed; verified by the coordinator" without fingerprint, detail or raw signature.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.db.models import Prefetch, prefetch_related_objects
from pydantic import BaseModel, Field

from accord.answers.models import Addendum, Statement, Status
from accord.api.case_schemas import Body
from accord.api.schemas import Instant
from accord.cases.models import Case, Participant
from accord.cases.presenter import Viewer, answer_of
from accord.cases.states import RM
from accord.conversation.models import Message

# --- Request bodies ----------------------------------------------------------------------------


class ParticipantsAdd(Body):
    organizations: list[int | str] = Field(
        min_length=1,
        max_length=2000,
        description="Vendor organisations, each by id or by exact name (matched case-insensitively).",
    )
    anonymous: bool = Field(default=False, description="Others see these vendors only by their alias.")


class NotifyBody(Body):
    participants: list[int] | None = Field(
        default=None,
        max_length=2000,
        description="Participant ids; omitted: every vendor participant not yet notified.",
    )


VexStatusName = Literal["affected", "not_affected", "fixed", "under_investigation", "unknown"]


class StatusBody(Body):
    vulnerability: str = Field(max_length=40, description='"VU#123456.1" (or "1")')
    product: str | None = Field(default=None, max_length=300, description="Blank: for everything.")
    status: VexStatusName
    justification: str | None = Field(
        default=None, max_length=64, description="For not_affected: component_not_present, …"
    )
    impact_statement: str | None = Field(default=None, max_length=10_000)
    fixed_version: str | None = Field(default=None, max_length=200, description="Required for fixed.")
    expected_fix_date: dt.date | None = Field(default=None, description="YYYY-MM-DD")
    version_range: str | None = Field(default=None, max_length=200)
    purl: str | None = Field(default=None, max_length=500)
    release_reference: str | None = Field(default=None, max_length=500)
    will_not_fix: bool = False


class StatementBody(Body):
    text: str | None = Field(
        default=None,
        description="Stored byte for byte as the UTF-8 encoding of this string: never trimmed or "
        "newline-converted. May be an OpenPGP clearsigned text.",
    )
    signature: str | None = Field(
        default=None, max_length=100_000, description="An armoured detached signature of the text."
    )
    share: bool | None = Field(
        default=None, description="Show my statuses and statement to the other participants."
    )
    references: str | None = Field(default=None, max_length=5000)


class AnswerBody(Body):
    statuses: list[StatusBody] | None = Field(
        default=None, max_length=1000, description="Replace the earlier statuses (omit to keep them)."
    )
    statement: StatementBody | None = None
    need_more_information: str | None = Field(default=None, max_length=20_000)


# --- Responses ---------------------------------------------------------------------------------


class ParticipantOutRef(BaseModel):
    id: int
    alias: str
    name: str | None
    organization: int | None
    anonymous: bool


class AddedOut(BaseModel):
    participants: list[ParticipantOutRef]


class NotifiedOut(BaseModel):
    notified: list[ParticipantOutRef]
    unreachable: list[ParticipantOutRef] = Field(
        description="Vendors not reached: no active contact address, or `held`."
    )
    held: list[ParticipantOutRef] = Field(
        default_factory=list,
        description="Vendors that require encrypted mail and have no valid pinned key: their mail "
        "is held back (failed, with the reason, in GET /cases/{case}/mail) and nobody is mailed.",
    )


class StatusOut(BaseModel):
    vulnerability: str = Field(description='"VU#123456.1"')
    product: str
    version_range: str
    purl: str
    status: str
    justification: str
    impact_statement: str
    fixed_version: str
    release_reference: str
    expected_fix_date: dt.date | None
    will_not_fix: bool
    on_behalf: bool = Field(description="Recorded by an analyst for the vendor.")
    created_at: Instant


class StatementOut(BaseModel):
    version: int
    text: str = Field(description="The exact text (invalid UTF-8, possible only by upload, is replaced).")
    text_base64: str | None = Field(
        description="The exact bytes, base64-encoded, only when they are not valid UTF-8."
    )
    signature_kind: str
    verification: Literal["verified", "failed", "unsigned"]
    label: str = Field(description='"verified by <fingerprint>", "signature did not verify", "unsigned", …')
    fingerprint: str | None = Field(description="The pinned key that verified it; null where hidden.")
    detail: str | None = Field(description="gpg's verdict; null where it could unmask the vendor.")
    signature: str | None = Field(description="The raw detached signature, for privileged viewers only.")
    references: str
    on_behalf: bool
    received_by_mail: bool = Field(
        False, description="Made from the vendor's signed mail, its bytes exactly."
    )
    created_at: Instant


class InfoRequestOut(BaseModel):
    id: int = Field(description="The request's message id in the vendor's private thread.")
    text: str
    asked_by: Literal["coordinator", "participant"] = Field(
        description='Who asked: the vendor ("need more information") or the coordinator.'
    )
    created_at: Instant


class AddendumOut(BaseModel):
    text: str = Field(description="The coordinator's own words.")
    author: str | None
    created_at: Instant


class AnswerOut(BaseModel):
    participant: int
    alias: str
    name: str | None = Field(description="null where the vendor is anonymous to you.")
    rm_state: RM
    share: bool
    answered_at: Instant | None
    statuses: list[StatusOut]
    statement: StatementOut | None
    statement_versions: int
    open_info_requests: list[InfoRequestOut]
    addenda: list[AddendumOut]


# --- Filling the responses (accord.cases.presenter decides what each viewer sees) -----------------


def ref_out(p: Participant, viewer: Viewer) -> ParticipantOutRef:
    return ParticipantOutRef(
        id=p.pk,
        alias=p.alias,
        name=viewer.name(p),
        organization=viewer.organization_id(p),
        anonymous=p.anonymous,
    )


def prefetch_answers(participants: list[Participant]) -> None:
    """Everything answers_out reads, in a constant number of queries."""
    requests: dict[int, list[Message]] = {}
    for m in Message.objects.filter(
        thread__participant__in=[p.pk for p in participants], request=Message.Request.OPEN
    ).select_related("thread"):
        requests.setdefault(m.thread.participant_id, []).append(m)  # type: ignore[arg-type]
    for p in participants:
        p.open_requests = requests.get(p.pk, [])  # type: ignore[attr-defined]
    prefetch_related_objects(
        participants,
        "answer",
        Prefetch("statuses", queryset=Status.objects.select_related("vulnerability")),
        Prefetch("statements", queryset=Statement.objects.select_related("recorded_by").order_by("version")),
        Prefetch("addenda", queryset=Addendum.objects.select_related("author")),
    )


def _statement_out(statement: Statement, participant: Participant, viewer: Viewer) -> StatementOut:
    shown = viewer.statement(statement, participant)
    text, text_base64 = shown.text_fields()
    return StatementOut(
        version=statement.version,
        text=text,
        text_base64=text_base64,
        signature_kind=statement.signature_kind,
        verification=statement.verification,  # type: ignore[arg-type]
        label=shown.label,
        fingerprint=shown.fingerprint,
        detail=shown.detail,
        signature=shown.signature,
        references=statement.references,
        on_behalf=statement.on_behalf,
        received_by_mail=statement.received_by_mail,
        created_at=statement.created_at,
    )


def may_see_answer(p: Participant, viewer: Viewer) -> bool:
    answer = answer_of(p)
    return viewer.sees_answer(p, bool(answer and answer.share))


def answer_out(case: Case, p: Participant, viewer: Viewer) -> AnswerOut:
    """One vendor's answer as `viewer` may see it (call prefetch_answers first; check may_see_answer)."""
    privileged = viewer.privileged_for(p)
    answer = answer_of(p)
    statements = list(p.statements.all())
    current = statements[-1] if statements else None
    return AnswerOut(
        participant=p.pk,
        alias=p.alias,
        name=viewer.name(p),
        rm_state=RM(p.rm_state),
        share=bool(answer and answer.share),
        answered_at=answer.answered_at if answer else None,
        statuses=[
            StatusOut(
                vulnerability=f"{case.label}.{s.vulnerability.seq}",
                product=s.product,
                version_range=s.version_range,
                purl=s.purl,
                status=s.status,
                justification=s.justification,
                impact_statement=s.impact_statement,
                fixed_version=s.fixed_version,
                release_reference=s.release_reference,
                expected_fix_date=s.expected_fix_date,
                will_not_fix=s.will_not_fix,
                on_behalf=s.on_behalf,
                created_at=s.created_at,
            )
            for s in p.statuses.all()
        ],
        statement=_statement_out(current, p, viewer) if current else None,
        statement_versions=len(statements),
        open_info_requests=(
            [
                InfoRequestOut(
                    id=r.pk,
                    text=r.body,
                    asked_by="coordinator" if r.from_coordinator else "participant",
                    created_at=r.created_at,
                )
                for r in getattr(p, "open_requests", [])
            ]
            if privileged
            else []
        ),
        addenda=(
            [
                AddendumOut(
                    text=a.text,
                    author=viewer.person(a.author).api if a.author else None,
                    created_at=a.created_at,
                )
                for a in p.addenda.all()
            ]
            if privileged
            else []
        ),
    )

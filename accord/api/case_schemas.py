"""Request bodies and response schemas of the reports, cases and policy routes, and the
functions that fill the responses for one viewer.

Bodies refuse unknown fields (a misspelt field answers 400 naming it rather than being
ignored). Instants are `Instant` (RFC 3339 in UTC) in answers and must carry a time zone
in requests. Case ids are "VU#123456" in bodies.

What a non-analyst sees of people is limited: staff appear by name or as "Coordinator"
(never by email), other participants by alias unless their real name is theirs to see.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from accord.api.schemas import Instant
from accord.cases import policy
from accord.cases.access import Standing
from accord.cases.actions.reports import LIMITS
from accord.cases.models import (
    AffectedProduct,
    Case,
    FactReport,
    Participant,
    SsvcDecision,
    Vulnerability,
)
from accord.cases.presenter import Shown, Viewer
from accord.cases.reminders import ReminderState, with_responses
from accord.cases.states import EM, RM

# --- Request bodies ----------------------------------------------------------------------------


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _text(name: str) -> Any:
    return Field(default="", max_length=LIMITS[name])


class ReportCreate(Body):
    """The report form's fields (accord.cases.actions.reports.ReportInput), without attachments."""

    product: str = Field(max_length=LIMITS["product"], description="Affected product (required).")
    version: str = Field(max_length=LIMITS["version"], description="Affected version(s) (required).")
    description: str = Field(max_length=LIMITS["description"], description="The vulnerability (required).")
    reporter_name: str = _text("reporter_name")
    reporter_organization: str = _text("reporter_organization")
    reporter_email: str = Field(
        default="",
        max_length=LIMITS["reporter_email"],
        description="Where the acknowledgement with the private follow link goes.",
    )
    reporter_pgp_key: str = _text("reporter_pgp_key")
    share_contact: bool = Field(default=False, description="Share my contact details with vendors.")
    credit: bool = Field(default=True, description="Credit me (as credit_name, or reporter_name).")
    credit_name: str = _text("credit_name")
    affected_vendors: str = _text("affected_vendors")
    vendor_contacted: bool = False
    vendor_contacted_on: dt.date | None = Field(default=None, description="When, as YYYY-MM-DD.")
    vendor_contact_summary: str = _text("vendor_contact_summary")
    coordinate_all_vendors: bool = Field(
        default=False,
        description="A vendor reporting a flaw in a component others ship asks to coordinate with all.",
    )
    anonymous_to_vendors: bool = Field(default=False, description="Stay anonymous towards other vendors.")
    exploitation: str = _text("exploitation")
    impact: str = _text("impact")
    discovery: str = _text("discovery")
    is_public: bool = False
    public_references: str = _text("public_references")
    is_exploited: bool = False
    exploited_references: str = _text("exploited_references")
    disclosure_plans: str = _text("disclosure_plans")
    coordinator_comment: str = _text("coordinator_comment")
    website: str = Field(default="", max_length=500, description="Leave empty (a honeypot for robots).")

    @field_validator("reporter_email")
    @classmethod
    def _email(cls, value: str) -> str:
        value = value.strip()
        if value:
            try:
                validate_email(value)
            except ValidationError:
                raise ValueError("Enter a valid email address.")
        return value


class ReasonBody(Body):
    reason: str = Field(default="", max_length=2000)


class CreditBody(Body):
    """Only the fields sent change."""

    credit: bool | None = Field(default=None, description="Thank the reporter in the published note.")
    credit_name: str | None = Field(
        default=None,
        max_length=LIMITS["credit_name"],
        description="How to credit them; empty: their name, or 'an anonymous reporter' without one.",
    )


class DuplicateBody(Body):
    case: str = Field(max_length=32, description='The existing case, e.g. "VU#123456".')


class AssignBody(Body):
    analyst: int | None = Field(description="The analyst's user id, or null to unassign.")


class NoteBody(Body):
    text: str = Field(max_length=50_000)
    reply_to: int | None = Field(None, ge=1, description="The message answered (for example a request).")
    request: bool = Field(False, description="Analysts: a request for information, open until answered.")


class TriageBody(Body):
    values: dict[str, str] = Field(
        max_length=20, description="SSVC coordinator-triage decision point -> value, e.g. report_public: no."
    )
    chosen: Literal["decline", "track", "coordinate"]
    rationale: str = Field(default="", max_length=5000)


class PublishDecisionBody(Body):
    values: dict[str, str] = Field(
        max_length=20,
        description="SSVC coordinator-publish decision point -> value, e.g. exploitation: public poc.",
    )
    chosen: Literal["publish", "do not publish"]
    rationale: str = Field(default="", max_length=5000)


class CaseUpdate(Body):
    title: str | None = Field(default=None, max_length=300)
    summary: str | None = Field(default=None, max_length=100_000)


class VulnerabilityFields(Body):
    """Only the fields sent are changed. Invalid CVE, CWE or CVSS answers 400 with the reason."""

    title: str | None = Field(default=None, max_length=300)
    description: str | None = Field(default=None, max_length=100_000)
    cve: str | None = Field(default=None, max_length=32, description="CVE-2026-12345")
    cwe: str | None = Field(default=None, max_length=16, description="CWE-79")
    euvd: str | None = Field(default=None, max_length=40, description="EUVD-2026-12345")
    gcve: list[str] | None = Field(default=None, max_length=20, description='["GCVE-1-2026-0001"]')
    cvss3_vector: str | None = Field(default=None, max_length=200, description="CVSS:3.1/AV:N/…")
    cvss4_vector: str | None = Field(default=None, max_length=300, description="CVSS:4.0/AV:N/…")


class ProductCreate(Body):
    name: str = Field(max_length=300)
    version_range: str = Field(default="", max_length=200)
    purl: str = Field(default="", max_length=500, description="A package URL, e.g. pkg:pypi/django@5.2")


class AnalystsBody(Body):
    analysts: list[int] = Field(max_length=100, description="User ids of the assigned analysts.")
    owner: int | None = Field(default=None, description="User id of the owner (also assigned).")


class ContactAttemptBody(Body):
    at: AwareDatetime = Field(description="When the contact attempt was made, e.g. 2026-11-23T22:00:00Z.")
    note: str = Field(default="", max_length=2000)


class ProposeBody(Body):
    ends_at: AwareDatetime | None = Field(
        default=None, description="The exact end instant (required by the process; 409 without it)."
    )
    reason: str = Field(default="", max_length=5000)


class FactBody(Body):
    fact: Literal["P", "X", "A"] = Field(description="P public, X exploit public, A attacks observed.")
    evidence: str = Field(max_length=10_000, description="A URL or a description.")


class VendorFactBody(Body):
    fact: Literal["V", "F", "D"] = Field(description="V aware, F fix ready, D fix deployed.")


class PolicyUpdate(Body):
    disclosure_days: int | None = Field(default=None, ge=1, le=3650)
    exit_embargo_on_attacks: bool | None = None
    draft_share_days: int | None = Field(default=None, ge=0, le=365)
    page: str | None = Field(default=None, max_length=50_000, description="The policy page, in Markdown.")


# --- Responses ---------------------------------------------------------------------------------


class ReportCreated(BaseModel):
    id: str
    follow_url: str = Field(description="The private follow link. It holds a secret and is shown only once.")


class ReportOut(BaseModel):
    id: str
    state: RM
    created_at: Instant
    updated_at: Instant
    case: str | None = Field(description='The case it was accepted into or is a duplicate of, "VU#123456".')
    is_duplicate: bool
    assigned_to: int | None = Field(description="The assigned analyst's user id (shown to analysts only).")
    submitted_by: str | None = Field(description="The submitter's email, when logged in.")
    product: str
    version: str
    description: str
    reporter_name: str
    reporter_organization: str
    reporter_email: str
    reporter_pgp_key: str
    share_contact: bool
    credit: bool
    credit_name: str
    affected_vendors: str
    vendor_contacted: bool
    vendor_contacted_on: dt.date | None
    vendor_contact_summary: str
    coordinate_all_vendors: bool
    anonymous_to_vendors: bool
    exploitation: str
    impact: str
    discovery: str
    is_public: bool
    public_references: str
    is_exploited: bool
    exploited_references: str
    disclosure_plans: str
    coordinator_comment: str


class ReportNoteOut(BaseModel):
    id: int
    text: str
    from_reporter: bool
    author: str | None
    request: Literal["open", "answered", "closed"] | None = Field(
        None, description="Set on a request for information: its state."
    )
    created_at: Instant


class AttachmentOut(BaseModel):
    id: int
    name: str
    content_type: str
    size: int
    sha256: str
    created_at: Instant


class ReportDetail(ReportOut):
    notes: list[ReportNoteOut]
    attachments: list[AttachmentOut]


class DecisionOut(BaseModel):
    id: int
    table: Literal["triage", "publish"]
    values: dict[str, str]
    outcome: str = Field(description="The SSVC table's outcome for the values.")
    chosen: str = Field(description="The analyst's own choice.")
    rationale: str
    decided_by: str | None
    created_at: Instant


class Facts(BaseModel):
    P: Instant | None = Field(description="Public aware")
    X: Instant | None = Field(description="Exploit public")
    A: Instant | None = Field(description="Attacks observed")


class EmbargoOut(BaseModel):
    state: EM
    ends_at: Instant | None = Field(description="The agreed end instant; null when the state is none.")
    proposed_ends_at: Instant | None = Field(description="A pending proposal or revision.")
    proposal_reason: str
    termination_due: bool = Field(description="Attacks were confirmed: the analyst should end it.")


class ProductOut(BaseModel):
    id: int
    name: str
    version_range: str
    purl: str


class VulnerabilityOut(BaseModel):
    id: str = Field(description='"VU#123456.1"')
    seq: int
    cve: str
    cwe: str
    euvd: str
    gcve: list[str]
    cvss3_vector: str
    cvss3_score: float | None
    cvss4_vector: str
    cvss4_score: float | None
    title: str
    description: str
    products: list[ProductOut]


class RemindersOut(BaseModel):
    """A vendor's reminders, for the coordinator (accord.cases.reminders)."""

    muted: bool = Field(description="Automatic reminders to this vendor are muted.")
    last_response_at: Instant | None = Field(
        description="Its latest response (an answer, a statement, a question, accepting the embargo, "
        "its own V/F/D or tracking id); null when it never responded. Opening the case is no response."
    )
    silent_since: Instant | None = Field(
        description="When its silence started: its latest response, or its notification."
    )
    unopened_sent_at: Instant | None = Field(description="When the reminder to open the case went.")
    deadline_sent_at: Instant | None = Field(
        description="When the reminder that the target date is near (no statement yet) went."
    )
    final_sent_at: Instant | None = Field(description="When an analyst last sent the final reminder.")
    final_offered: bool = Field(
        description="A final reminder may be sent now (POST …/participants/{id}/final-reminder)."
    )


class ParticipantOut(BaseModel):
    id: int
    alias: str
    kind: str
    name: str | None = Field(
        description="The real name; null for anonymous participants (and reporters) unless you are a "
        "coordinator or one of its own members."
    )
    organization: int | None = Field(
        default=None, description="The organisation's id, given only where the real name is given."
    )
    anonymous: bool
    rm_state: RM | None = Field(
        description="Its report state; null where it is another vendor's that did not share its answer."
    )
    v_at: Instant | None = Field(description="When it was made aware (notified).")
    f_at: Instant | None = Field(description="Fix ready; null where hidden (an answer not shared).")
    d_at: Instant | None = Field(description="Fix deployed; null where hidden (an answer not shared).")
    first_contact_at: Instant | None
    embargo_answer: str
    answered: bool = Field(description="Whether it has answered (a vendor's answer was recorded).")
    unresponsive: bool | None = Field(
        default=None,
        description="Coordinator only (null for others and for non-vendors): no response for 14 days, "
        "and either the target date has passed or 6 weeks have gone by since its last response "
        "(counted from its notification when it never responded).",
    )
    reminders: RemindersOut | None = Field(
        default=None, description="Coordinator only (null for others and for non-vendors)."
    )


class CaseSummary(BaseModel):
    id: str = Field(description='"VU#123456"')
    number: int
    title: str
    owner: str | None = Field(
        description="The owner: an email for analysts, a name (or 'Coordinator') for others."
    )
    created_at: Instant
    updated_at: Instant
    first_contact_at: Instant | None
    target_publication_at: Instant | None = Field(description="null before any vendor was contacted.")
    disclosure_days: int | None
    facts: Facts
    embargo: EmbargoOut


class CaseTermsOut(BaseModel):
    """What a vendor sees of a case before its organisation accepts the Active embargo."""

    id: str = Field(description='"VU#123456"')
    embargo: EmbargoOut
    target_publication_at: Instant | None
    needs_embargo_answer: bool = Field(
        description="Always true here: accept (POST …/embargo/accept) or decline to go on."
    )


class CaseOut(CaseSummary):
    needs_embargo_answer: bool = Field(
        default=False, description="True only in the terms-only answer (CaseTermsOut)."
    )
    summary: str
    analysts: list[str] = Field(description="Emails for analysts; names (or 'Coordinator') for others.")
    quiet: bool
    vulnerabilities: list[VulnerabilityOut]
    participants: list[ParticipantOut]
    open_claims: int = Field(description="P, X or A claims waiting for an analyst.")


class EventOut(BaseModel):
    id: int
    kind: str
    created_at: Instant
    actor: str | None = Field(
        description="Who acted: an email for analysts; for others a name, an alias or 'Coordinator'."
    )
    participant: str | None = Field(
        default=None,
        description="The participant the event is about: its name, or its alias where it is anonymous to you.",
    )
    data: dict[str, Any]


class ClaimOut(BaseModel):
    id: int
    fact: Literal["P", "X", "A"]
    evidence: str
    status: Literal["open", "confirmed", "dismissed"]
    reported_by: str | None
    created_at: Instant
    confirmed_at: Instant | None
    dismissed_at: Instant | None


class PolicyChangeOut(BaseModel):
    key: str
    value: str
    changed_by: str | None
    changed_at: Instant


class PolicyOut(BaseModel):
    disclosure_days: int
    exit_embargo_on_attacks: bool
    draft_share_days: int
    page: str = Field(description="The policy page in Markdown; {disclosure_days} shows the live value.")
    history: list[PolicyChangeOut] | None = Field(description="Every change, for coordinator admins only.")


# --- Filling the responses: what each viewer may see (accord.cases.presenter decides) ---------------


def _score(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def embargo_out(case: Case) -> EmbargoOut:
    none = case.embargo_state == EM.NONE
    return EmbargoOut(
        state=EM(case.embargo_state),
        ends_at=None if none else case.embargo_ends_at,
        proposed_ends_at=case.embargo_proposed_ends_at,
        proposal_reason=case.embargo_proposal_reason,
        termination_due=case.embargo_termination_due,
    )


def _summary_fields(case: Case, viewer: Viewer) -> dict[str, Any]:
    return {
        "id": case.label,
        "number": case.number,
        "title": case.title,
        "owner": viewer.person(case.owner).api if case.owner else None,
        "created_at": case.created_at,
        "updated_at": case.updated_at,
        "first_contact_at": case.first_contact_at,
        "target_publication_at": case.target_publication_at,
        "disclosure_days": case.disclosure_days,
        "facts": Facts(P=case.p_at, X=case.x_at, A=case.a_at),
        "embargo": embargo_out(case),
    }


def case_summary(standing: Standing) -> CaseSummary | CaseTermsOut:
    """One case of a list; a vendor that has not accepted the Active embargo gets its terms."""
    if standing.embargo_pending:
        return case_terms(standing.case)
    return CaseSummary(**_summary_fields(standing.case, Viewer.of(standing)))


def case_terms(case: Case) -> CaseTermsOut:
    return CaseTermsOut(
        id=case.label,
        embargo=embargo_out(case),
        target_publication_at=case.target_publication_at,
        needs_embargo_answer=True,
    )


def vulnerability_out(case: Case, v: Vulnerability) -> VulnerabilityOut:
    return VulnerabilityOut(
        id=f"{case.label}.{v.seq}",
        seq=v.seq,
        cve=v.cve,
        cwe=v.cwe,
        euvd=v.euvd,
        gcve=list(v.gcve or []),
        cvss3_vector=v.cvss3_vector,
        cvss3_score=_score(v.cvss3_score),
        cvss4_vector=v.cvss4_vector,
        cvss4_score=_score(v.cvss4_score),
        title=v.title,
        description=v.description,
        products=[product_out(p) for p in v.products.all()],
    )


def product_out(p: AffectedProduct) -> ProductOut:
    return ProductOut(id=p.pk, name=p.name, version_range=p.version_range, purl=p.purl)


def reminders_out(state: ReminderState) -> RemindersOut:
    return RemindersOut(
        muted=state.muted,
        last_response_at=state.last_response_at,
        silent_since=state.silent_since,
        unopened_sent_at=state.unopened_sent_at,
        deadline_sent_at=state.deadline_sent_at,
        final_sent_at=state.final_sent_at,
        final_offered=state.final_offered,
    )


def participant_out(p: Participant, viewer: Viewer) -> ParticipantOut:
    """One participant as `viewer` may see it (on lists: load them with `participants_queryset`)."""
    shown = viewer.participant(p)
    reminders = viewer.reminders(p)
    return ParticipantOut(
        id=p.pk,
        alias=p.alias,
        kind=p.kind,
        name=shown.name,
        organization=shown.organization,
        anonymous=p.anonymous,
        rm_state=RM(shown.rm_state) if shown.rm_state else None,
        v_at=p.v_at,
        f_at=shown.f_at,
        d_at=shown.d_at,
        first_contact_at=p.first_contact_at,
        embargo_answer=p.embargo_answer,
        answered=shown.answered,
        unresponsive=reminders.unresponsive if reminders else None,
        reminders=reminders_out(reminders) if reminders else None,
    )


def participants_queryset(viewer: Viewer) -> QuerySet[Participant]:
    """Participants as participant_out reads them, in the query that loads them: for the
    coordinator also their responses and the unresponsive mark (accord.cases.reminders)."""
    queryset = Participant.objects.select_related("organization", "user", "answer")
    return with_responses(queryset) if viewer.staff else queryset


def case_out(standing: Standing) -> CaseOut:
    """The whole case in a constant number of queries, whatever the number of participants."""
    case = standing.case
    viewer = Viewer.of(standing)
    prefetch_related_objects(
        [case],
        "analysts",
        Prefetch("participants", queryset=participants_queryset(viewer)),
        Prefetch(
            "vulnerabilities",
            queryset=Vulnerability.objects.order_by("seq").prefetch_related(
                Prefetch("products", queryset=AffectedProduct.objects.order_by("id"))
            ),
        ),
    )
    analysts = sorted(case.analysts.all(), key=lambda a: a.email)
    open_claims = FactReport.objects.filter(
        case=case, confirmed_at__isnull=True, dismissed_at__isnull=True
    ).count()
    return CaseOut(
        **_summary_fields(case, viewer),
        summary=case.summary,
        analysts=[viewer.person(a).api for a in analysts],
        quiet=case.quiet,
        vulnerabilities=[vulnerability_out(case, v) for v in case.vulnerabilities.all()],
        participants=[participant_out(p, viewer) for p in case.participants.all()],
        open_claims=open_claims,
    )


def event_out(shown: Shown) -> EventOut:
    e = shown.event
    return EventOut(
        id=e.pk,
        kind=e.kind,
        created_at=e.created_at,
        actor=shown.who.api,
        participant=shown.participant,
        data=shown.data,
    )


def claim_status(claim: FactReport) -> str:
    if claim.confirmed_at is not None:
        return "confirmed"
    if claim.dismissed_at is not None:
        return "dismissed"
    return "open"


def claims_out(case: Case, claims: list[FactReport], viewer: Viewer) -> list[ClaimOut]:
    viewer.remember_actors(case.pk, [c.reported_by for c in claims])
    return [
        ClaimOut(
            id=claim.pk,
            fact=claim.fact,  # type: ignore[arg-type]
            evidence=claim.evidence,
            status=claim_status(claim),  # type: ignore[arg-type]
            reported_by=viewer.claimant(claim).api,
            created_at=claim.created_at,
            confirmed_at=claim.confirmed_at,
            dismissed_at=claim.dismissed_at,
        )
        for claim in claims
    ]


def decision_out(decision: SsvcDecision, viewer: Viewer) -> DecisionOut:
    return DecisionOut(
        id=decision.pk,
        table=decision.table,  # type: ignore[arg-type]
        values=decision.values,
        outcome=decision.outcome,
        chosen=decision.chosen,
        rationale=decision.rationale,
        decided_by=viewer.person(decision.decided_by).api if decision.decided_by else None,
        created_at=decision.created_at,
    )


def policy_out(user: Any) -> PolicyOut:
    values = policy.snapshot()
    history = None
    if getattr(user, "is_authenticated", False) and user.is_coordinator_admin:
        history = [
            PolicyChangeOut(
                key=change.key,
                value=change.value,
                changed_by=change.changed_by.email if change.changed_by else None,
                changed_at=change.changed_at,
            )
            for change in policy.history(limit=500)
        ]
    return PolicyOut(**values, history=history)

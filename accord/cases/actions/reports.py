"""Intake and triage: the report-management machine of process.md."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from accord.accounts.models import Organization, User, hash_secret
from accord.cases import search, ssvc
from accord.cases.access import ReporterKey
from accord.cases.events import record
from accord.cases.models import (
    AffectedProduct,
    Case,
    FactReport,
    Participant,
    Report,
    ReportAttachment,
    SsvcDecision,
    Vulnerability,
)
from accord.cases.states import RM, Fact, rm_next
from accord.core.access import require_analyst
from accord.lib.errors import InvalidInput, RuleViolation
from accord.lib.ids import new_case_number, new_report_id
from accord.lib.reasons import required_reason
from accord.mailgate import kinds

# Field limits shared by the form and the API.
LIMITS = {
    "reporter_name": 200,
    "reporter_organization": 200,
    "reporter_email": 254,
    "reporter_pgp_key": 100_000,
    "credit_name": 200,
    "affected_vendors": 5_000,
    "vendor_contact_summary": 20_000,
    "product": 300,
    "version": 200,
    "description": 100_000,
    "exploitation": 50_000,
    "impact": 20_000,
    "discovery": 20_000,
    "public_references": 5_000,
    "exploited_references": 5_000,
    "disclosure_plans": 20_000,
    "coordinator_comment": 20_000,
}
REQUIRED = ("product", "version", "description")


@dataclass
class Upload:
    name: str
    content: bytes
    content_type: str = "application/octet-stream"


@dataclass
class ReportInput:
    product: str
    version: str
    description: str
    reporter_name: str = ""
    reporter_organization: str = ""
    reporter_email: str = ""
    reporter_pgp_key: str = ""
    share_contact: bool = False
    credit: bool = True
    credit_name: str = ""
    affected_vendors: str = ""
    vendor_contacted: bool = False
    vendor_contacted_on: Any = None
    vendor_contact_summary: str = ""
    coordinate_all_vendors: bool = False
    anonymous_to_vendors: bool = False
    exploitation: str = ""
    impact: str = ""
    discovery: str = ""
    is_public: bool = False
    public_references: str = ""
    is_exploited: bool = False
    exploited_references: str = ""
    disclosure_plans: str = ""
    coordinator_comment: str = ""
    attachments: list[Upload] = field(default_factory=list)


def check_input(data: ReportInput) -> None:
    for name in REQUIRED:
        if not str(getattr(data, name) or "").strip():
            raise InvalidInput(name, "This field is required.")
    for name, limit in LIMITS.items():
        if len(str(getattr(data, name) or "")) > limit:
            raise InvalidInput(name, f"At most {limit:,} characters.")
    # "Credit me" without any name is no error: an anonymous reporter is thanked as one.
    if data.is_public and not data.public_references.strip():
        raise InvalidInput("public_references", "Give the references where it is public.")
    if len(data.attachments) > settings.REPORT_MAX_ATTACHMENTS:
        raise InvalidInput("attachments", f"At most {settings.REPORT_MAX_ATTACHMENTS} files.")
    for upload in data.attachments:
        lowered = upload.name.lower()
        if not any(lowered.endswith(ext) for ext in settings.REPORT_ATTACHMENT_TYPES):
            raise InvalidInput(
                "attachments",
                f"{upload.name}: this type of file is not accepted (allowed: "
                + ", ".join(settings.REPORT_ATTACHMENT_TYPES)
                + ").",
            )
        if len(upload.content) > settings.REPORT_MAX_ATTACHMENT_BYTES:
            raise InvalidInput(
                "attachments",
                f"{upload.name}: larger than {settings.REPORT_MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB.",
            )


def client_hash(client: str) -> str:
    """The submitting client (its address), keyed with the secret: counted for the rate limit, never stored plainly."""
    return hashlib.sha256(f"{settings.SECRET_KEY}:{client}".encode()).hexdigest()[:32]


def follow_url(key: str) -> str:
    return settings.SITE_URL + reverse("cases:report_follow", kwargs={"key": key})


# A dedicated salt: this HMAC of the secret key is used for nothing else.
FOLLOW_KEY_SALT = "accord.cases.report-follow-link"


def follow_key(report_id: str) -> str:
    """The secret of a report's follow link, derived from the instance's secret key and the id.

    Only its hash is stored (for the lookup), yet the link can be mailed again later. Whoever
    holds the secret key can derive every link, as they could forge any session already.
    """
    digest = salted_hmac(FOLLOW_KEY_SALT, report_id, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def derived_follow_key(report: Report) -> str | None:
    """The secret of the report's follow link, or None when it cannot be derived again.

    Reports filed before links were derived (or under an older secret key) have a random
    secret that only their acknowledgement mail and thank-you page ever held.
    """
    key = follow_key(report.pk)
    return key if constant_time_compare(hash_secret(key), report.access_key_hash) else None


def follow_link(report: Report) -> str | None:
    key = derived_follow_key(report)
    return follow_url(key) if key else None


@transaction.atomic
def submit_report(data: ReportInput, *, by: User | None, client: str = "") -> tuple[Report, str]:
    """Receive a report (Start -> Received). Returns it and the secret of its private follow link."""
    check_input(data)
    org = None
    if by is not None and by.is_authenticated:
        vendor_membership = by.memberships.filter(organization__kind=Organization.Kind.VENDOR).first()
        org = vendor_membership.organization if vendor_membership else None
    values = {name: getattr(data, name) for name in ReportInput.__dataclass_fields__ if name != "attachments"}
    for _ in range(5):
        report_id = new_report_id(timezone.now().year)
        key = follow_key(report_id)
        try:
            with transaction.atomic():
                report = Report.objects.create(
                    id=report_id,
                    state=rm_next(RM.START, "receive"),
                    submitted_by=by if by is not None and by.is_authenticated else None,
                    submitted_by_org=org,
                    access_key_hash=hash_secret(key),
                    client_hash=client_hash(client),
                    **values,
                )
            break
        except IntegrityError:  # an id collision: draw again
            continue
    else:
        raise RuntimeError("could not draw a free report id")
    for upload in data.attachments:
        attachment = ReportAttachment(
            report=report,
            name=upload.name[:255],
            content_type=upload.content_type[:100],
            size=len(upload.content),
            sha256=hashlib.sha256(upload.content).hexdigest(),
        )
        attachment.file.save(f"{report.id}-{secrets.token_hex(4)}", ContentFile(upload.content), save=False)
        attachment.save()
    search.index_report(report)
    record(
        "report.received",
        report=report,
        actor=by,
        old=RM.START,
        new=report.state,
        attachments=len(data.attachments),
    )
    kinds.report_received(report, follow_url(key))
    return report, key


def recent_reports_from(client: str, *, hours: int = 1) -> int:
    digest = client_hash(client)
    since = timezone.now() - dt.timedelta(hours=hours)
    return Report.objects.filter(client_hash=digest, created_at__gte=since).count()


def _move(report: Report, action: str, *, by: User, reason_for: str | None = None, **data: Any) -> Report:
    """One RM step. `reason_for`: the step is irreversible and needs a reason (its words, e.g.
    "to close the report"), checked after the rules so that a refused step names its rule."""
    require_analyst(by)
    report = Report.objects.select_for_update().get(pk=report.pk)
    old = report.state
    new = rm_next(old, action)
    if reason_for is not None:
        data["reason"] = required_reason(data.get("reason"), reason_for)
    report.state = new
    report.save(update_fields=["state", "updated_at"])
    if report.case_id is not None and not report.is_duplicate:
        # The case's own report is the coordinator's RM state in that case: a deferred or
        # closed coordinator may no longer bring others in. (The embargo is not touched.)
        ours = (
            Participant.objects.filter(case_id=report.case_id, kind=Participant.Kind.COORDINATOR)
            .order_by("id")
            .first()
        )
        if ours is not None:
            ours.rm_state = report.state
            ours.save(update_fields=["rm_state"])
    record(f"report.{action}", report=report, case=report.case, actor=by, old=old, new=report.state, **data)
    return report


@transaction.atomic
def validate_report(report: Report, *, by: User) -> Report:
    return _move(report, "validate", by=by)


@transaction.atomic
def invalidate_report(report: Report, *, by: User, reason: str = "") -> Report:
    """Received -> Invalid. The reason is required: the reporter reads it on their follow page."""
    return _move(report, "invalidate", by=by, reason=reason, reason_for="why the report is invalid")


@transaction.atomic
def defer_report(report: Report, *, by: User, reason: str = "") -> Report:
    return _move(report, "defer", by=by, reason=reason[:2000])


@transaction.atomic
def close_report(report: Report, *, by: User, reason: str = "") -> Report:
    """Accepted, Deferred or Invalid -> Closed, for good. The reason is required."""
    return _move(report, "close", by=by, reason=reason, reason_for="to close the report")


def _coordinator_org(by: User) -> Organization | None:
    membership = by.memberships.filter(organization__kind=Organization.Kind.COORDINATOR).first()
    if membership:
        return membership.organization
    return Organization.objects.filter(kind=Organization.Kind.COORDINATOR).order_by("id").first()


def _new_case_number() -> int:
    for _ in range(50):
        number = new_case_number()
        if not Case.objects.filter(number=number).exists():
            return number
    raise RuntimeError("no free case number found")


@transaction.atomic
def accept_report(report: Report, *, by: User) -> Case:
    """Accept a report into a new case with its first vulnerability (.1).

    A report still Received is validated first; both steps are on the timeline.
    """
    require_analyst(by)
    report = Report.objects.select_for_update().get(pk=report.pk)
    if report.state == RM.RECEIVED:
        report = _move(report, "validate", by=by)
    new_state = rm_next(report.state, "accept")
    if report.case_id is not None:
        if report.is_duplicate:
            raise RuleViolation("report-has-case", f"This report already belongs to {report.case}")
        # Accepted, then deferred: accepting again resumes its own case (Deferred -> Accepted).
        case = Case.objects.get(pk=report.case_id)
        report = _move(report, "accept", by=by, case_number=case.number)
        kinds.report_accepted(report, case, follow_link(report))
        return case
    case = Case.objects.create(number=_new_case_number(), title=report.title[:300], owner=by)
    case.analysts.add(by)
    vulnerability = Vulnerability.objects.create(
        case=case, seq=1, title=report.title[:300], description=report.description
    )
    AffectedProduct.objects.create(
        vulnerability=vulnerability, name=report.product, version_range=report.version
    )
    coordinator = _coordinator_org(by)
    Participant.objects.create(
        case=case,
        kind=Participant.Kind.COORDINATOR,
        organization=coordinator,
        alias="Coordinator",
        rm_state=RM.ACCEPTED,
        embargo_answer=Participant.EmbargoAnswer.ACCEPTED,
        user=None if coordinator else by,
    )
    if report.submitted_by_org_id and report.coordinate_all_vendors:
        # A vendor asked us to coordinate its component's flaw with everyone who ships it.
        submitter = Participant.objects.create(
            case=case,
            kind=Participant.Kind.VENDOR,
            organization=report.submitted_by_org,
            alias="Vendor A",
            anonymous=report.anonymous_to_vendors,
            rm_state=RM.ACCEPTED,
            embargo_answer=Participant.EmbargoAnswer.ACCEPTED,
        )
    else:
        submitter = Participant.objects.create(
            case=case,
            kind=Participant.Kind.REPORTER,
            user=report.submitted_by,
            report=report,
            alias="Reporter",
            rm_state=RM.ACCEPTED,
            embargo_answer=Participant.EmbargoAnswer.ACCEPTED,
        )
    # The conversation with the reporter so far continues in the case, as the reporter's private thread.
    from accord.conversation.models import Thread

    reporter_side = submitter if submitter.kind == Participant.Kind.REPORTER else None
    Thread.objects.filter(report=report).update(case=case, participant=reporter_side)
    # What the reporter says about publicity and exploitation are claims to confirm.
    claims = []
    if report.is_public:
        claims.append((Fact.P, report.public_references or "reported public"))
    if report.is_exploited:
        claims.append((Fact.A, report.exploited_references or "reported exploited"))
    for fact, evidence in claims:
        FactReport.objects.create(
            case=case, fact=fact, evidence=evidence, reported_by=report.submitted_by, participant=submitter
        )
    old = report.state
    report.state = new_state
    report.case = case
    report.save(update_fields=["state", "case", "updated_at"])
    record(
        "report.accept",
        report=report,
        case=case,
        actor=by,
        old=old,
        new=new_state,
        case_number=case.number,
        claims=[str(fact) for fact, _ in claims],
    )
    kinds.report_accepted(report, case, follow_link(report))
    return case


@transaction.atomic
def mark_duplicate(report: Report, case: Case, *, by: User) -> Report:
    """A duplicate becomes Valid and links to the case; it is never marked Invalid."""
    require_analyst(by)
    report = Report.objects.select_for_update().get(pk=report.pk)
    old = report.state
    if old in (RM.RECEIVED, RM.INVALID):
        report.state = rm_next(old, "validate")
    elif old != RM.VALID:
        raise RuleViolation(
            "rm-duplicate",
            f"A report in state {RM(old).label} cannot be marked a duplicate; it must be Received, "
            "Invalid or Valid",
        )
    if report.case_id is not None:
        raise RuleViolation("report-has-case", f"This report already belongs to {report.case}")
    report.case = case
    report.is_duplicate = True
    report.save(update_fields=["state", "case", "is_duplicate", "updated_at"])
    record(
        "report.duplicate",
        report=report,
        case=case,
        actor=by,
        old=old,
        new=report.state,
        case_number=case.number,
    )
    return report


@transaction.atomic
def assign_report(report: Report, analyst: User | None, *, by: User) -> Report:
    require_analyst(by)
    if analyst is not None and not analyst.is_analyst:
        raise InvalidInput("analyst", f"{analyst.email} is not an analyst.")
    old = report.assigned_to.email if report.assigned_to else None
    report.assigned_to = analyst
    report.save(update_fields=["assigned_to", "updated_at"])
    record("report.assigned", report=report, actor=by, old=old, new=analyst.email if analyst else None)
    return report


@transaction.atomic
def _may_speak_for_reporter(report: Report, by: Any) -> bool:
    """The report's reporter: through its follow secret, or signed in as its submitter."""
    if isinstance(by, ReporterKey):
        return by.report.pk == report.pk
    return bool(
        getattr(by, "is_authenticated", False)
        and report.submitted_by_id is not None
        and by.pk == report.submitted_by_id
    )


@transaction.atomic
def set_credit(report: Report, credit: bool, credit_name: str = "", *, by: Any) -> Report:
    """The reporter's credit preference in the published note: credited (as `credit_name`, else
    their name, else "an anonymous reporter") or not at all (process.md "Anonymity in multiparty
    cases"). The reporter changes it (signed in, or with the follow link's secret: `by` is then a
    ReporterKey); an analyst may record it for them. Only the coordinator and the reporter read it
    on the timeline: a pseudonym is no business of the vendors before publication."""
    if not _may_speak_for_reporter(report, by):
        require_analyst(by)
    if not isinstance(credit, bool):
        raise InvalidInput("credit", "Say yes (true) or no (false).")
    credit_name = " ".join(str(credit_name or "").split())
    if len(credit_name) > LIMITS["credit_name"]:
        raise InvalidInput("credit_name", f"At most {LIMITS['credit_name']:,} characters.")
    report = Report.objects.select_for_update().get(pk=report.pk)
    old = {"credit": report.credit, "credit_name": report.credit_name}
    new = {"credit": credit, "credit_name": credit_name}
    if old == new:
        return report
    report.credit, report.credit_name = credit, credit_name
    report.save(update_fields=["credit", "credit_name", "updated_at"])
    record(
        "report.credit",
        report=report,
        case=report.case,
        actor=by,
        participant=report.participants.filter(kind=Participant.Kind.REPORTER).first(),
        old=old,
        new=new,
    )
    return report


@transaction.atomic
def record_triage(
    report: Report, values: dict[str, str], chosen: str, *, by: User, rationale: str = ""
) -> SsvcDecision:
    """Record the SSVC coordinator-triage values, the table's outcome and the analyst's own choice."""
    require_analyst(by)
    try:
        outcome = ssvc.triage_outcome(values)
    except ssvc.SsvcInputError as exc:
        raise InvalidInput(exc.point or "values", str(exc))
    outcomes = ssvc.COORDINATOR_TRIAGE.outcome_values
    if chosen not in outcomes:
        raise InvalidInput("chosen", f"Choose one of {', '.join(outcomes)}.")
    decision = SsvcDecision.objects.create(
        table=SsvcDecision.Table.TRIAGE,
        report=report,
        case=report.case,
        values=dict(values),
        outcome=outcome,
        chosen=chosen,
        rationale=rationale[:5000],
        decided_by=by,
    )
    record(
        "ssvc.triage",
        report=report,
        case=report.case,
        actor=by,
        values=dict(values),
        outcome=outcome,
        chosen=chosen,
    )
    return decision

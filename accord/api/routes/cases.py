"""Cases: detail, timeline, vulnerabilities, analysts, contact attempts, embargo, facts, SSVC, policy.

Every case is fetched through accord.cases.access (404 for missing and not yours alike) and
every change goes through accord.cases.actions. The answers are filled by
accord.api.case_schemas, which decides what each viewer may see of people.
"""

from __future__ import annotations

import re
from typing import Literal

from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Router, Status
from pydantic import Field

from accord.accounts.models import User
from accord.api.auth import caller, rule
from accord.api.base import check_if_match, etag_of, paginate, set_etag
from accord.api.case_schemas import (
    AnalystsBody,
    Body,
    CaseOut,
    CaseSummary,
    CaseTermsOut,
    CaseUpdate,
    ClaimOut,
    ContactAttemptBody,
    DecisionOut,
    EventOut,
    FactBody,
    ParticipantOut,
    PolicyOut,
    PolicyUpdate,
    ProductCreate,
    ProductOut,
    ProposeBody,
    PublishDecisionBody,
    ReasonBody,
    VendorFactBody,
    VulnerabilityFields,
    VulnerabilityOut,
    case_out,
    case_summary,
    case_terms,
    claims_out,
    decision_out,
    event_out,
    participant_out,
    participants_queryset,
    policy_out,
    product_out,
    vulnerability_out,
)
from accord.api.errors import ApiError
from accord.api.schemas import Error, ReasonRequired, page_of
from accord.cases import actions, policy
from accord.cases.access import Standing, access_case, cases_visible_to, standings_of
from accord.cases.actions.participants import answer_embargo
from accord.cases.events import KINDS
from accord.cases.models import Case, CaseEvent, FactReport, Participant, Vulnerability
from accord.cases.presenter import Viewer
from accord.cases.states import EM
from accord.lib.errors import RuleViolation
from accord.lib.ids import MAX_ID, parse_vulnerability_ref

router = Router(tags=["cases"])


READ = {200: CaseOut, 400: Error, 401: Error, 404: Error}
WRITE = {200: CaseOut, 400: Error, 401: Error, 403: Error, 404: Error, 409: Error}


def case_etag(case: Case) -> str:
    return etag_of(case, case.updated_at.isoformat())


def answer_case(response: HttpResponse, standing: Standing) -> CaseOut:
    """The case, with its ETag (for If-Match) set on the answer."""
    set_etag(response, case_etag(standing.case))
    return case_out(standing)


# --- Lookups -----------------------------------------------------------------------------------


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _vulnerability(case: Case, ref: str) -> Vulnerability:
    """`{vuln}`: "VU#123456.2" (of this case) or "2"."""
    ref = (ref or "").strip()
    if re.fullmatch(r"[0-9]{1,4}", ref):
        seq = int(ref)
    else:
        parsed = parse_vulnerability_ref(ref)
        if parsed is None or parsed[0] != case.number:
            raise Http404("No such vulnerability.")
        seq = parsed[1]
    vulnerability = case.vulnerabilities.filter(seq=seq).first()
    if vulnerability is None:
        raise Http404("No such vulnerability.")
    return vulnerability


def _claim(case: Case, claim_id: int) -> FactReport:
    claim = FactReport.objects.filter(case=case, pk=claim_id).first() if 0 < claim_id <= MAX_ID else None
    if claim is None:
        raise Http404("No such claim.")
    return claim


def _participant(case: Case, participant_id: int) -> Participant:
    found = None
    if 0 < participant_id <= MAX_ID:
        found = case.participants.select_related("organization").filter(pk=participant_id).first()
    if found is None:
        raise Http404("No such participant.")
    return found


def _users(ids: list[int], field_name: str) -> list[User]:
    wanted = list(dict.fromkeys(ids))
    found = {u.pk: u for u in User.objects.filter(pk__in=[i for i in wanted if 0 < i <= MAX_ID])}
    missing = [str(i) for i in wanted if i not in found]
    if missing:
        message = f"No user with id {', '.join(missing)}."
        raise ApiError(400, message, [{"field": field_name, "message": message}])
    return [found[i] for i in wanted]


# --- Cases ---------------------------------------------------------------------------------------


@router.get(
    "/cases",
    response={200: page_of(CaseSummary | CaseTermsOut, "CaseListItem"), 400: Error, 401: Error},
    summary="The cases the caller may see",
    description="Analysts see every case; others the cases they participate in. A case whose "
    "Active embargo the caller's organisation has not accepted yet is listed by its terms only "
    "(id, embargo, target_publication_at, needs_embargo_answer). "
    "`mine=true` keeps an analyst's own and assigned cases.",
    auth=rule("authenticated"),
)
def list_cases(
    request: HttpRequest,
    embargo: EM | None = None,
    mine: bool = False,
    cursor: str | None = None,
    limit: int | None = None,
) -> dict:
    user = _user(request)
    queryset = cases_visible_to(user).select_related("owner")
    if embargo:
        queryset = queryset.filter(embargo_state=embargo)
    if mine and user.is_analyst:
        queryset = queryset.filter(pk__in=Case.objects.filter(Q(owner=user) | Q(analysts=user)).values("pk"))
    return paginate(
        queryset,
        ordering=("-created_at", "-id"),
        cursor=cursor,
        limit=limit,
        serialize=lambda page: [case_summary(s) for s in standings_of(user, page).values()],
    )


@router.get(
    "/cases/{case}",
    response={**READ, 200: CaseOut | CaseTermsOut},
    summary="A case: dates, embargo, facts, vulnerabilities and participants",
    description="`{case}` is VU123456, VU%23123456 or 123456. The answer carries an ETag for If-Match. "
    "A vendor whose organisation has not yet accepted the Active embargo gets only the terms "
    "(id, embargo, target_publication_at, needs_embargo_answer: true) until it accepts. "
    "The reporter may call it with the report's follow secret (`Authorization: Bearer <secret>`): "
    "its report's case only, as a participant sees it.",
    auth=rule("object:case-or-follow"),
)
def get_case(request: HttpRequest, response: HttpResponse, case: str) -> CaseOut | CaseTermsOut:
    standing = access_case(caller(request), case, need="terms")
    if standing.embargo_pending:
        return case_terms(standing.case)
    return answer_case(response, standing)


@router.patch(
    "/cases/{case}",
    response={**WRITE, 412: Error},
    summary="Change the title or summary (If-Match honoured)",
    auth=rule("analyst"),
)
def patch_case(request: HttpRequest, response: HttpResponse, case: str, payload: CaseUpdate) -> CaseOut:
    user = _user(request)
    standing = access_case(user, case, need="write")
    found = standing.case
    check_if_match(request, case_etag(found))
    changes = {
        name: value
        for name, value in payload.model_dump(exclude_unset=True).items()
        if value is not None and value != getattr(found, name)
    }
    if changes:
        found = actions.update_case(found, by=user, **changes)
    return answer_case(response, standing.over(found))


@router.get(
    "/cases/{case}/events",
    response={200: page_of(EventOut), 400: Error, 401: Error, 404: Error},
    summary="The case's timeline, oldest first",
    description="The events you may see. The reporter may call it with the report's follow secret.",
    auth=rule("object:case-or-follow"),
)
def list_events(
    request: HttpRequest,
    case: str,
    kind: str | None = None,
    cursor: str | None = None,
    limit: int | None = None,
) -> dict:
    standing = access_case(caller(request), case)
    viewer = Viewer.of(standing)
    queryset = viewer.visible_events(
        CaseEvent.objects.filter(case=standing.case).select_related(
            "actor", "participant__organization", "participant__user"
        )
    )
    if kind:
        if kind not in KINDS:
            message = (
                f"{kind[:40]!r} is not an event kind (accord.cases.events.KINDS), e.g. embargo.proposed."
            )
            raise ApiError(400, message, [{"field": "kind", "message": message}])
        queryset = queryset.filter(kind=kind)
    return paginate(
        queryset,
        ordering=("created_at", "id"),
        cursor=cursor,
        limit=limit,
        serialize=lambda page: [event_out(shown) for shown in viewer.show_all(page)],
    )


# --- Vulnerabilities -----------------------------------------------------------------------------


@router.post(
    "/cases/{case}/vulnerabilities",
    response={201: VulnerabilityOut, 400: Error, 401: Error, 403: Error, 404: Error, 409: Error},
    summary="Add a vulnerability (VU#123456.N)",
    auth=rule("analyst"),
)
def add_vulnerability(
    request: HttpRequest, case: str, payload: VulnerabilityFields
) -> Status[VulnerabilityOut]:
    user = _user(request)
    found = access_case(user, case, need="write").case
    fields = {k: v or "" for k, v in payload.model_dump(exclude_unset=True).items()}
    vulnerability = actions.add_vulnerability(found, by=user, **fields)
    return Status(201, vulnerability_out(found, vulnerability))


@router.patch(
    "/cases/{case}/vulnerabilities/{vuln}",
    response={200: VulnerabilityOut, 400: Error, 401: Error, 403: Error, 404: Error, 409: Error, 412: Error},
    summary="Change a vulnerability; only the fields sent change (If-Match honoured)",
    description='`{vuln}` is "VU#123456.2" (URL-encoded) or "2".',
    auth=rule("analyst"),
)
def patch_vulnerability(
    request: HttpRequest, response: HttpResponse, case: str, vuln: str, payload: VulnerabilityFields
) -> VulnerabilityOut:
    user = _user(request)
    found = access_case(user, case, need="write").case
    vulnerability = _vulnerability(found, vuln)
    check_if_match(request, etag_of(vulnerability, vulnerability.updated_at.isoformat()))
    fields = {k: v or "" for k, v in payload.model_dump(exclude_unset=True).items()}
    if fields:
        vulnerability = actions.update_vulnerability(vulnerability, by=user, **fields)
    set_etag(response, etag_of(vulnerability, vulnerability.updated_at.isoformat()))
    return vulnerability_out(found, vulnerability)


@router.post(
    "/cases/{case}/vulnerabilities/{vuln}/products",
    response={201: ProductOut, 400: Error, 401: Error, 403: Error, 404: Error, 409: Error},
    summary="Add an affected product, optionally with a package URL",
    auth=rule("analyst"),
)
def add_product(request: HttpRequest, case: str, vuln: str, payload: ProductCreate) -> Status[ProductOut]:
    user = _user(request)
    vulnerability = _vulnerability(access_case(user, case, need="write").case, vuln)
    product = actions.add_product(
        vulnerability, payload.name, by=user, version_range=payload.version_range, purl=payload.purl
    )
    return Status(201, product_out(product))


# --- Analysts and contact ------------------------------------------------------------------------


@router.put(
    "/cases/{case}/analysts",
    response=WRITE,
    summary="Set the assigned analysts (and optionally the owner)",
    auth=rule("analyst"),
)
def put_analysts(request: HttpRequest, response: HttpResponse, case: str, payload: AnalystsBody) -> CaseOut:
    user = _user(request)
    standing = access_case(user, case, need="write")
    analysts = _users(payload.analysts, "analysts")
    owner = _users([payload.owner], "owner")[0] if payload.owner is not None else None
    found = actions.assign_analysts(standing.case, analysts, by=user, owner=owner)
    return answer_case(response, standing.over(found))


@router.post(
    "/cases/{case}/contact-attempts",
    response={**WRITE, 201: CaseOut},
    summary="Record a contact attempt made outside Accord",
    description="The first contact attempt fixes the target publication date (at + the policy's days) "
    "and starts Accord's default embargo, Active until that date, unless an embargo already stands. "
    "Answers the case.",
    auth=rule("analyst"),
)
def record_contact(
    request: HttpRequest, response: HttpResponse, case: str, payload: ContactAttemptBody
) -> Status[CaseOut]:
    user = _user(request)
    standing = access_case(user, case, need="write")
    found = actions.record_contact_attempt(
        standing.case, by=user, at=payload.at, outside=True, note=payload.note
    )
    return Status(201, answer_case(response, standing.over(found)))


@router.post(
    "/cases/{case}/apply-policy",
    response=WRITE,
    summary="Apply the current disclosure policy to this open case",
    description="Recomputes the target publication date (and an active embargo's end) from the first "
    "contact attempt and today's policy. Open cases otherwise keep their dates.",
    auth=rule("analyst"),
)
def apply_policy(request: HttpRequest, response: HttpResponse, case: str) -> CaseOut:
    user = _user(request)
    standing = access_case(user, case, need="write")
    found = actions.apply_policy(standing.case, by=user)
    return answer_case(response, standing.over(found))


# --- Embargo ------------------------------------------------------------------------------------


@router.post(
    "/cases/{case}/embargo/propose",
    response=WRITE,
    summary="Propose, counter or revise the embargo",
    description="Any participant may propose an exact end instant with a reason; so may the reporter, "
    "also with the report's follow secret (`Authorization: Bearer <secret>`). While a revision is "
    "pending the current terms stay in force. A proposal without ends_at is refused (409).",
    auth=rule("object:case-or-follow"),
)
def propose_embargo(request: HttpRequest, response: HttpResponse, case: str, payload: ProposeBody) -> CaseOut:
    who = caller(request)
    standing = access_case(who, case, need="act")
    found = actions.propose_embargo(standing.case, payload.ends_at, by=who, reason=payload.reason)
    return answer_case(response, standing.over(found))


@router.post(
    "/cases/{case}/embargo/accept",
    response=WRITE,
    summary="Accept the embargo: an analyst accepts the proposed terms; a vendor joins the Active embargo",
    description="Two meanings, by caller. **An analyst** accepts the proposed terms: Proposed becomes "
    "Active, and a pending revision becomes the Active terms (the coordinator accepting the proposal). "
    "**A participant's member** records that their organisation accepts the Active embargo until its "
    'stated end instant (process.md "Joining an embargo"); only then does the organisation see the '
    "case's details. Each organisation answers once (409 embargo-answer-once); without an Active "
    "embargo the answer is 409 embargo-active. Answers the case.",
    auth=rule("object:case"),
)
def accept_embargo(request: HttpRequest, response: HttpResponse, case: str) -> CaseOut:
    user = _user(request)
    standing = access_case(user, case, need="terms")
    if standing.staff:
        found = actions.accept_embargo(standing.case, by=user)
        return answer_case(response, standing.over(found))
    answer_embargo(_own_vendor(standing), accept=True, by=user)
    return answer_case(response, access_case(user, case))


class EmbargoAnswerOut(Body):
    case: str = Field(description='"VU#123456"')
    participant: int
    embargo_answer: Literal["invited", "accepted", "declined"]


@router.post(
    "/cases/{case}/embargo/decline",
    response={200: EmbargoAnswerOut, 401: Error, 403: Error, 404: Error, 409: Error},
    summary="A vendor declines the Active embargo for its organisation",
    description="The organisation then sees nothing more of the case (it answers 404 from now on) and "
    "the case's analysts are told. Participant members only: an analyst gets 409 participant-member "
    "(analysts reject proposals with …/embargo/reject).",
    auth=rule("object:case"),
)
def decline_embargo(request: HttpRequest, case: str) -> EmbargoAnswerOut:
    user = _user(request)
    standing = access_case(user, case, need="terms")
    if standing.staff:
        raise RuleViolation(
            "participant-member",
            "Only a participant's members decline an embargo; an analyst rejects a proposal instead",
        )
    participant = answer_embargo(_own_vendor(standing), accept=False, by=user)
    return EmbargoAnswerOut(
        case=standing.case.label,
        participant=participant.pk,
        embargo_answer=participant.embargo_answer,  # type: ignore[arg-type]
    )


def _own_vendor(standing: Standing) -> Participant:
    if standing.vendor is None:
        raise RuleViolation("participant-member", "Only a vendor's members answer the embargo for it")
    return standing.vendor


@router.post(
    "/cases/{case}/embargo/reject",
    response=WRITE,
    summary="Reject the proposal (Proposed falls back to None; a revision leaves the old terms)",
    auth=rule("analyst"),
)
def reject_embargo(request: HttpRequest, response: HttpResponse, case: str, payload: ReasonBody) -> CaseOut:
    user = _user(request)
    standing = access_case(user, case, need="write")
    found = actions.reject_embargo(standing.case, by=user, reason=payload.reason)
    return answer_case(response, standing.over(found))


@router.post(
    "/cases/{case}/embargo/terminate",
    response=WRITE,
    summary="End the embargo now (ending at a later instant is a revision)",
    description="Terminating cannot be undone: no new embargo follows an eXited one. The reason "
    "(required) goes on the case's timeline, which the participants read.",
    auth=rule("analyst"),
)
def terminate_embargo(
    request: HttpRequest, response: HttpResponse, case: str, payload: ReasonRequired
) -> CaseOut:
    user = _user(request)
    standing = access_case(user, case, need="write")
    found = actions.terminate_embargo(standing.case, by=user, reason=payload.reason)
    return answer_case(response, standing.over(found))


# --- Facts --------------------------------------------------------------------------------------


@router.post(
    "/cases/{case}/facts",
    response={201: ClaimOut, 400: Error, 401: Error, 404: Error, 409: Error},
    summary="Report P, X or A with evidence",
    description="From an analyst it takes effect at once (status confirmed), with its embargo "
    "consequences. From anyone else it is a claim (status open) until an analyst confirms it.",
    auth=rule("object:case"),
)
def report_fact(request: HttpRequest, case: str, payload: FactBody) -> Status[ClaimOut]:
    user = _user(request)
    standing = access_case(user, case, need="act")
    claim = actions.report_fact(standing.case, payload.fact, payload.evidence, by=user)
    return Status(201, claims_out(standing.case, [claim], Viewer.of(standing))[0])


@router.get(
    "/cases/{case}/facts",
    response={200: page_of(ClaimOut), 400: Error, 401: Error, 404: Error},
    summary="The P, X and A reports and claims of the case, oldest first",
    auth=rule("object:case"),
)
def list_claims(
    request: HttpRequest,
    case: str,
    status: Literal["open", "confirmed", "dismissed"] | None = None,
    cursor: str | None = None,
    limit: int | None = None,
) -> dict:
    standing = access_case(_user(request), case)
    found = standing.case
    viewer = Viewer.of(standing)
    queryset = FactReport.objects.filter(case=found).select_related(
        "reported_by", "participant__organization", "participant__user"
    )
    if status == "open":
        queryset = queryset.filter(confirmed_at__isnull=True, dismissed_at__isnull=True)
    elif status == "confirmed":
        queryset = queryset.filter(confirmed_at__isnull=False)
    elif status == "dismissed":
        queryset = queryset.filter(dismissed_at__isnull=False)
    return paginate(
        queryset,
        ordering=("created_at", "id"),
        cursor=cursor,
        limit=limit,
        serialize=lambda page: claims_out(found, page, viewer),
    )


@router.post(
    "/cases/{case}/facts/{claim_id}/confirm",
    response={200: ClaimOut, 401: Error, 403: Error, 404: Error, 409: Error},
    summary="Confirm a claim: the fact takes effect, with its embargo consequences",
    auth=rule("analyst"),
)
def confirm_claim(request: HttpRequest, case: str, claim_id: int) -> ClaimOut:
    user = _user(request)
    standing = access_case(user, case, need="write")
    claim = actions.confirm_fact(_claim(standing.case, claim_id), by=user)
    return claims_out(standing.case, [claim], Viewer.of(standing))[0]


@router.post(
    "/cases/{case}/facts/{claim_id}/dismiss",
    response={200: ClaimOut, 400: Error, 401: Error, 403: Error, 404: Error, 409: Error},
    summary="Dismiss a claim",
    auth=rule("analyst"),
)
def dismiss_claim(request: HttpRequest, case: str, claim_id: int, payload: ReasonBody) -> ClaimOut:
    user = _user(request)
    standing = access_case(user, case, need="write")
    claim = actions.dismiss_fact(_claim(standing.case, claim_id), by=user, reason=payload.reason)
    return claims_out(standing.case, [claim], Viewer.of(standing))[0]


@router.post(
    "/cases/{case}/participants/{participant_id}/facts",
    response={200: ParticipantOut, 400: Error, 401: Error, 404: Error, 409: Error},
    summary="Set a vendor's V (aware), F (fix ready) or D (fix deployed)",
    description="In order (V before F before D), each once; by that vendor's members or an analyst.",
    auth=rule("object:case"),
)
def set_vendor_fact(
    request: HttpRequest, case: str, participant_id: int, payload: VendorFactBody
) -> ParticipantOut:
    user = _user(request)
    standing = access_case(user, case, need="act")
    participant = _participant(standing.case, participant_id)
    participant = actions.set_vendor_fact(participant, payload.fact, by=user)
    viewer = Viewer.of(standing)
    return participant_out(participants_queryset(viewer).get(pk=participant.pk), viewer)


# --- SSVC and policy ----------------------------------------------------------------------------


@router.post(
    "/cases/{case}/ssvc/publish",
    response={201: DecisionOut, 400: Error, 401: Error, 403: Error, 404: Error, 409: Error},
    summary="Record the SSVC coordinator-publish decision",
    description="Records the values, the table's outcome and the analyst's own choice (advice only).",
    auth=rule("analyst"),
)
def ssvc_publish(request: HttpRequest, case: str, payload: PublishDecisionBody) -> Status[DecisionOut]:
    user = _user(request)
    standing = access_case(user, case, need="write")
    decision = actions.record_publish_decision(
        standing.case, payload.values, payload.chosen, by=user, rationale=payload.rationale
    )
    return Status(201, decision_out(decision, Viewer.of(standing)))


@router.get(
    "/policy",
    response={200: PolicyOut},
    summary="The disclosure policy in force (with its history for coordinator admins)",
    tags=["policy"],
    auth=rule("public"),
)
def get_policy(request: HttpRequest) -> PolicyOut:
    return policy_out(request.user)


@router.put(
    "/policy",
    response={200: PolicyOut, 400: Error, 401: Error, 403: Error},
    summary="Change the disclosure policy (coordinator admins)",
    description="Only the fields sent change; every change is kept with its author and time. A change "
    "applies to cases first contacted after it; open cases keep their dates until apply-policy.",
    tags=["policy"],
    auth=rule("coordinator-admin"),
)
def put_policy(request: HttpRequest, payload: PolicyUpdate) -> PolicyOut:
    user = _user(request)
    current = policy.snapshot()
    with transaction.atomic():
        for name, value in payload.model_dump(exclude_unset=True).items():
            if value is not None and value != current[name]:
                policy.set_policy(name, value, by=user)
    return policy_out(user)

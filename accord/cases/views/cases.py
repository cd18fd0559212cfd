"""The case page and the forms on it. Every change calls an action; refusals name their rule."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accord.accounts.models import User
from accord.accounts.zones import Zone, zone_of
from accord.cases import actions, policy, ssvc
from accord.cases.access import Standing, access_case
from accord.cases.forms import (
    FACT_LABELS,
    CaseAnalystsForm,
    CaseEditForm,
    ClaimForm,
    ContactForm,
    EmbargoProposeForm,
    FactForm,
    ProductForm,
    PublishDecisionForm,
    VulnerabilityEditForm,
    VulnerabilityForm,
    decision_groups,
    decision_values,
)
from accord.cases.models import Case, CaseEvent, FactReport, SsvcDecision
from accord.cases.presenter import Viewer
from accord.cases.reminders import with_responses
from accord.cases.states import EM, SHARED_FACTS, Fact
from accord.cases.vendor_table import vendors_in
from accord.cases.views.common import add_error, analysts_queryset, refusal, refuse
from accord.cases.views.timeline import describe, kind_choices
from accord.core.access import access
from accord.lib.errors import InvalidInput, RuleViolation
from accord.lib.time import is_timezone
from accord.notifications.actions import is_muted

TIMELINE_PER_PAGE = 100
VULNERABILITY_FIELDS = ("title", "description", "cve", "cwe", "euvd", "gcve", "cvss3_vector", "cvss4_vector")
# The embargo's state in plain words for the header (EM's labels are Vultron's: "eXited").
EMBARGO_WORDS = {
    EM.NONE: ("None", ""),
    EM.PROPOSED: ("Proposed", "warning"),
    EM.ACTIVE: ("Active", "info"),
    EM.REVISE: ("Active", "info"),
    EM.EXITED: ("Ended", ""),
}
# Within this many days, the target date shows as near.
NEAR_DAYS = 7


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def case_url(case: Case, anchor: str = "") -> str:
    return reverse("cases:case_detail", kwargs={"case": case.url_ref}) + anchor


def _zone_help(form: forms.Form, field: str, zone: Zone) -> None:
    if zone.source == "chosen":
        where = f"in your time zone, {zone.name} (change it in your profile)"
    elif zone.source == "browser":
        where = f"in {zone.name}, your browser's time zone (choose another in your profile)"
    else:
        where = "in UTC (choose your time zone in your profile)"
    form.fields[field].help_text = f"Date and time {where}."


def form_zone(request: HttpRequest) -> Zone:
    """The zone a posted date and time was typed in: the one named by the form (the page that
    showed it said so), else the reader's zone. Never a name outside the IANA list."""
    posted = str(request.POST.get("zone", ""))[:64]
    if posted and is_timezone(posted):
        return Zone(posted, zone_of(request).source)
    return zone_of(request)


def _vulnerability_initial(vulnerability: Any) -> dict[str, Any]:
    initial = {name: getattr(vulnerability, name) for name in (*VULNERABILITY_FIELDS, "seq")}
    initial["gcve"] = " ".join(vulnerability.gcve or [])
    return initial


# --- The workspace: the header and tabs every tab shares -----------------------------------------


def workspace(request: HttpRequest, standing: Standing, tab: str) -> dict[str, Any]:
    """The case header (VU#, title, embargo, target date and time left) and the tabs with their
    counts: two queries, whatever the size of the case."""
    case = standing.case
    viewer = Viewer.of(standing)
    words, variant = EMBARGO_WORDS.get(EM(case.embargo_state), (case.embargo_state, ""))
    now = timezone.now()
    target = case.target_publication_at
    target_variant = "info"
    if target is not None and target <= now:
        target_variant = ""
    elif target is not None and target - now <= dt.timedelta(days=NEAR_DAYS):
        target_variant = "warning"
    return {
        "case": case,
        "tab": tab,
        "analyst_view": standing.staff,
        "embargo_label": words,
        "embargo_variant": variant,
        "embargo_revision": case.embargo_state == EM.REVISE,
        "target_variant": target_variant,
        "vendor_count": vendors_in(case).count(),
        "event_count": viewer.visible_events(CaseEvent.objects.filter(case=case)).count(),
        "zone": zone_of(request),
    }


def terms_only(request: HttpRequest, standing: Standing, status: int = 200) -> HttpResponse:
    """A vendor invited into an Active embargo sees only its terms until it accepts them."""
    return render(
        request,
        "cases/portal_embargo_gate.html",
        {"case": standing.case, "own": standing.participant, "zone": zone_of(request)},
        status=status,
    )


def _analyst_forms(
    case: Case, zone: Zone, vulnerabilities: list[Any], analysts: list[User], given: dict[str, Any]
) -> dict[str, Any]:
    """The analysts' forms on the overview; `given` holds bound forms to show with their errors."""
    analyst_qs = analysts_queryset()
    contact = given.get("contact_form") or ContactForm(
        auto_id="contact-%s", initial={"at": timezone.now().replace(second=0, microsecond=0)}
    )
    _zone_help(contact, "at", zone)
    publish_form = given.get("publish_form") or PublishDecisionForm(auto_id="publish-%s")
    edit_forms = []
    for vulnerability in vulnerabilities:
        bound = given.get("vulnerability_edit_form")
        if bound is not None and str(bound.data.get("seq")) == str(vulnerability.seq):
            edit_forms.append((vulnerability, bound))
        else:
            edit_forms.append(
                (
                    vulnerability,
                    VulnerabilityEditForm(
                        initial=_vulnerability_initial(vulnerability), auto_id=f"v{vulnerability.seq}-%s"
                    ),
                )
            )
    days_now = policy.current("disclosure_days")
    return {
        "edit_form": given.get("edit_form")
        or CaseEditForm(initial={"title": case.title, "summary": case.summary}, auto_id="case-%s"),
        "analysts_form": given.get("analysts_form")
        or CaseAnalystsForm(
            analysts=analyst_qs, initial={"analysts": [a.pk for a in analysts]}, auto_id="analysts-%s"
        ),
        "vulnerability_form": given.get("vulnerability_form") or VulnerabilityForm(auto_id="vnew-%s"),
        "vulnerability_edit_forms": edit_forms,
        "product_form": given.get("product_form")
        or ProductForm(vulnerabilities=vulnerabilities, auto_id="product-%s"),
        "contact_form": contact,
        "publish_form": publish_form,
        "publish_groups": decision_groups(publish_form, ssvc.COORDINATOR_PUBLISH),
        "publish_table": ssvc.COORDINATOR_PUBLISH,
        "publish_decisions": list(
            SsvcDecision.objects.filter(case=case, table=SsvcDecision.Table.PUBLISH).select_related(
                "decided_by"
            )
        ),
        "disclosure_days_now": days_now,
        # Applying the policy recomputes the dates: offered once there are dates to recompute,
        # and only when the policy differs from the one the case follows.
        "can_apply_policy": case.first_contact_at is not None and case.disclosure_days != days_now,
        "reports": list(case.reports.all()),
    }


def embargo_offers(standing: Standing) -> dict[str, Any]:
    """Which embargo and fact actions the rules allow now (process.md), so no page offers an
    action that its rule would refuse."""
    case = standing.case
    state = case.embargo_state
    public = bool(case.p_at or case.x_at)
    negotiator = standing.staff or standing.participant is not None
    proposed_end = case.embargo_proposed_ends_at
    open_facts = [f for f in SHARED_FACTS if case.fact_at(f) is None]
    return {
        "public": public,
        "can_negotiate": negotiator,
        "can_propose": negotiator
        and state != EM.EXITED
        and not public
        and not (case.a_at and state in (EM.NONE, EM.PROPOSED)),
        "embargo_open": state in (EM.PROPOSED, EM.REVISE),
        "can_accept_proposal": standing.staff
        and state in (EM.PROPOSED, EM.REVISE)
        and not public
        and not (case.a_at and state == EM.PROPOSED)
        and proposed_end is not None
        and proposed_end > timezone.now(),
        "can_reject_proposal": standing.staff and state in (EM.PROPOSED, EM.REVISE),
        "can_terminate": standing.staff and state in (EM.ACTIVE, EM.REVISE),
        "open_facts": open_facts,
        "can_report_fact": negotiator and bool(open_facts),
    }


def proposed_by(case: Case, viewer: Viewer) -> str | None:
    """Who proposed the pending end: a person, or the participant where no account did (the
    reporter through the follow link); None when unknown."""
    if case.embargo_proposed_by is not None:
        return viewer.person(case.embargo_proposed_by).name
    if case.embargo_proposer is not None:
        return viewer.label(case.embargo_proposer)
    return None


def case_page(request: HttpRequest, standing: Standing, status: int = 200, **given: Any) -> HttpResponse:
    """The Overview tab. Its query count does not grow with participants or events."""
    case = standing.case
    analyst = standing.staff
    viewer = Viewer.of(standing)
    own = standing.participant
    if standing.embargo_pending:
        return terms_only(request, standing, status)
    context = workspace(request, standing, "overview")
    zone: Zone = context["zone"]

    claims = list(
        FactReport.objects.filter(case=case).select_related(
            "reported_by", "confirmed_by", "participant__organization", "participant__user"
        )
    )
    viewer.remember_actors(case.pk, [c.reported_by for c in claims])
    claim_rows = [(c, viewer.claimant(c).name) for c in claims]
    open_claims = [(c, name) for c, name in claim_rows if c.is_open]
    evidence = [(c, name) for c, name in claim_rows if c.confirmed_at and c.fact in (Fact.X, Fact.A)]

    vulnerabilities = list(case.vulnerabilities.prefetch_related("products"))
    analysts = list(case.analysts.order_by("name", "email"))
    offers = embargo_offers(standing)
    # The embargo's latest step, with its reason, as this reader may see it.
    last_step = (
        viewer.visible_events(CaseEvent.objects.filter(case=case, kind__startswith="embargo."))
        .select_related("actor", "participant__organization", "participant__user")
        .order_by("-created_at", "-id")
        .first()
    )

    propose_form = given.get("propose_form") or EmbargoProposeForm(
        auto_id="embargo-%s",
        initial={
            "ends_at": case.embargo_proposed_ends_at or case.embargo_ends_at or case.target_publication_at
        },
    )
    _zone_help(propose_form, "ends_at", zone)
    fact_form = given.get("fact_form") or FactForm(auto_id="fact-%s")
    fact_form.fields["fact"].choices = [  # type: ignore[union-attr]
        (f.value, f"{f.value}: {f.label}") for f in offers["open_facts"]
    ]
    counted: dict[str, Any] = {
        "not_answered": Count("pk", filter=~Q(answer__answered_at__isnull=False)),
        "not_notified": Count("pk", filter=Q(first_contact_at__isnull=True)),
    }
    vendors = vendors_in(case)
    if analyst:  # who is unresponsive is the coordinator's business (accord.cases.reminders)
        vendors = with_responses(vendors)
        counted["marked"] = Count("pk", filter=Q(unresponsive=True))  # not the annotation's name
    progress = vendors.aggregate(**counted)
    context.update(
        {
            "embargo_step": describe(viewer.show_all([last_step])[0]) if last_step else None,
            "own": own,
            "owner": viewer.person(case.owner).name if case.owner else None,
            "analysts": [viewer.person(a).name for a in analysts],
            "embargo_proposed_by": proposed_by(case, viewer),
            "facts": [(Fact(f), case.fact_at(f)) for f in SHARED_FACTS],
            "early": bool(case.x_at or case.a_at),
            "open_claims": open_claims,
            "evidence": evidence,
            "claims": claim_rows,
            "vulnerabilities": vulnerabilities,
            "progress": progress,
            "propose_form": propose_form,
            "fact_form": fact_form,
            "fact_labels": FACT_LABELS,
            "form_zone": given.get("form_zone") or zone.name,
            "muted": is_muted(_user(request), case),
            **offers,
        }
    )
    if analyst:
        context.update(_analyst_forms(case, zone, vulnerabilities, analysts, given))
    elif standing.vendor is not None:
        from accord.cases.views.portal import vendor_context

        context.update(vendor_context(request, standing, viewer, given))
    return render(request, "cases/case_detail.html", context, status=status)


@access("object:case")
def case_detail(request: HttpRequest, case: str) -> HttpResponse:
    """The case page; a vendor's first visit is recorded, and before it accepts an Active
    embargo it sees only the terms (the gate's "terms" standing)."""
    standing = access_case(request.user, case, need="terms")
    if standing.vendor is not None:
        from accord.cases.actions.participants import mark_seen

        mark_seen(standing.vendor, by=_user(request))
    return case_page(request, standing)


@access("object:case")
def case_timeline(request: HttpRequest, case: str) -> HttpResponse:
    """The Timeline tab: the events this reader may see, newest first, by kind, in pages."""
    standing = access_case(request.user, case, need="terms")
    if standing.embargo_pending:
        return terms_only(request, standing, status=409)
    viewer = Viewer.of(standing)
    events = viewer.visible_events(CaseEvent.objects.filter(case=standing.case))
    kinds = list(events.order_by("kind").values_list("kind", flat=True).distinct())
    kind = str(request.GET.get("kind", ""))[:40]
    if kind not in kinds:
        kind = ""
    if kind:
        events = events.filter(kind=kind)
    page = Paginator(
        events.select_related("actor", "participant__organization", "participant__user").order_by(
            "-created_at", "-id"
        ),
        TIMELINE_PER_PAGE,
    ).get_page(request.GET.get("page"))
    context = workspace(request, standing, "timeline")
    context.update(
        {
            "page": page,
            "timeline": [describe(shown) for shown in viewer.show_all(page.object_list)],
            "kinds": kind_choices(kinds),
            "kind": kind,
            "query": urlencode({"kind": kind}) if kind else "",
        }
    )
    return render(request, "cases/case_timeline.html", context)


def _submit(
    request: HttpRequest,
    standing: Standing,
    form: forms.Form,
    key: str,
    run: Callable[[dict[str, Any]], str],
    anchor: str,
    **given: Any,
) -> HttpResponse:
    """Run an action from a valid form; refusals by rule become a message, bad input a form error."""
    if form.is_valid():
        try:
            done = run(form.cleaned_data)
        except RuleViolation as exc:
            refuse(request, exc)
            return redirect(case_url(standing.case, anchor))
        except InvalidInput as exc:
            add_error(form, exc)
            messages.error(request, f"Not saved: {refusal(exc)}")
        else:
            messages.success(request, done)
            return redirect(case_url(standing.case, anchor))
    else:
        messages.error(request, "Not saved: see the errors in the form below.")
    return case_page(request, standing, status=400, **{key: form}, **given)


def _write(request: HttpRequest, ref: str) -> tuple[User, Standing]:
    user = _user(request)
    return user, access_case(user, ref, need="write")


@require_POST
@access("analyst")
def case_edit(request: HttpRequest, case: str) -> HttpResponse:
    user, standing = _write(request, case)
    obj = standing.case

    def run(data: dict[str, Any]) -> str:
        actions.update_case(obj, by=user, title=data["title"], summary=data["summary"])
        return "The case is saved."

    return _submit(
        request, standing, CaseEditForm(request.POST, auto_id="case-%s"), "edit_form", run, "#case"
    )


@require_POST
@access("analyst")
def case_analysts(request: HttpRequest, case: str) -> HttpResponse:
    user, standing = _write(request, case)
    obj = standing.case
    form = CaseAnalystsForm(request.POST, analysts=analysts_queryset(), auto_id="analysts-%s")

    def run(data: dict[str, Any]) -> str:
        actions.assign_analysts(obj, list(data["analysts"]), by=user, owner=data["owner"])
        return "The case's analysts are saved."

    return _submit(request, standing, form, "analysts_form", run, "#people")


@require_POST
@access("analyst")
def vulnerability_add(request: HttpRequest, case: str) -> HttpResponse:
    user, standing = _write(request, case)
    obj = standing.case

    def run(data: dict[str, Any]) -> str:
        vulnerability = actions.add_vulnerability(obj, by=user, **{k: data[k] for k in VULNERABILITY_FIELDS})
        return f"{vulnerability.label} is added."

    form = VulnerabilityForm(request.POST, auto_id="vnew-%s")
    return _submit(request, standing, form, "vulnerability_form", run, "#vulnerabilities")


@require_POST
@access("analyst")
def vulnerability_edit(request: HttpRequest, case: str) -> HttpResponse:
    user, standing = _write(request, case)
    obj = standing.case
    seq = request.POST.get("seq", "")
    form = VulnerabilityEditForm(request.POST, auto_id=f"v{seq if seq.isdigit() else 0}-%s")

    def run(data: dict[str, Any]) -> str:
        vulnerability = obj.vulnerabilities.filter(seq=data["seq"]).first()
        if vulnerability is None:
            raise InvalidInput("seq", "There is no such vulnerability in this case.")
        actions.update_vulnerability(vulnerability, by=user, **{k: data[k] for k in VULNERABILITY_FIELDS})
        return f"{vulnerability.label} is saved."

    return _submit(request, standing, form, "vulnerability_edit_form", run, "#vulnerabilities")


@require_POST
@access("analyst")
def product_add(request: HttpRequest, case: str) -> HttpResponse:
    user, standing = _write(request, case)
    obj = standing.case
    vulnerabilities = list(obj.vulnerabilities.all())
    form = ProductForm(request.POST, vulnerabilities=vulnerabilities, auto_id="product-%s")

    def run(data: dict[str, Any]) -> str:
        vulnerability = next(v for v in vulnerabilities if v.seq == data["seq"])
        product = actions.add_product(
            vulnerability, data["name"], by=user, version_range=data["version_range"], purl=data["purl"]
        )
        return f"{product.name} is added to {vulnerability.label}."

    return _submit(request, standing, form, "product_form", run, "#vulnerabilities")


@require_POST
@access("analyst")
def contact_attempt(request: HttpRequest, case: str) -> HttpResponse:
    """A contact attempt made outside Accord (phone, another mail system). The first one sets
    the target date and starts the default embargo."""
    user, standing = _write(request, case)
    obj = standing.case
    zone = form_zone(request)

    def run(data: dict[str, Any]) -> str:
        actions.record_contact_attempt(obj, by=user, at=data["at"], outside=True, note=data["note"])
        return "The contact attempt is recorded."

    with timezone.override(zoneinfo.ZoneInfo(zone.name)):
        form = ContactForm(request.POST, auto_id="contact-%s")
        return _submit(request, standing, form, "contact_form", run, "#dates", form_zone=zone.name)


@require_POST
@access("object:case")
def embargo_propose(request: HttpRequest, case: str) -> HttpResponse:
    """Propose, counter or revise the embargo: analysts and the case's participants."""
    user = _user(request)
    standing = access_case(user, case, need="act")
    obj = standing.case
    zone = form_zone(request)

    def run(data: dict[str, Any]) -> str:
        actions.propose_embargo(obj, data["ends_at"], by=user, reason=data["reason"])
        return "The embargo proposal is recorded; the analysts decide on it."

    with timezone.override(zoneinfo.ZoneInfo(zone.name)):
        form = EmbargoProposeForm(request.POST, auto_id="embargo-%s")
        return _submit(request, standing, form, "propose_form", run, "#embargo", form_zone=zone.name)


def _embargo_step(request: HttpRequest, case: str, step: str) -> HttpResponse:
    user, standing = _write(request, case)
    obj = standing.case
    reason = (request.POST.get("reason") or "")[:5000]
    try:
        if step == "accept":
            actions.accept_embargo(obj, by=user)
        else:
            actions.reject_embargo(obj, by=user, reason=reason)
    except (RuleViolation, InvalidInput) as exc:
        refuse(request, exc)
    else:
        words = {"accept": "accepted", "reject": "rejected"}
        messages.success(request, f"The embargo is {words[step]}.")
    return redirect(case_url(obj, "#embargo"))


@require_POST
@access("analyst")
def embargo_accept(request: HttpRequest, case: str) -> HttpResponse:
    return _embargo_step(request, case, "accept")


@require_POST
@access("analyst")
def embargo_reject(request: HttpRequest, case: str) -> HttpResponse:
    return _embargo_step(request, case, "reject")


@require_POST
@access("analyst")
def policy_apply(request: HttpRequest, case: str) -> HttpResponse:
    user, standing = _write(request, case)
    obj = standing.case
    try:
        actions.apply_policy(obj, by=user)
    except (RuleViolation, InvalidInput) as exc:
        refuse(request, exc)
    else:
        messages.success(request, "The current policy is applied to this case.")
    return redirect(case_url(obj, "#dates"))


@require_POST
@access("object:case")
def fact_report(request: HttpRequest, case: str) -> HttpResponse:
    """Report P, X or A with evidence. An analyst's report takes effect; others' are claims."""
    user = _user(request)
    standing = access_case(user, case, need="act")
    obj = standing.case

    def run(data: dict[str, Any]) -> str:
        claim = actions.report_fact(obj, data["fact"], data["evidence"], by=user)
        label = Fact(claim.fact).label
        if claim.confirmed_at:
            return f"Recorded: {label}."
        return f"Your report ({label}) is a claim now; an analyst confirms it."

    return _submit(request, standing, FactForm(request.POST, auto_id="fact-%s"), "fact_form", run, "#state")


def _claim_step(request: HttpRequest, case: str, step: str) -> HttpResponse:
    user, standing = _write(request, case)
    obj = standing.case
    form = ClaimForm(request.POST)
    claim = None
    if form.is_valid():
        claim = FactReport.objects.filter(case=obj, pk=form.cleaned_data["claim"]).first()
    if claim is None:
        messages.error(request, "There is no such claim in this case.")
        return redirect(case_url(obj, "#state"))
    try:
        if step == "confirm":
            actions.confirm_fact(claim, by=user)
        else:
            actions.dismiss_fact(claim, by=user, reason=form.cleaned_data["reason"])
    except (RuleViolation, InvalidInput) as exc:
        refuse(request, exc)
    else:
        messages.success(request, f"The claim ({Fact(claim.fact).label}) is {step}ed.")
    return redirect(case_url(obj, "#state"))


@require_POST
@access("analyst")
def claim_confirm(request: HttpRequest, case: str) -> HttpResponse:
    return _claim_step(request, case, "confirm")


@require_POST
@access("analyst")
def claim_dismiss(request: HttpRequest, case: str) -> HttpResponse:
    return _claim_step(request, case, "dismiss")


@require_POST
@access("analyst")
def publish_decision(request: HttpRequest, case: str) -> HttpResponse:
    """The SSVC coordinator-publish decision, offered when X or A is set."""
    user, standing = _write(request, case)
    obj = standing.case
    form = PublishDecisionForm(request.POST, auto_id="publish-%s")

    def run(data: dict[str, Any]) -> str:
        table = ssvc.COORDINATOR_PUBLISH
        values = decision_values(form, table)
        outcome = ssvc.publish_outcome(values)
        decision = actions.record_publish_decision(
            obj, values, data["chosen"] or outcome, by=user, rationale=data["rationale"]
        )
        return (
            f"SSVC coordinator publish recorded. The table says: {table.outcome(decision.outcome).label}. "
            f"Your decision: {table.outcome(decision.chosen).label}."
        )

    return _submit(request, standing, form, "publish_form", run, "#early")

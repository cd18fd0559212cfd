"""The analysts' triage queue, the report page and the report actions."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accord.accounts.models import User
from accord.cases import actions, search, ssvc
from accord.cases.access import access_case, access_report
from accord.cases.forms import (
    AssignForm,
    DuplicateForm,
    ReasonForm,
    TriageDecisionForm,
    TriageFilterForm,
    decision_groups,
    decision_values,
)
from accord.cases.models import Report, SsvcDecision
from accord.cases.presenter import Viewer
from accord.cases.states import RM, RM_TRANSITIONS
from accord.cases.views.common import add_error, analysts_queryset, refuse
from accord.cases.views.timeline import describe
from accord.conversation import actions as conversation
from accord.conversation.forms import AnalystMessageForm
from accord.conversation.models import Message
from accord.conversation.queries import report_messages
from accord.conversation.views import report_file, uploads
from accord.core.access import access
from accord.core.files import download
from accord.lib.errors import InvalidInput, RuleViolation
from accord.lib.ids import find_case_number, parse_case_ref, parse_id

PAGE_SIZE = 50
OPEN_STATES = (RM.RECEIVED, RM.VALID)
# The report's steps. Invalidate and close ask for confirmation and a reason first
# (accord.cases.views.confirm); the others are a POST form on the report page.
REPORT_ACTIONS = ("validate", "invalidate", "defer", "accept", "duplicate", "close")
ACTION_WORDS = {
    "validate": "Validated",
    "defer": "Deferred",
}


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def triage_reports(user: User, form: TriageFilterForm) -> QuerySet[Report]:
    reports: QuerySet[Report] = Report.objects.select_related("assigned_to", "case").annotate(
        attachment_count=Count("attachments")
    )
    data = form.cleaned_data if form.is_valid() else {}
    state = data.get("state") or ""
    if state == "":
        reports = reports.filter(state__in=OPEN_STATES)
    elif state != "all":
        reports = reports.filter(state=state)
    assigned = data.get("assigned") or ""
    if assigned == "me":
        reports = reports.filter(assigned_to=user)
    elif assigned == "none":
        reports = reports.filter(assigned_to__isnull=True)
    if data.get("q"):
        reports = search.search_reports(reports, data["q"])
    return reports.order_by("-created_at", "id")


@access("analyst")
def triage_queue(request: HttpRequest) -> HttpResponse:
    form = TriageFilterForm(request.GET or None)
    reports = triage_reports(_user(request), form)
    page = Paginator(reports, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "cases/triage.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


def possible_actions(report: Report) -> list[str]:
    """The steps the report-management rules allow now (process.md), in REPORT_ACTIONS order:
    the report page offers these and nothing else."""
    possible = [name for name, table in RM_TRANSITIONS.items() if report.state in table and name != "receive"]
    if report.case_id is None and report.state in (RM.RECEIVED, RM.INVALID, RM.VALID):
        possible.append("duplicate")
    if report.state == RM.RECEIVED and "accept" not in possible:
        possible.append("accept")  # accepting a Received report validates it first
    return [name for name in REPORT_ACTIONS if name in possible]


def _timeline(report: Report, user: User) -> list[Any]:
    viewer = Viewer.coordinator() if user.is_analyst else Viewer.of_reporter(user)
    events = viewer.visible_events(
        report.events.select_related("actor", "participant__organization", "participant__user")
    )
    return [describe(shown) for shown in viewer.show_all(events)]


def report_page(request: HttpRequest, report: Report, status: int = 200, **forms: Any) -> HttpResponse:
    user = _user(request)
    context: dict[str, Any] = {
        "report": report,
        "analyst_view": user.is_analyst,
        "attachments": list(report.attachments.all()),
        "notes": report_messages(
            report, Viewer.coordinator() if user.is_analyst else Viewer.of_reporter(user)
        )[1],
        "timeline": _timeline(report, user),
    }
    if user.is_analyst:
        ssvc_form = forms.get("ssvc_form") or TriageDecisionForm(auto_id="ssvc-%s")
        context.update(
            assign_form=forms.get("assign_form")
            or AssignForm(analysts=analysts_queryset(), initial={"analyst": report.assigned_to_id}),
            note_form=forms.get("note_form") or AnalystMessageForm(auto_id="note-%s"),
            duplicate_form=DuplicateForm(auto_id="dup-%s"),
            possible=possible_actions(report),
            ssvc_form=ssvc_form,
            ssvc_groups=decision_groups(ssvc_form, ssvc.COORDINATOR_TRIAGE),
            ssvc_decision=ssvc.COORDINATOR_TRIAGE,
            decisions=list(
                SsvcDecision.objects.filter(report=report, table=SsvcDecision.Table.TRIAGE).select_related(
                    "decided_by"
                )
            ),
        )
    return render(request, "cases/report_detail.html", context, status=status)


@access("object:report")
def report_detail(request: HttpRequest, report_id: str) -> HttpResponse:
    """The report page: for analysts with every action; a read-only view for the reporter."""
    report = access_report(request.user, report_id)
    return report_page(request, report)


@require_POST
@access("analyst")
def report_request_close(request: HttpRequest, report_id: str, report_message_id: str) -> HttpResponse:
    """An analyst closes a request for information in the report's thread (before any case)."""
    user = _user(request)
    report = access_report(user, report_id)
    number = parse_id(report_message_id)
    message = Message.objects.filter(pk=number, thread__report=report).first() if number else None
    if message is None:
        raise Http404("No such message.")
    try:
        conversation.close_request(message, by=user)
    except RuleViolation as exc:
        refuse(request, exc)
    else:
        messages.success(request, "The request is closed.")
    return _back(report, "#notes")


@access("object:report")
def report_message_file(request: HttpRequest, report_id: str, report_file_id: str) -> FileResponse:
    """A file attached to a message between the coordinator and the reporter."""
    return report_file(access_report(request.user, report_id), report_file_id)


@access("object:report")
def report_attachment(request: HttpRequest, report_id: str, attachment_id: int) -> FileResponse:
    """Stream an attachment as a download; never rendered by the browser."""
    report = access_report(request.user, report_id)
    attachment = report.attachments.filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404("No such attachment.")
    return download(attachment.file, attachment.name)


def _back(report: Report, anchor: str = "") -> HttpResponse:
    return redirect(reverse("cases:report_detail", kwargs={"report_id": report.pk}) + anchor)


def _find_case(user: User, text: str) -> Any:
    number = parse_case_ref(text) or find_case_number(text)
    if number is None:
        raise InvalidInput("case", f"{text!r} is not a case id like VU#123456.")
    try:
        return access_case(user, number, need="write").case
    except Http404:
        raise InvalidInput("case", f"There is no case {text.strip()}.")


@require_POST
@access("analyst")
def report_action(request: HttpRequest, report_id: str, action: str) -> HttpResponse:
    """Validate, defer, accept or mark duplicate: each calls its action. (Invalidate and close
    have their confirmation pages, accord.cases.views.confirm.)"""
    user = _user(request)
    report = access_report(user, report_id)
    reason_form = ReasonForm(request.POST)
    reason = reason_form.cleaned_data["reason"] if reason_form.is_valid() else ""
    try:
        if action == "validate":
            actions.validate_report(report, by=user)
        elif action == "defer":
            actions.defer_report(report, by=user, reason=reason)
        elif action == "accept":
            case = actions.accept_report(report, by=user)
            messages.success(request, f"Report {report.pk} is accepted as case {case.label}.")
            return redirect("cases:case_detail", case=case.url_ref)
        elif action == "duplicate":
            form = DuplicateForm(request.POST)
            if not form.is_valid():
                raise InvalidInput("case", "Give the id of the case, for example VU#123456.")
            case = _find_case(user, form.cleaned_data["case"])
            actions.mark_duplicate(report, case, by=user)
            messages.success(request, f"Report {report.pk} is marked a duplicate of {case.label}.")
            return _back(report)
        else:  # pragma: no cover - the URLconf names every action
            raise Http404
    except (RuleViolation, InvalidInput) as exc:
        refuse(request, exc)
    else:
        messages.success(request, f"{ACTION_WORDS[action]}: report {report.pk}.")
    return _back(report, "#actions")


@require_POST
@access("analyst")
def report_assign(request: HttpRequest, report_id: str) -> HttpResponse:
    user = _user(request)
    report = access_report(user, report_id)
    form = AssignForm(request.POST, analysts=analysts_queryset())
    if form.is_valid():
        analyst = form.cleaned_data["analyst"]
        try:
            actions.assign_report(report, analyst, by=user)
        except (RuleViolation, InvalidInput) as exc:
            refuse(request, exc)
        else:
            who = analyst.display_name if analyst else "nobody"
            messages.success(request, f"Report {report.pk} is assigned to {who}.")
    else:
        messages.error(request, "Choose an analyst from the list.")
    return _back(report)


@require_POST
@access("analyst")
def report_note(request: HttpRequest, report_id: str) -> HttpResponse:
    """A message from the coordinator to the reporter (a request for information if ticked), read
    on their follow page."""
    user = _user(request)
    report = access_report(user, report_id)
    form = AnalystMessageForm(request.POST, request.FILES, auto_id="note-%s")
    if form.is_valid():
        try:
            conversation.post_message(
                conversation.report_thread(report),
                form.cleaned_data["body"],
                speaker=conversation.speaker_on_report(report, user, reporter=False),
                request=bool(form.cleaned_data.get("request")),
                attachments=uploads(form.cleaned_data["attachments"]),
            )
        except (RuleViolation, InvalidInput) as exc:
            add_error(form, exc)
        else:
            messages.success(request, "Your message was sent to the reporter.")
            return _back(report, "#notes")
    return report_page(request, report, status=400, note_form=form)


@require_POST
@access("analyst")
def report_ssvc(request: HttpRequest, report_id: str) -> HttpResponse:
    """Record the SSVC coordinator-triage values, the table's outcome and the analyst's choice."""
    user = _user(request)
    report = access_report(user, report_id)
    form = TriageDecisionForm(request.POST, auto_id="ssvc-%s")
    if form.is_valid():
        values = decision_values(form, ssvc.COORDINATOR_TRIAGE)
        outcome = ssvc.triage_outcome(values)
        chosen = form.cleaned_data["chosen"] or outcome
        try:
            decision = actions.record_triage(
                report, values, chosen, by=user, rationale=form.cleaned_data["rationale"]
            )
        except (RuleViolation, InvalidInput) as exc:
            add_error(form, exc)
        else:
            table = ssvc.COORDINATOR_TRIAGE
            said = table.outcome(decision.outcome).label
            messages.success(
                request,
                f"SSVC coordinator triage recorded. The table says: {said}. "
                f"Your decision: {table.outcome(decision.chosen).label}.",
            )
            return _back(report, "#ssvc")
    return report_page(request, report, status=400, ssvc_form=form)


@access("analyst")
def ssvc_outcome(request: HttpRequest) -> HttpResponse:
    """The outcome of an SSVC table for the values given so far (the form's live preview)."""
    decision = ssvc.DECISIONS.get(request.GET.get("table", ""), ssvc.COORDINATOR_TRIAGE)
    values = {point.key: request.GET.get(point.key, "") for point in decision.points}
    outcome = None
    if all(values.values()):
        try:
            outcome = decision.outcome(ssvc.decide(decision, values))
        except ssvc.SsvcInputError:
            outcome = None
    return render(request, "cases/ssvc_outcome.html", {"decision": decision, "outcome": outcome})

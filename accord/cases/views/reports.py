"""The public side of reports: the form, the private follow link and "My reports"."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accord.accounts.models import Organization
from accord.accounts.zones import zone_of
from accord.cases import actions
from accord.cases.access import ReporterKey, Standing, access_case, access_report_by_key
from accord.cases.actions.reports import ReportInput, Upload, derived_follow_key, recent_reports_from
from accord.cases.forms import CreditForm, EmbargoProposeForm, ReportForm
from accord.cases.models import Report
from accord.cases.presenter import Viewer
from accord.cases.states import EM
from accord.cases.views.cases import EMBARGO_WORDS, embargo_offers, form_zone
from accord.cases.views.common import add_error, refuse
from accord.cases.views.portal import shared_answer_rows
from accord.conversation import actions as conversation
from accord.conversation.forms import ReporterMessageForm
from accord.conversation.queries import report_messages
from accord.conversation.views import report_file, uploads
from accord.core.access import access
from accord.core.client_ip import client_ip
from accord.lib.errors import InvalidInput, RuleViolation
from accord.lib.ids import new_report_id, parse_id

PRIVATE_HEADERS = {
    # The follow link is a secret: keep the page out of caches, indexes and referrers.
    "Cache-Control": "no-store",
    # Not "no-referrer": with it Chromium sends `Origin: null` on the page's own form, which
    # Django's CSRF check refuses. "same-origin" sends the address only back to this site
    # (which knows it), never with a link that leaves it; and the CSP (default-src 'self')
    # lets the page load nothing from elsewhere.
    "Referrer-Policy": "same-origin",
    "X-Robots-Tag": "noindex, nofollow",
}

# How the reporter's own pages word the report's events (which ones they see is the presenter's
# call, accord.cases.events.KINDS).
REPORT_EVENT_WORDS = {
    "report.received": "Received",
    "report.validate": "Validated: we confirmed it is a vulnerability report",
    "report.invalidate": "Not taken up as a vulnerability report",
    "report.defer": "Deferred",
    "report.accept": "Accepted: we coordinate it as a case",
    "report.duplicate": "Linked to a case we already coordinate",
    "report.close": "Closed",
    "report.credit": "Credit preference changed",
}
# The session key that carries a new report's id from the form to the thank-you page, once.
THANKS = "report_thanks"


def is_vendor_member(user: Any) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.memberships.filter(organization__kind=Organization.Kind.VENDOR).exists())


def _private(response: Any) -> Any:
    for name, value in PRIVATE_HEADERS.items():
        response[name] = value
    return response


def check_uploads(files: list[UploadedFile]) -> list[str]:
    """Problems with the uploaded files, each naming the file. Checked before anything is read."""
    problems = []
    if len(files) > settings.REPORT_MAX_ATTACHMENTS:
        problems.append(f"Attach at most {settings.REPORT_MAX_ATTACHMENTS} files.")
    allowed = ", ".join(settings.REPORT_ATTACHMENT_TYPES)
    limit = settings.REPORT_MAX_ATTACHMENT_BYTES
    for upload in files:
        name = upload.name or "(a file without a name)"
        if not any(name.lower().endswith(ext) for ext in settings.REPORT_ATTACHMENT_TYPES):
            problems.append(f"{name}: this type of file is not accepted (allowed: {allowed}).")
        elif (upload.size or 0) > limit:
            problems.append(
                f"{name}: larger than the limit of {limit:,} bytes ({limit // (1024 * 1024)} MB)."
            )
    return problems


def report_input(form: ReportForm, files: list[UploadedFile]) -> ReportInput:
    values: dict[str, Any] = {}
    for name, spec in ReportInput.__dataclass_fields__.items():
        if name == "attachments" or name not in form.fields:
            continue
        value = form.cleaned_data.get(name)
        values[name] = spec.default if value is None else value
    uploads = [
        Upload(name=f.name or "attachment", content=f.read(), content_type=f.content_type or "")
        for f in files
    ]
    return ReportInput(**values, attachments=uploads)


def _rate_limited(request: HttpRequest) -> HttpResponse | None:
    limit = settings.REPORT_RATE_LIMIT
    if limit and recent_reports_from(client_ip(request)) >= limit:
        response = render(request, "cases/report_rate_limited.html", {"limit": limit}, status=429)
        response["Retry-After"] = "3600"
        return response
    return None


@access("public")
def report_new(request: HttpRequest) -> HttpResponse:
    """The public report form. No account needed; vendors may ask to coordinate with all."""
    user = request.user if request.user.is_authenticated else None
    vendor = is_vendor_member(user)
    if request.method != "POST":
        return render(request, "cases/report_form.html", {"form": ReportForm(vendor=vendor)})
    limited = _rate_limited(request)
    if limited is not None:
        return limited
    form = ReportForm(request.POST, request.FILES, vendor=vendor)
    if form.honeypot_filled:
        # A bot: answer as if all went well, and store nothing.
        request.session[THANKS] = {"id": new_report_id(timezone.now().year), "fake": True}
        return _private(redirect("cases:report_thanks"))
    if form.is_valid():
        files = form.cleaned_data["attachments"]
        problems = check_uploads(files)
        for problem in problems:
            form.add_error("attachments", problem)
        if not problems:
            try:
                report, _key = actions.submit_report(
                    report_input(form, files), by=user, client=client_ip(request)
                )
            except InvalidInput as exc:
                add_error(form, exc)
            else:
                # Post/redirect/get: reloading the thank-you page never files the report again.
                # Only the id goes into the session; the page derives the link from it.
                request.session[THANKS] = {"id": report.pk}
                return _private(redirect("cases:report_thanks"))
    # A browser never fills a file input again: say so where the files were chosen.
    dropped = [upload.name or "a file" for upload in request.FILES.getlist("attachments")]
    if dropped:
        form.add_error("attachments", f"Your files were not kept: choose them again ({', '.join(dropped)}).")
    return render(request, "cases/report_form.html", {"form": form}, status=400)


@access("public")
def report_thanks(request: HttpRequest) -> HttpResponse:
    """The report's id and private link, shown once after the form; a reload shows neither."""
    shown = request.session.pop(THANKS, None) or {}
    context: dict[str, Any] = {"report_id": shown.get("id"), "link": None, "email": ""}
    report = None if shown.get("fake") else Report.objects.filter(pk=shown.get("id")).first()
    if report is not None:
        key = derived_follow_key(report)
        if key:  # the link of the address the reporter used, not settings.SITE_URL
            context["link"] = request.build_absolute_uri(reverse("cases:report_follow", kwargs={"key": key}))
        context["email"] = report.reporter_email
    return _private(render(request, "cases/report_thanks.html", context))


def follow_url(key: str, anchor: str = "") -> str:
    return reverse("cases:report_follow", kwargs={"key": key}) + anchor


def reporter_standing(report: Report) -> Standing | None:
    """The case as the follow secret's holder reaches it: as the reporter's participant, once
    the report is accepted (a duplicate linked to someone else's case reaches nothing)."""
    if report.case_id is None or report.is_duplicate:
        return None
    try:
        return access_case(ReporterKey(report), report.case.number, need="read")  # type: ignore[union-attr]
    except Http404:
        return None


def _case_context(request: HttpRequest, standing: Standing, given: dict[str, Any]) -> dict[str, Any]:
    """What the reporter sees of the case on the follow page: its dates and embargo, the vendor
    statements that were shared (through the presenter, as the reporter's participant) and the
    proposal form. Each is what the API gives the follow secret too."""
    case = standing.case
    viewer = Viewer.of(standing)
    zone = zone_of(request)
    propose_form = given.get("propose_form") or EmbargoProposeForm(
        auto_id="embargo-%s",
        initial={
            "ends_at": case.embargo_proposed_ends_at or case.embargo_ends_at or case.target_publication_at
        },
    )
    # The reporter may have no account, so no profile to choose a zone in.
    propose_form.fields["ends_at"].help_text = f"Date and time in {zone.name}: {zone.why}."
    words, _variant = EMBARGO_WORDS.get(EM(case.embargo_state), (case.embargo_state, ""))
    return {
        "case": case,
        "embargo_label": words,
        "shared_rows": shared_answer_rows(case, viewer),
        "propose_form": propose_form,
        "form_zone": given.get("form_zone") or zone.name,
        "proposed_by_me": case.embargo_proposer_id is not None
        and case.embargo_proposer_id in standing.own_ids,
        **embargo_offers(standing),
    }


def follow_page(
    request: HttpRequest, key: str, report: Report, status: int = 200, **given: Any
) -> HttpResponse:
    # What the reporter may see of the report and its thread is the presenter's call; the words are ours.
    viewer = Viewer.of_reporter(request.user)
    thread, notes = report_messages(report, viewer)
    if thread is not None and request.method == "GET":
        conversation.mark_read(thread, user=request.user, report=report)
    events = [
        (shown.event.created_at, REPORT_EVENT_WORDS.get(shown.event.kind, shown.what))
        for shown in viewer.show_all(viewer.visible_events(report.events.all()))
    ]
    context: dict[str, Any] = {
        "report": report,
        "key": key,
        "form": given.get("form") or ReporterMessageForm(),
        "replying": given.get("replying"),
        "credit_form": given.get("credit_form")
        or CreditForm(
            initial={"credit": report.credit, "credit_name": report.credit_name}, auto_id="credit-%s"
        ),
        "notes": notes,
        "events": events,
        "attachments": list(report.attachments.all()),
        "case_label": report.case.label if report.case_id else "",  # type: ignore[union-attr]
        "zone": zone_of(request),
    }
    standing = reporter_standing(report)
    if standing is not None:
        context.update(_case_context(request, standing, given))
    return _private(render(request, "cases/report_follow.html", context, status=status))


@access("public")
def report_follow(request: HttpRequest, key: str) -> HttpResponse:
    """The reporter's private page: the report's state, the conversation, and more information;
    once accepted, the case's shared vendor statements, the embargo and a date to propose."""
    report = access_report_by_key(key)
    replying = parse_id(request.GET.get("reply"))
    form = ReporterMessageForm(request.POST or None, request.FILES or None, initial={"reply_to": replying})
    if request.method != "POST":
        return follow_page(request, key, report, form=form, replying=replying)
    if form.is_valid():
        target = conversation.report_thread(report)
        reply_to = target.messages.filter(
            pk=form.cleaned_data.get("reply_to") or 0
        ).first()  # a stale one: none
        try:
            conversation.post_message(
                target,
                form.cleaned_data["body"],
                speaker=conversation.speaker_on_report(report, request.user, reporter=True),
                reply_to=reply_to,
                attachments=uploads(form.cleaned_data["attachments"]),
            )
        except (InvalidInput, RuleViolation) as exc:
            add_error(form, exc)
        else:
            messages.success(request, "Thank you: your message was sent to the coordinator.")
            return _private(redirect(request.path))
    return follow_page(request, key, report, status=400, form=form)


@require_POST
@access("public")
def report_follow_embargo(request: HttpRequest, key: str) -> HttpResponse:
    """The reporter proposes a different publication date, through the embargo machine, as
    `POST /api/v1/cases/{case}/embargo/propose` does with the follow secret."""
    report = access_report_by_key(key)
    standing = reporter_standing(report)
    if standing is None:
        raise Http404("No such case.")
    zone = form_zone(request)
    with timezone.override(zoneinfo.ZoneInfo(zone.name)):
        form = EmbargoProposeForm(request.POST, auto_id="embargo-%s")
        if form.is_valid():
            try:
                actions.propose_embargo(
                    standing.case,
                    form.cleaned_data["ends_at"],
                    by=ReporterKey(report),
                    reason=form.cleaned_data["reason"],
                )
            except RuleViolation as exc:
                refuse(request, exc)
                return _private(redirect(follow_url(key, "#embargo")))
            except InvalidInput as exc:
                add_error(form, exc)
            else:
                messages.success(
                    request, "Your proposal is recorded; the coordinator's analysts decide on it."
                )
                return _private(redirect(follow_url(key, "#embargo")))
        messages.error(request, "Not proposed: see the errors in the form below.")
        return follow_page(request, key, report, status=400, propose_form=form, form_zone=zone.name)


@require_POST
@access("public")
def report_follow_credit(request: HttpRequest, key: str) -> HttpResponse:
    """The reporter's credit preference, as `PATCH /api/v1/reports/{id}/credit` sets it."""
    report = access_report_by_key(key)
    form = CreditForm(request.POST, auto_id="credit-%s")
    if form.is_valid():
        try:
            actions.set_credit(
                report, form.cleaned_data["credit"], form.cleaned_data["credit_name"], by=ReporterKey(report)
            )
        except (InvalidInput, RuleViolation) as exc:
            add_error(form, exc)
        else:
            messages.success(request, "Your credit preference is saved.")
            return _private(redirect(follow_url(key, "#credit")))
    return follow_page(request, key, report, status=400, credit_form=form)


@access("public")
def report_follow_file(request: HttpRequest, key: str, report_file_id: str) -> HttpResponse:
    """A file of the conversation, for the holder of the follow link."""
    return _private(report_file(access_report_by_key(key), report_file_id))


@access("authenticated")
def my_reports(request: HttpRequest) -> HttpResponse:
    reports = Report.objects.filter(submitted_by=request.user).select_related("case")  # type: ignore[misc]
    return render(request, "cases/my_reports.html", {"reports": reports})

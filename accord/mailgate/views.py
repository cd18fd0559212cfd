"""The triage inbox, one mail, and the "mail problems" page (issue 10, items 5 and 6). Staff
only. Every change goes through accord.mailgate.triage, as the API does.

Each action is a page of its own: a GET says what will happen (for linking, after choosing the
participant of the case typed on the mail's page), its POST acts. So it works without
JavaScript, and nothing happens from a stray click.
"""

from __future__ import annotations

import email.parser
import email.policy
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from accord.cases.access import access_case
from accord.cases.models import Case, Participant
from accord.cases.presenter import Viewer
from accord.core.access import access
from accord.lib.errors import InvalidInput, RuleViolation
from accord.lib.ids import parse_id
from accord.mailgate import triage
from accord.mailgate.models import InboundMessage

PAGE_SIZE = 50
Status = InboundMessage.Status
# The columns lists need; the bytes and the text stay in the database.
LIST_FIELDS = (
    "id",
    "status",
    "received_at",
    "received_via",
    "from_address",
    "subject",
    "message_id",
    "problems",
    "last_error",
    "attempts",
    "next_attempt_at",
    "case__id",
    "case__number",
    "resolution",
)
MAX_HEADERS = 200


def triage_queryset() -> QuerySet[InboundMessage]:
    return (
        InboundMessage.objects.filter(status=Status.TRIAGE)
        .select_related("case")
        .only(*LIST_FIELDS)
        .order_by("-received_at", "-id")
    )


def problems_queryset() -> QuerySet[InboundMessage]:
    return (
        InboundMessage.objects.filter(status__in=(Status.FAILED, Status.FLAGGED))
        .select_related("case")
        .only(*LIST_FIELDS)
        .order_by("-received_at", "-id")
    )


def get_mail(inbound_id: Any) -> InboundMessage:
    number = parse_id(inbound_id)
    if number is None:
        raise Http404("No such mail.")
    mail = (
        InboundMessage.objects.select_related("case", "participant", "report", "resolved_by")
        .filter(pk=number)
        .first()
    )
    if mail is None:
        raise Http404("No such mail.")
    return mail


def headers_of(raw: bytes) -> list[tuple[str, str]]:
    """The top-level headers as received (never raises; at most MAX_HEADERS)."""
    try:
        parsed = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw)
        return [(str(k), str(v)) for k, v in parsed.raw_items()][:MAX_HEADERS]
    except Exception:
        return []


def mail_url(mail: InboundMessage) -> str:
    return reverse("mailgate:detail", kwargs={"inbound_id": mail.pk})


def _page(request: HttpRequest, rows: QuerySet[InboundMessage]) -> Any:
    return Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))


@access("analyst")
@require_safe
def triage_inbox(request: HttpRequest) -> HttpResponse:
    return render(request, "mailgate/triage.html", {"page": _page(request, triage_queryset())})


@access("analyst")
@require_safe
def problems(request: HttpRequest) -> HttpResponse:
    return render(request, "mailgate/problems.html", {"page": _page(request, problems_queryset())})


@dataclass
class Suggestion:
    """A case the sender takes part in, with the participant the mail would likely go to."""

    case: Case
    participant: Participant
    words: str


def suggestions(mail: InboundMessage, limit: int = 10) -> list[Suggestion]:
    """The newest cases where the sender's organisation is a vendor, or where the sender
    reported: where the analyst most likely wants the mail. Two queries."""
    from accord.mailgate.route import sender_organizations

    address = mail.from_address
    if not address or mail.status not in triage.LINKABLE:
        return []
    orgs = sender_organizations(address)
    rows = Participant.objects.select_related("case", "organization", "user").order_by(
        "-case__created_at", "pk"
    )
    found = list(rows.filter(kind=Participant.Kind.VENDOR, organization__in=orgs)[:limit]) if orgs else []
    found += list(rows.filter(kind=Participant.Kind.REPORTER, report__reporter_email__iexact=address)[:limit])
    viewer = Viewer.coordinator()
    return [
        Suggestion(p.case, p, f"{p.case.label} {p.case.title}: {viewer.label(p)}, {p.get_kind_display()}")
        for p in found[:limit]
    ]


def _detail(request: HttpRequest, mail: InboundMessage, *, status: int = 200, **extra: Any) -> HttpResponse:
    parsed = triage.parsed_mail(mail)
    context = {
        "suggestions": suggestions(mail),
        "mail": mail,
        "headers": headers_of(bytes(mail.raw)),
        "attachments": parsed.attachments if parsed else (),
        "problems": [p for p in mail.problems.split("\n") if p],
        "linkable": mail.status in triage.LINKABLE,
        "spammable": mail.status in triage.SPAMMABLE,
        "reprocessable": mail.status in triage.REPROCESSABLE,
        "case_ref": mail.case.label if mail.case is not None else "",
        "thread_url": _thread_url(mail),
        **extra,
    }
    return render(request, "mailgate/detail.html", context, status=status)


def _thread_url(mail: InboundMessage) -> str:
    message = mail.posted_message
    if message is None or message.thread.case_id is None:
        return ""
    from accord.conversation.views import thread_url

    return thread_url(message.thread, f"#m{message.pk}")


@access("analyst")
@require_safe
def detail(request: HttpRequest, inbound_id: str) -> HttpResponse:
    return _detail(request, get_mail(inbound_id))


@access("analyst")
@require_safe
def raw(request: HttpRequest, inbound_id: str) -> HttpResponse:
    """The stored bytes, exactly as received: always a download, never rendered."""
    return raw_response(get_mail(inbound_id))


def raw_response(mail: InboundMessage) -> HttpResponse:
    response = HttpResponse(bytes(mail.raw), content_type="message/rfc822")
    response["Content-Disposition"] = f'attachment; filename="mail-{mail.pk}.eml"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@dataclass
class Step:
    """One action's page: what it is about and what will happen."""

    title: str
    happens: list[str]
    submit: str
    danger: bool = False


def _refused(request: HttpRequest, mail: InboundMessage, exc: RuleViolation) -> HttpResponse:
    mail.refresh_from_db()
    return _detail(request, mail, status=409, refused=f"{exc.message}")


def _confirm(
    request: HttpRequest, mail: InboundMessage, step: Step, *, status: int = 200, **extra: Any
) -> HttpResponse:
    return render(request, "mailgate/confirm.html", {"mail": mail, "step": step, **extra}, status=status)


def _participants(case: Case) -> list[tuple[Participant, str]]:
    """The participants whose private thread a mail can go into: vendors and the reporter."""
    viewer = Viewer.coordinator()
    rows = (
        case.participants.exclude(kind=Participant.Kind.COORDINATOR)
        .select_related("organization", "user")
        .order_by("kind", "pk")
    )
    return [(p, f"{viewer.long_label(p)}, {p.get_kind_display()}") for p in rows]


@access("analyst")
@require_http_methods(["GET", "POST"])
def link(request: HttpRequest, inbound_id: str) -> HttpResponse:
    """Step 1 (on the mail's page) names the case; step 2 (here) picks the participant and links."""
    mail = get_mail(inbound_id)
    data = request.POST if request.method == "POST" else request.GET
    ref = (data.get("case") or "").strip()[:40]
    try:
        case = access_case(request.user, ref, need="write").case
    except Http404:
        error = "Type a case id such as VU#123456." if not ref else f"There is no case {ref}."
        return _detail(request, mail, status=400 if not ref else 404, case_error=error, case_ref=ref)
    choices = _participants(case)
    step = Step(
        f"Link this mail to {case.label}?",
        [
            "The mail's text and attachments become a message in the participant's private thread, "
            "written by the sender's side and marked as received by mail.",
            "The participant sees it in that thread; it leaves the triage inbox.",
        ],
        f"Link to {case.label}",
    )
    context: dict[str, Any] = {
        "case": case,
        "choices": choices,
        "action": "link",
        "chosen": parse_id(request.GET.get("participant")) if request.method == "GET" else None,
    }
    if request.method == "GET":
        return _confirm(request, mail, step, **context)
    number = parse_id(request.POST.get("participant"))
    participant = next((p for p, _ in choices if p.pk == number), None)
    if participant is None:
        return _confirm(
            request,
            mail,
            step,
            status=400,
            participant_error=f"Choose a participant of {case.label}.",
            **context,
        )
    try:
        triage.link_to_case(mail, case, participant, by=request.user)
    except RuleViolation as exc:
        return _refused(request, mail, exc)
    except InvalidInput as exc:
        return _confirm(request, mail, step, status=400, participant_error=exc.message, **context)
    mail.refresh_from_db()
    who = Viewer.coordinator().label(participant)
    messages.success(
        request, f"Mail {mail.pk} is now a message in the private thread of {who} on {case.label}."
    )
    return redirect(_thread_url(mail) or mail_url(mail))


@access("analyst")
@require_http_methods(["GET", "POST"])
def to_report(request: HttpRequest, inbound_id: str) -> HttpResponse:
    mail = get_mail(inbound_id)
    step = Step(
        "Turn this mail into a report?",
        [
            "A new report is filed with the mail's subject as its product and its text as the description.",
            f"The sender ({mail.from_address or 'no address'}) is its reporter and receives the "
            "acknowledgement with the link to follow the report.",
            "The mail leaves the triage inbox.",
        ],
        "Turn into a report",
    )
    if request.method == "GET":
        return _confirm(request, mail, step, action="report")
    try:
        report = triage.report_from_mail(mail, by=request.user)
    except RuleViolation as exc:
        return _refused(request, mail, exc)
    except InvalidInput as exc:
        return _confirm(request, mail, step, status=400, action="report", error=exc.message)
    messages.success(request, f"Mail {mail.pk} is now report {report.pk}.")
    return redirect("cases:report_detail", report_id=report.pk)


@access("analyst")
@require_http_methods(["GET", "POST"])
def spam(request: HttpRequest, inbound_id: str) -> HttpResponse:
    mail = get_mail(inbound_id)
    step = Step(
        "Mark this mail as spam?",
        [
            "It leaves the triage inbox and is never processed again.",
            "It stays stored; its page and its bytes remain available to analysts.",
        ],
        "Mark as spam",
        danger=True,
    )
    if request.method == "GET":
        return _confirm(request, mail, step, action="spam")
    try:
        triage.mark_spam(mail, by=request.user)
    except RuleViolation as exc:
        return _refused(request, mail, exc)
    messages.success(request, f"Mail {mail.pk} was marked as spam.")
    return redirect("mailgate:triage")


@access("analyst")
@require_http_methods(["GET", "POST"])
def reprocess(request: HttpRequest, inbound_id: str) -> HttpResponse:
    mail = get_mail(inbound_id)
    step = Step(
        "Process this mail again?",
        [
            "It is read again from the bytes stored when it arrived, as if it had just come in: "
            "routed to a case, to the triage inbox, or flagged again with the reason.",
            "Its attempts start again from 0.",
        ],
        "Process again",
    )
    if request.method == "GET":
        return _confirm(request, mail, step, action="reprocess")
    try:
        triage.reprocess(mail, by=request.user)
    except RuleViolation as exc:
        return _refused(request, mail, exc)
    messages.success(request, f"Mail {mail.pk} is being processed again: its page shows the outcome.")
    return redirect("mailgate:problems")

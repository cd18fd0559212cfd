"""Reports: intake (anonymous allowed) and the triage actions of the report-management machine."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import Router, Status
from ninja.errors import Throttled

from accord.accounts.models import User
from accord.api.auth import caller, rule
from accord.api.base import paginate
from accord.api.case_schemas import (
    AssignBody,
    AttachmentOut,
    CaseOut,
    CreditBody,
    DecisionOut,
    DuplicateBody,
    NoteBody,
    ReasonBody,
    ReportCreate,
    ReportCreated,
    ReportDetail,
    ReportNoteOut,
    ReportOut,
    TriageBody,
    decision_out,
)
from accord.api.errors import ApiError
from accord.api.routes.cases import answer_case
from accord.api.schemas import Error, ReasonRequired, page_of
from accord.cases import actions, search
from accord.cases.access import access_case, access_report, cases_visible_to, reports_visible_to
from accord.cases.actions.reports import ReportInput, follow_url, recent_reports_from
from accord.cases.models import Report
from accord.cases.presenter import MessageView, Viewer
from accord.cases.states import RM
from accord.conversation import actions as conversation
from accord.conversation.queries import message_rows, reply_target, report_messages
from accord.core.client_ip import client_ip
from accord.lib.ids import parse_case_ref, parse_id

router = Router(tags=["reports"])

ANSWER = {200: ReportOut, 400: Error, 401: Error, 403: Error, 404: Error, 409: Error}


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _fields(report: Report, user: Any) -> dict:
    return {
        "id": report.id,
        "state": report.state,
        "created_at": report.created_at,
        "updated_at": report.updated_at,
        "case": report.case.label if report.case_id else None,  # type: ignore[union-attr]
        "is_duplicate": report.is_duplicate,
        "assigned_to": report.assigned_to_id if user.is_analyst else None,
        "submitted_by": report.submitted_by.email if report.submitted_by_id else None,  # type: ignore[union-attr]
        **{name: getattr(report, name) for name in ReportInput.__dataclass_fields__ if name != "attachments"},
    }


def report_out(report: Report, user: Any) -> ReportOut:
    return ReportOut(**_fields(report, user))


def note_out(shown: MessageView) -> ReportNoteOut:
    """A message between the coordinator and the reporter, as the presenter shows it."""
    message = shown.message
    return ReportNoteOut(
        id=message.pk,
        text=shown.body,
        from_reporter=message.from_reporter,
        author=shown.author.api,
        request=message.request or None,
        created_at=message.created_at,
    )


def _report_viewer(user: Any) -> Viewer:
    """How the report's thread reads to the caller: the coordinator, or its reporter."""
    return Viewer.coordinator() if user.is_analyst else Viewer.of_reporter(user)


def report_detail(report: Report, user: Any) -> ReportDetail:
    return ReportDetail(
        **_fields(report, user),
        notes=[note_out(n) for n in report_messages(report, _report_viewer(user))[1]],
        attachments=[
            AttachmentOut(
                id=a.pk,
                name=a.name,
                content_type=a.content_type,
                size=a.size,
                sha256=a.sha256,
                created_at=a.created_at,
            )
            for a in report.attachments.order_by("id")
        ],
    )


def _report(user: Any, report_id: str) -> Report:
    return access_report(user, report_id[:64])


@router.post(
    "/reports",
    response={201: ReportCreated, 400: Error, 401: Error, 409: Error, 429: Error},
    summary="Submit a vulnerability report (no account needed)",
    description="The JSON fields are the report form's. Attachments can be sent with the web form only. "
    "The answer holds the report id and the private follow link, which contains a secret and is shown "
    "only once (the acknowledgement mail also carries it when reporter_email is given). "
    "Submissions are rate-limited per client (429 with Retry-After).",
    auth=rule("public"),
)
def submit_report(
    request: HttpRequest, response: HttpResponse, payload: ReportCreate
) -> Status[ReportCreated]:
    if payload.website.strip():
        raise ApiError(400, "The report was rejected.")
    client = client_ip(request)
    limit = settings.REPORT_RATE_LIMIT
    if limit and recent_reports_from(client) >= limit:
        raise Throttled(wait=3600)
    data = ReportInput(**payload.model_dump(exclude={"website"}))
    user = _user(request)
    report, key = actions.submit_report(data, by=user if user.is_authenticated else None, client=client)
    response["Cache-Control"] = "no-store"
    if user.is_authenticated:
        response["Location"] = f"/api/v1/reports/{report.id}"
    return Status(201, ReportCreated(id=report.id, follow_url=follow_url(key)))


@router.get(
    "/reports",
    response={200: page_of(ReportOut), 400: Error, 401: Error},
    summary="The reports the caller may see (analysts: all; others: their own)",
    description="Filters: state, assigned_to (a user id, or `me`), q (full-text search). Newest first.",
    auth=rule("authenticated"),
)
def list_reports(
    request: HttpRequest,
    state: RM | None = None,
    assigned_to: str | None = None,
    q: str | None = None,
    cursor: str | None = None,
    limit: int | None = None,
) -> dict:
    user = _user(request)
    queryset = reports_visible_to(user).select_related("case", "submitted_by")
    if state:
        queryset = queryset.filter(state=state)
    if assigned_to:
        if assigned_to == "me":
            queryset = queryset.filter(assigned_to=user)
        elif parse_id(assigned_to):
            queryset = queryset.filter(assigned_to_id=parse_id(assigned_to))
        else:
            raise ApiError(
                400,
                "assigned_to must be a user id or 'me'.",
                [{"field": "assigned_to", "message": "a user id or 'me'"}],
            )
    if q:
        queryset = search.search_reports(queryset, q[:500])
    return paginate(
        queryset,
        ordering=("-created_at", "id"),
        cursor=cursor,
        limit=limit,
        serialize=lambda page: [report_out(r, user) for r in page],
    )


@router.get(
    "/reports/{report_id}",
    response={200: ReportDetail, 401: Error, 404: Error},
    summary="A report, with its notes and the list of its attachments",
    description="Its reporter may also call it with the report's follow secret "
    "(`Authorization: Bearer <secret>`, the last part of the private follow link): that report only.",
    auth=rule("object:report-or-follow"),
)
def get_report(request: HttpRequest, report_id: str) -> ReportDetail:
    who = caller(request)
    return report_detail(_report(who, report_id), who)


@router.patch(
    "/reports/{report_id}/credit",
    response={200: ReportOut, 400: Error, 401: Error, 403: Error, 404: Error, 409: Error},
    summary="Change the reporter's credit preference (only the fields sent change)",
    description="`credit`: whether the published note thanks the reporter; `credit_name`: how (empty: "
    "their name, or 'an anonymous reporter' without one). The reporter calls it signed in or with the "
    "report's follow secret (`Authorization: Bearer <secret>`); an analyst may record it for them. "
    "The change goes on the report's timeline, which only the coordinator and the reporter read.",
    auth=rule("object:report-or-follow"),
)
def set_credit(request: HttpRequest, report_id: str, payload: CreditBody) -> ReportOut:
    who = caller(request)
    report = _report(who, report_id)
    sent = payload.model_dump(exclude_unset=True)
    credit = sent.get("credit")
    name = sent.get("credit_name")
    report = actions.set_credit(
        report,
        report.credit if credit is None else credit,
        report.credit_name if name is None else name,
        by=who,
    )
    return report_out(report, who)


@router.post(
    "/reports/{report_id}/validate",
    response=ANSWER,
    summary="Validate (Received or Invalid → Valid)",
    auth=rule("analyst"),
)
def validate_report(request: HttpRequest, report_id: str) -> ReportOut:
    user = _user(request)
    return report_out(actions.validate_report(_report(user, report_id), by=user), user)


@router.post(
    "/reports/{report_id}/invalidate",
    response=ANSWER,
    summary="Invalidate (Received → Invalid), with the reason (required)",
    description="The reason goes on the report's timeline, where the reporter may read it.",
    auth=rule("analyst"),
)
def invalidate_report(request: HttpRequest, report_id: str, payload: ReasonRequired) -> ReportOut:
    user = _user(request)
    report = actions.invalidate_report(_report(user, report_id), by=user, reason=payload.reason)
    return report_out(report, user)


@router.post(
    "/reports/{report_id}/defer",
    response=ANSWER,
    summary="Defer (Valid or Accepted → Deferred)",
    auth=rule("analyst"),
)
def defer_report(request: HttpRequest, report_id: str, payload: ReasonBody) -> ReportOut:
    user = _user(request)
    report = actions.defer_report(_report(user, report_id), by=user, reason=payload.reason)
    return report_out(report, user)


@router.post(
    "/reports/{report_id}/close",
    response=ANSWER,
    summary="Close (Accepted, Deferred or Invalid → Closed; never straight from Valid)",
    description="Closing cannot be undone. The reason (required) goes on the report's timeline.",
    auth=rule("analyst"),
)
def close_report(request: HttpRequest, report_id: str, payload: ReasonRequired) -> ReportOut:
    user = _user(request)
    report = actions.close_report(_report(user, report_id), by=user, reason=payload.reason)
    return report_out(report, user)


@router.post(
    "/reports/{report_id}/accept",
    response={201: CaseOut, 401: Error, 403: Error, 404: Error, 409: Error},
    summary="Accept into a new case (a Received report is validated first)",
    description="Answers 201 with the new case, as GET /cases/{case} gives it.",
    auth=rule("analyst"),
)
def accept_report(request: HttpRequest, response: HttpResponse, report_id: str) -> Status[CaseOut]:
    user = _user(request)
    case = actions.accept_report(_report(user, report_id), by=user)
    response["Location"] = f"/api/v1/cases/{case.url_ref}"
    return Status(201, answer_case(response, access_case(user, case.number)))


@router.post(
    "/reports/{report_id}/duplicate",
    response=ANSWER,
    summary="Mark as a duplicate of an existing case (it becomes Valid and is linked)",
    auth=rule("analyst"),
)
def duplicate_report(request: HttpRequest, report_id: str, payload: DuplicateBody) -> ReportOut:
    user = _user(request)
    report = _report(user, report_id)
    number = parse_case_ref(payload.case)
    case = cases_visible_to(user).filter(number=number).first() if number is not None else None
    if case is None:
        message = f"No case {payload.case!r}: give an existing case id such as VU#123456."
        raise ApiError(400, message, [{"field": "case", "message": message}])
    return report_out(actions.mark_duplicate(report, case, by=user), user)


@router.post(
    "/reports/{report_id}/assign",
    response=ANSWER,
    summary="Assign to an analyst (null unassigns)",
    auth=rule("analyst"),
)
def assign_report(request: HttpRequest, report_id: str, payload: AssignBody) -> ReportOut:
    user = _user(request)
    report = _report(user, report_id)
    analyst = None
    if payload.analyst is not None:
        analyst_id = parse_id(payload.analyst)
        analyst = User.objects.filter(pk=analyst_id).first() if analyst_id else None
        if analyst is None:
            message = f"No user with id {payload.analyst}."
            raise ApiError(400, message, [{"field": "analyst", "message": message}])
    return report_out(actions.assign_report(report, analyst, by=user), user)


@router.post(
    "/reports/{report_id}/notes",
    response={201: ReportNoteOut, 400: Error, 401: Error, 404: Error, 409: Error},
    summary="Write in the report's private thread (its reporter or an analyst)",
    description="The thread between the coordinator and the reporter. `reply_to` answers a message "
    "(a reply from the other side answers an open request for information); an analyst may make a "
    "message a request (`request: true`). The reporter may call it with the report's follow secret "
    "(`Authorization: Bearer <secret>`).",
    auth=rule("object:report-or-follow"),
)
def add_note(request: HttpRequest, report_id: str, payload: NoteBody) -> Status[ReportNoteOut]:
    user = caller(request)
    report = _report(user, report_id)
    thread = conversation.report_thread(report)
    reply_to = reply_target(thread, payload.reply_to)
    message = conversation.post_message(
        thread,
        payload.text,
        speaker=conversation.speaker_on_report(report, user, reporter=not user.is_analyst),
        reply_to=reply_to,
        request=payload.request,
    )
    # Present the one new message, not the whole thread again.
    shown = _report_viewer(user).message(message_rows().get(pk=message.pk))
    return Status(201, note_out(shown))


@router.post(
    "/reports/{report_id}/triage",
    response={201: DecisionOut, 400: Error, 401: Error, 403: Error, 404: Error, 409: Error},
    summary="Record the SSVC coordinator-triage decision",
    description="Records the values, the table's outcome (decline, track or coordinate) and the analyst's "
    "own choice. The outcome is advice; nothing else changes.",
    auth=rule("analyst"),
)
def triage_report(request: HttpRequest, report_id: str, payload: TriageBody) -> Status[DecisionOut]:
    user = _user(request)
    report = _report(user, report_id)
    decision = actions.record_triage(
        report, payload.values, payload.chosen, by=user, rationale=payload.rationale
    )
    return Status(201, decision_out(decision, Viewer.coordinator()))

"""The vendor portal: the organisation's cases, joining an embargo, and the four-question answer.

Vendors read a case only after accepting its Active embargo (process.md "Joining an embargo").
Statements are stored byte for byte as they came: the textarea's text encoded as UTF-8 as is
(CRLF included), or an uploaded file's bytes unchanged; they are always shown escaped.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accord.accounts.models import Membership, User
from accord.answers.models import Addendum, Answer, Statement, Status
from accord.cases.access import Standing, access_case, own_participations, standings_of
from accord.cases.actions import participants as participant_actions
from accord.cases.models import Case, CaseMemberAccess, Participant
from accord.cases.presenter import Viewer, answer_of
from accord.cases.states import EM, RM
from accord.cases.views.answer_form import (
    AnswerForm,
    answer_form_from,
    answer_initial,
    run_answer,
)
from accord.cases.views.common import refusal
from accord.conversation.models import Message
from accord.conversation.queries import RequestRow, request_rows, unread_from_coordinator
from accord.core.access import access
from accord.lib.errors import InvalidInput, RuleViolation
from accord.lib.ids import parse_id, parse_ids

SHARED_LIMIT = 100


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def statement_rows(participant: Participant, viewer: Viewer) -> list[dict[str, Any]]:
    """Every version of a vendor's statement, newest first, as `viewer` may see it, with the
    coordinator's addenda (the viewer is the coordinator or the vendor's own members)."""
    statements = list(
        Statement.objects.filter(participant=participant).select_related("recorded_by").order_by("-version")
    )
    addenda = [
        {
            "text": a.text,
            "created_at": a.created_at,
            "statement_id": a.statement_id,
            "author": viewer.person(a.author).name if a.author else "the coordinator",
        }
        for a in Addendum.objects.filter(participant=participant).select_related("author")
    ]
    return [
        {
            "statement": s,
            "shown": viewer.statement(s, participant),
            "addenda": [a for a in addenda if a["statement_id"] == s.pk],
        }
        for s in statements
    ] + (
        [{"statement": None, "shown": None, "addenda": [a for a in addenda if a["statement_id"] is None]}]
        if any(a["statement_id"] is None for a in addenda)
        else []
    )


# --- The vendor's view of a case -----------------------------------------------------------------


# What a vendor's report state says, in the vendor's own terms (process.md "Vendor answers").
RM_WORDS = {
    RM.START: "You have not been notified yet.",
    RM.RECEIVED: "You have not said yet whether it is a real vulnerability for you.",
    RM.VALID: "You said it is a real vulnerability for you.",
    RM.INVALID: "You said it does not affect you.",
    RM.ACCEPTED: "You said a fix is ready or on its way.",
    RM.DEFERRED: "You said you will not fix it.",
    RM.CLOSED: "Closed: the case is finished for you.",
}


def proposer_words(case: Case, own: Participant, user: User) -> str:
    """Who proposed the pending embargo end, as a vendor may be told: never another participant's name."""
    proposer = case.embargo_proposed_by
    if proposer is None:
        # No account proposed it: the coordinator, or the reporter through the follow link.
        return "another participant" if case.embargo_proposer_id else "the coordinator"
    if proposer.is_coordinator_staff:
        return "the coordinator"
    if proposer.pk == user.pk:
        return "you"
    if (
        own.organization_id
        and Membership.objects.filter(user=proposer, organization=own.organization_id).exists()
    ):
        return "your organisation"
    return "another participant"


def own_requests(own: Participant, viewer: Viewer) -> list[RequestRow]:
    """The requests for information between the vendor and the coordinator, in either direction,
    each with its state and a link into the private thread."""
    rows = Message.objects.filter(thread__participant=own).exclude(request=Message.Request.NONE)
    return request_rows(rows, viewer)


def shared_answer_rows(
    case: Case, viewer: Viewer, exclude: Participant | None = None
) -> list[dict[str, Any]]:
    """The vendors' answers that they chose to share with the other participants (up to
    SHARED_LIMIT), each with its statuses and current statement as `viewer` may see them: an
    anonymous vendor by its alias, a clearsigned statement without its signature block. Three
    queries, whatever the number of vendors."""
    answers = Answer.objects.filter(participant__case=case, share=True)
    if exclude is not None:
        answers = answers.exclude(participant=exclude)
    shared = list(
        answers.select_related("participant__organization", "participant__user").order_by("participant_id")[
            :SHARED_LIMIT
        ]
    )
    shared_ids = [a.participant_id for a in shared]
    shared_statuses: dict[int, list[Status]] = {}
    for status in Status.objects.filter(participant_id__in=shared_ids).select_related("vulnerability"):
        shared_statuses.setdefault(status.participant_id, []).append(status)
    latest: dict[int, Statement] = {}
    for statement in (
        Statement.objects.filter(participant_id__in=shared_ids)
        .select_related("recorded_by")
        .order_by("participant_id", "-version")
    ):
        latest.setdefault(statement.participant_id, statement)
    rows = []
    for answer in shared:
        p = answer.participant
        current = latest.get(p.pk)
        rows.append(
            {
                "name": viewer.label(p),
                "statuses": shared_statuses.get(p.pk, []),
                "statement": viewer.statement(current, p) if current else None,
            }
        )
    return rows


def vendor_context(
    request: HttpRequest, standing: Standing, viewer: Viewer, given: dict[str, Any]
) -> dict[str, Any]:
    """What a vendor participant sees on the case page after joining the embargo. Its answer is
    written on its own page (`vendor_answer`); here it reads where things stand."""
    case, own = standing.case, standing.vendor
    assert own is not None
    statuses = list(Status.objects.filter(participant=own).select_related("vulnerability"))
    reports = list(case.reports.filter(share_contact=True))
    shared_rows = shared_answer_rows(case, viewer, exclude=own)
    requests = own_requests(own, viewer)
    return {
        "vendor_view": True,
        "own_statuses": statuses,
        "own_statements": statement_rows(own, viewer),
        "own_requests": requests,
        "own_rm_words": RM_WORDS.get(RM(own.rm_state), ""),
        "shared_contacts": reports,
        "shared_rows": shared_rows,
        "own_answer": Answer.objects.filter(participant=own).first(),
        "proposed_by": proposer_words(case, own, _user(request))
        if case.embargo_state in (EM.PROPOSED, EM.REVISE)
        else "",
    }


def _own_vendor(request: HttpRequest, case: str, need: str) -> tuple[Standing, Participant]:
    """The caller's vendor participation through the gate; others in the case get 409."""
    standing = access_case(request.user, case, need=need)
    if standing.vendor is None:
        raise RuleViolation("participant-member", "Only a vendor in this case does this")
    return standing, standing.vendor


def _case_redirect(case: Case, anchor: str = "") -> HttpResponse:
    from accord.cases.views.cases import case_url

    return redirect(case_url(case, anchor))


@require_POST
@access("object:case")
def embargo_join(request: HttpRequest, case: str) -> HttpResponse:
    """One click: the organisation accepts the embargo until the stated instant."""
    standing, own = _own_vendor(request, case, "terms")
    obj = standing.case
    try:
        participant_actions.answer_embargo(own, accept=True, by=_user(request))
    except (RuleViolation, InvalidInput) as exc:
        messages.error(request, refusal(exc))
    else:
        messages.success(
            request,
            f"{own.organization} accepts the embargo. Here is the report: answer the coordinator's "
            "questions when you can.",
        )
    return _case_redirect(obj)


@access("object:case")
def embargo_decline(request: HttpRequest, case: str) -> HttpResponse:
    """Declining asks for confirmation first: afterwards the organisation sees nothing more."""
    standing, own = _own_vendor(request, case, "terms")
    obj = standing.case
    if request.method == "POST":
        try:
            participant_actions.answer_embargo(own, accept=False, by=_user(request))
        except (RuleViolation, InvalidInput) as exc:
            messages.error(request, refusal(exc))
            return _case_redirect(obj)
        messages.success(
            request, f"Your organisation declined the embargo of {obj.label}; the case is closed to you."
        )
        return redirect("cases:portal")
    return render(request, "cases/portal_decline.html", {"case": obj, "own": own})


@require_POST
@access("object:case")
def publication_name(request: HttpRequest, case: str) -> HttpResponse:
    """An anonymous vendor's choice: its name or its alias in the published note (same action as
    the API's POST /cases/{case}/publication-name)."""
    standing, own = _own_vendor(request, case, "act")
    named = request.POST.get("named") == "1"
    try:
        participant_actions.set_named_at_publication(own, named, by=_user(request))
    except (RuleViolation, InvalidInput) as exc:
        messages.error(request, refusal(exc))
    else:
        shown = own.organization.name if named and own.organization else f"“{own.alias}”"
        messages.success(
            request,
            f"At publication the note will show {shown}. The other participants still see only "
            f"“{own.alias}” in the case.",
        )
    return _case_redirect(standing.case, "#publication-name")


def _answer_url(case: Case) -> str:
    return reverse("cases:vendor_answer", kwargs={"case": case.url_ref})


def answer_page(
    request: HttpRequest, standing: Standing, form: AnswerForm | None = None, status: int = 200
) -> HttpResponse:
    """The vendor's answer page: the four questions, its statement and its earlier requests."""
    case, own = standing.case, standing.vendor
    assert own is not None
    vulnerabilities = list(case.vulnerabilities.order_by("seq"))
    if form is None:
        form = AnswerForm(initial=answer_initial(own), vulnerabilities=vulnerabilities, auto_id="answer-%s")
    viewer = Viewer.of(standing)
    requests = own_requests(own, viewer)
    return render(
        request,
        "cases/portal_answer.html",
        {
            "case": case,
            "own": own,
            "form": form,
            "vulnerabilities": vulnerabilities,
            "own_answer": Answer.objects.filter(participant=own).first(),
            "own_requests": requests,
            "own_statements": statement_rows(own, viewer),
            "own_rm_words": RM_WORDS.get(RM(own.rm_state), ""),
        },
        status=status,
    )


@access("object:case")
def vendor_answer(request: HttpRequest, case: str) -> HttpResponse:
    """The vendor's own page for the four questions and its statement (GET shows it, POST records
    the answer with the same action as the API's PUT /cases/{case}/answer)."""
    if request.method == "GET":
        standing = access_case(request.user, case, need="act")
        if standing.staff:  # the coordinator records answers on each vendor's own page
            return redirect("cases:vendors", case=standing.case.url_ref)
        if standing.vendor is None:
            raise RuleViolation("participant-member", "Only a vendor in this case does this")
        return answer_page(request, standing)
    if request.method != "POST":
        return HttpResponseNotAllowed(["GET", "POST"])
    standing, own = _own_vendor(request, case, "act")
    obj = standing.case
    form, adding = answer_form_from(request, list(obj.vulnerabilities.order_by("seq")))
    if adding:  # "Add a product" without JavaScript: the same page with one more row
        return answer_page(request, standing, form)
    done, message = run_answer(request, own, form, _user(request))
    if done:
        messages.success(request, message)
        return redirect(_answer_url(obj))
    messages.error(request, message)
    return answer_page(request, standing, form, status=400)


# --- The portal ----------------------------------------------------------------------------------


PORTAL_LIMIT = 500


def _my_participations(user: User) -> Any:
    """The caller's organisations' vendor participations, newest case first (through the gate)."""
    return (
        own_participations(user)
        .filter(kind=Participant.Kind.VENDOR)
        .select_related("case", "organization", "answer")
        .order_by("-case__created_at", "-id")
    )


def waiting_for(user: User) -> dict[str, Any]:
    """What waits for the caller's organisations, in a constant number of queries:
    - embargo: cases whose Active embargo the organisation has not accepted yet;
    - answer: cases past the gate where the vendor recorded no answer yet (a question alone is
      no answer);
    - requests: cases where the coordinator wrote in the vendor's private thread and the caller
      has not read it yet;
    - dates: cases with an embargo end proposed and waiting for the coordinator (Proposed or Revise).
    Quiet (imported) cases and closed participations wait for nothing."""
    rows = list(_my_participations(user)[:PORTAL_LIMIT])
    standings = standings_of(user, list({p.case_id: p.case for p in rows}.values()))
    new_answers = unread_from_coordinator([p.pk for p in rows], user)
    entries = []
    for p in rows:
        answer = answer_of(p)
        entries.append(
            {
                "p": p,
                "gated": standings[p.case_id].embargo_pending,
                "answered_at": answer.answered_at if answer else None,
                "new_answers": new_answers.get(p.pk, 0),
            }
        )
    active = [e for e in entries if not e["p"].case.quiet and e["p"].rm_state != RM.CLOSED]
    open_ = [e for e in active if not e["gated"]]
    return {
        "entries": entries,
        "truncated": len(rows) >= PORTAL_LIMIT,
        "embargo": [e for e in active if e["gated"]],
        "answer": [e for e in open_ if e["answered_at"] is None],
        "requests": [e for e in open_ if e["new_answers"]],
        "dates": [e for e in open_ if e["p"].case.embargo_state in (EM.PROPOSED, EM.REVISE)],
    }


@access("authenticated")
def portal(request: HttpRequest) -> HttpResponse:
    """The vendor's home: what waits for it, its organisation's contacts and keys, its cases."""
    user = _user(request)
    waiting = waiting_for(user)
    entries = waiting["entries"]
    memberships = [
        m for m in user.memberships.select_related("organization") if m.organization.kind == "vendor"
    ]
    admin_orgs = {m.organization_id for m in memberships if m.role == Membership.Role.ADMIN}
    members: dict[int, list[Membership]] = {}
    for m in Membership.objects.filter(organization_id__in=admin_orgs).select_related("user"):
        members.setdefault(m.organization_id, []).append(m)
    chosen: dict[int, set[int]] = {}
    for row in CaseMemberAccess.objects.filter(
        participant__in=[e["p"].pk for e in entries if e["p"].organization_id in admin_orgs]
    ):
        chosen.setdefault(row.participant_id, set()).add(row.user_id)
    admin_entries = [
        {**e, "members": members.get(e["p"].organization_id, []), "chosen": chosen.get(e["p"].pk, set())}
        for e in entries
        if e["p"].organization_id in admin_orgs
    ]
    return render(
        request,
        "cases/portal_home.html",
        {
            "waiting": waiting,
            "entries": entries,
            "admin_entries": [e for e in admin_entries if e["members"]],
            "vendor_memberships": memberships,
            "vendor_orgs": [m.organization for m in memberships],
        },
    )


def _my_participant(request: HttpRequest) -> Participant | None:
    """The caller's organisation's participation named in the form (None: a message says so)."""
    value = request.POST.get("participant", "")
    number = parse_id(value)
    participant = _my_participations(_user(request)).filter(pk=number).first() if number else None
    if participant is None:
        messages.error(request, "There is no such case of your organisation.")
    return participant


@require_POST
@access("authenticated")
def portal_tracking(request: HttpRequest) -> HttpResponse:
    participant = _my_participant(request)
    if participant is None:
        return redirect("cases:portal")
    try:
        participant_actions.set_tracking_id(
            participant, request.POST.get("tracking_id", ""), by=_user(request)
        )
    except (RuleViolation, InvalidInput) as exc:
        messages.error(request, refusal(exc))
    else:
        messages.success(request, f"Your tracking id for {participant.case.label} is saved.")
    return redirect("cases:portal")


@require_POST
@access("authenticated")
def portal_access(request: HttpRequest) -> HttpResponse:
    participant = _my_participant(request)
    if participant is None:
        return redirect("cases:portal")
    ids = parse_ids(request.POST.getlist("members"))
    users = list(User.objects.filter(pk__in=ids)) if request.POST.get("everyone") != "1" else []
    try:
        participant_actions.set_member_access(participant, users, by=_user(request))
    except (RuleViolation, InvalidInput) as exc:
        messages.error(request, refusal(exc))
    else:
        who = "every member" if not users else ", ".join(u.display_name for u in users)
        messages.success(request, f"{participant.case.label} is visible to {who}.")
    return redirect("cases:portal")

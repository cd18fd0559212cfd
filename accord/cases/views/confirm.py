"""Confirmation pages for the irreversible steps of cases and reports (issue 8): terminating
an embargo, invalidating and closing a report.

Each is one URL: GET shows what will happen and asks for the reason; its POST (with the
page's `confirm=yes`) calls the same action as the API, which requires the reason and puts it
on the timeline. The pages work without JavaScript (accord.core.confirm).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from accord.accounts.models import User
from accord.cases import actions
from accord.cases.access import access_case, access_report
from accord.cases.models import Report
from accord.cases.states import EM, RM, rm_next
from accord.core.access import access
from accord.core.confirm import Confirmation, Fact, confirm
from accord.lib.errors import RuleViolation

# The report steps that ask for confirmation and a reason, in the order the report page offers them.
REPORT_STEPS = ("invalidate", "close")


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@access("analyst")
def embargo_terminate(request: HttpRequest, case: str) -> HttpResponse:
    """End the case's embargo at once, with the reason, after a confirmation page."""
    user = _user(request)
    obj = access_case(user, case, need="write").case
    state = EM(obj.embargo_state)
    in_force = state in (EM.ACTIVE, EM.REVISE)
    happens = [
        "The embargo ends now instead of at its agreed end: from then on the case may be "
        "published (nobody is obliged to publish).",
        "No new embargo can be proposed or agreed for this case afterwards.",
        "Your reason goes on the case's timeline, where every participant reads it.",
    ]
    facts = [Fact("Embargo", state.label), Fact("Agreed end", at=obj.embargo_ends_at)]
    if state == EM.REVISE:
        happens.insert(1, "The pending proposal of a new end is dropped.")
        facts.append(Fact("Proposed new end", at=obj.embargo_proposed_ends_at))
    if obj.embargo_termination_due:
        facts.append(Fact("Termination due", "yes: attacks were observed (A)"))
    page = Confirmation(
        title=f"Terminate the embargo of {obj.label}?",
        back_label=obj.label,
        back_url=reverse("cases:case_detail", kwargs={"case": obj.url_ref}) + "#embargo",
        happens=happens,
        undo="This cannot be undone.",
        submit="Terminate the embargo",
        reason_help="Why it ends now: for example, the vendor published its fix, or an exploit is "
        "public. Every participant in the case reads it on the timeline.",
        facts=facts,
        blocked=None
        if in_force
        else f"The embargo is {state.label}: there is no embargo in force to terminate.",
    )

    def act(reason: str) -> str:
        actions.terminate_embargo(obj, by=user, reason=reason)
        return "The embargo is terminated. Your reason is on the case's timeline."

    return confirm(request, page, act)


def _blocked(report: Report, step: str) -> str | None:
    try:
        rm_next(report.state, step)
    except RuleViolation as exc:
        return f"{exc.message}."
    return None


def _report_page(report: Report, step: str) -> Confirmation:
    back = reverse("cases:report_detail", kwargs={"report_id": report.pk}) + "#actions"
    facts = [Fact("Report", f"{report.pk}: {report.title}"), Fact("State", RM(report.state).label)]
    if step == "invalidate":
        return Confirmation(
            title=f"Mark report {report.pk} invalid?",
            back_label=f"Report {report.pk}",
            back_url=back,
            happens=[
                "The report is marked Invalid: it is not taken up as a vulnerability report.",
                "Your reason goes on the report's timeline; the reporter may read it.",
            ],
            undo="You can still validate the report later if it turns out to be real, but the "
            "reason stays on the timeline.",
            submit="Mark it invalid",
            reason_help="Why it is not a vulnerability report: for example, the behaviour is "
            "documented, or the product is not one we coordinate.",
            facts=facts,
            blocked=_blocked(report, step),
        )
    happens = ["The report is closed for good: it cannot be reopened, validated or accepted again."]
    if report.case_id is not None and not report.is_duplicate:
        label = report.case.label  # type: ignore[union-attr]
        happens.append(
            f"Case {label} stays open and its embargo is not touched, but the coordinator can no "
            "longer bring vendors into it (only an Accepted participant may)."
        )
    happens.append("Your reason goes on the report's timeline; the reporter may read it.")
    return Confirmation(
        title=f"Close report {report.pk}?",
        back_label=f"Report {report.pk}",
        back_url=back,
        happens=happens,
        undo="This cannot be undone.",
        submit="Close the report",
        reason_help="Why it is closed: for example, the vendor fixed it and the case is published, "
        "or the reporter withdrew it.",
        facts=facts,
        blocked=_blocked(report, step),
    )


@access("analyst")
def report_step(request: HttpRequest, report_id: str, action: str) -> HttpResponse:
    """Invalidate or close a report, with the reason, after a confirmation page."""
    user = _user(request)
    report = access_report(user, report_id)
    page = _report_page(report, action)

    def act(reason: str) -> str:
        if action == "invalidate":
            actions.invalidate_report(report, by=user, reason=reason)
            return f"Report {report.pk} is marked invalid. Your reason is on its timeline."
        actions.close_report(report, by=user, reason=reason)
        return f"Report {report.pk} is closed. Your reason is on its timeline."

    return confirm(request, page, act)

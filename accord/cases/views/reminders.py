"""Reminders on the analysts' vendor pages: muting them for the case or one vendor, and the
final reminder to an unresponsive vendor (a confirmation page, accord.core.confirm).

Every change calls the actions of accord.cases.actions.reminders, as the API does.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from accord.accounts.models import User
from accord.cases import reminders
from accord.cases.access import access_case
from accord.cases.actions import reminders as reminder_actions
from accord.cases.models import Case, Participant
from accord.cases.views.common import refuse
from accord.cases.views.vendors import vendor_of, vendor_url, vendors_url
from accord.core.access import access
from accord.core.confirm import Confirmation, Fact, confirm
from accord.lib.errors import InvalidInput, RuleViolation
from accord.vendors.queries import notification_contacts


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _muted(request: HttpRequest) -> bool:
    return request.POST.get("muted") == "yes"


@require_POST
@access("analyst")
def case_reminders(request: HttpRequest, case: str) -> HttpResponse:
    """Mute (muted=yes) or resume (muted=no) the automatic reminders of the whole case."""
    user = _user(request)
    obj = access_case(user, case, need="write").case
    muted = _muted(request)
    try:
        reminder_actions.mute_case_reminders(obj, muted, by=user)
    except (RuleViolation, InvalidInput) as exc:
        refuse(request, exc)
    else:
        messages.success(
            request,
            "Automatic reminders are muted for this case."
            if muted
            else "Automatic reminders are on again for this case.",
        )
    return redirect(vendors_url(obj, "#reminders"))


@require_POST
@access("analyst")
def vendor_reminders(request: HttpRequest, case: str, participant_id: str) -> HttpResponse:
    """Mute (muted=yes) or resume (muted=no) the automatic reminders of one vendor."""
    user = _user(request)
    obj, participant = vendor_of(user, case, participant_id)
    muted = _muted(request)
    try:
        reminder_actions.mute_vendor_reminders(participant, muted, by=user)
    except (RuleViolation, InvalidInput) as exc:
        refuse(request, exc)
    else:
        name = _name(participant)
        messages.success(
            request,
            f"Automatic reminders to {name} are muted."
            if muted
            else f"Automatic reminders to {name} are on again.",
        )
    return redirect(vendor_url(obj, participant, "#reminders"))


def _name(participant: Participant) -> str:
    return participant.organization.name if participant.organization else participant.alias


def blocked_reason(case: Case, state: reminders.ReminderState, contacts: int) -> str | None:
    """Why the final reminder cannot go now, in the words of the action's rules (or None)."""
    if case.quiet:
        return "This case is imported or historical: Accord sends it no reminders."
    if not state.unresponsive:
        return (
            "This vendor is not unresponsive: it gets a final reminder only after 14 days without a "
            "response, once the target date has passed or 6 weeks have gone by since its last response."
        )
    if state.final_sent_since_response:
        return "A final reminder was already sent, and the vendor has not responded since."
    if not contacts:
        return "The vendor has no active “to” or “cc” contact: add one on its directory page first."
    return None


@access("analyst")
def final_reminder(request: HttpRequest, case: str, participant_id: str) -> HttpResponse:
    """The final reminder to an unresponsive vendor, with the reason, after a confirmation page."""
    user = _user(request)
    obj, participant = vendor_of(user, case, participant_id)
    participant = reminders.annotated(participant)
    state = reminders.state_of(participant)
    contacts = notification_contacts(participant.organization) if participant.organization else []
    name = _name(participant)
    happens = [
        f"One mail goes to each active “to” and “cc” contact of {name} ({len(contacts)} "
        f"address{'es' if len(contacts) != 1 else ''}): the VU#, the target date, neutral words and "
        "a link to the portal, never any detail of the case.",
        "The vendor sees on its timeline that a final reminder was sent; your reason stays with "
        "the coordinator.",
    ]
    if state.muted or obj.reminders_muted:
        happens.append(
            "Automatic reminders are muted here; a final reminder is your own decision and goes anyway."
        )
    page = Confirmation(
        title=f"Send the final reminder to {name}?",
        back_label=f"{name} in {obj.label}",
        back_url=vendor_url(obj, participant, "#reminders"),
        happens=happens,
        undo="A mail cannot be called back.",
        submit="Send the final reminder",
        reason_help="Why now: for example, “no answer since the notification, and the target date "
        "has passed”. Only the coordinator reads it, on the case's timeline.",
        facts=[
            Fact("Vendor", f"{name} ({participant.alias})"),
            Fact("Notified", at=participant.first_contact_at),
            Fact("Last response", "never")
            if state.last_response_at is None
            else Fact("Last response", at=state.last_response_at),
            Fact("Target date", "none yet")
            if obj.target_publication_at is None
            else Fact("Target date", at=obj.target_publication_at),
            Fact("Goes to", ", ".join(c.email for c in contacts) or "nobody"),
        ],
        blocked=blocked_reason(obj, state, len(contacts)),
    )

    def act(reason: str) -> str:
        reminder_actions.send_final_reminder(participant, by=user, reason=reason)
        return f"The final reminder to {name} is sent. Your reason is on the case's timeline."

    return confirm(request, page, act)

"""Reminders to vendors: muting them per case and per vendor, and the analyst's final reminder
to an unresponsive vendor. Analysts only; every change goes through
accord.cases.actions.reminders, as the pages do.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest
from ninja import Router
from pydantic import BaseModel, ConfigDict, Field

from accord.accounts.models import User
from accord.api.auth import rule
from accord.api.case_schemas import ParticipantOut, participant_out, participants_queryset
from accord.api.schemas import Error, ReasonRequired
from accord.cases.access import Standing, access_case
from accord.cases.actions import reminders as reminder_actions
from accord.cases.models import Case, Participant
from accord.cases.presenter import Viewer
from accord.lib.ids import MAX_ID

router = Router(tags=["reminders"])

WRITE = {400: Error, 401: Error, 403: Error, 404: Error, 409: Error}


class MutedBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    muted: bool = Field(description="true mutes the automatic reminders, false resumes them.")


class CaseRemindersOut(BaseModel):
    case: str = Field(description='"VU#123456"')
    muted: bool = Field(description="Automatic reminders are muted for every vendor of the case.")
    quiet: bool = Field(description="An imported or historical case: Accord sends it no reminders at all.")
    active: bool = Field(description="Automatic reminders go out (neither muted nor quiet).")


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _case_out(case: Case) -> CaseRemindersOut:
    return CaseRemindersOut(
        case=case.label,
        muted=case.reminders_muted,
        quiet=case.quiet,
        active=not (case.reminders_muted or case.quiet),
    )


def _vendor(standing: Standing, participant_id: int) -> Participant:
    """A vendor of the case, or 404 (a missing id, another case's, or a non-vendor participant)."""
    found = None
    if 0 < participant_id <= MAX_ID:
        found = (
            standing.case.participants.filter(pk=participant_id, kind=Participant.Kind.VENDOR)
            .select_related("organization")
            .first()
        )
    if found is None:
        raise Http404("No such vendor in this case.")
    return found


def _participant(standing: Standing, participant: Participant) -> ParticipantOut:
    viewer = Viewer.of(standing)
    return participant_out(participants_queryset(viewer).get(pk=participant.pk), viewer)


@router.get(
    "/cases/{case}/reminders",
    response={200: CaseRemindersOut, 401: Error, 403: Error, 404: Error},
    summary="Whether the case's automatic reminders go out",
    description="Automatic reminders: to a vendor that has not opened the case 7 days after its "
    "notification, and to a vendor without a statement 6 days before the target date; each once, "
    "until the target date. Each vendor's own state is in `reminders` of its participant.",
    auth=rule("analyst"),
)
def get_case_reminders(request: HttpRequest, case: str) -> CaseRemindersOut:
    return _case_out(access_case(_user(request), case, need="write").case)


@router.put(
    "/cases/{case}/reminders",
    response={200: CaseRemindersOut, **WRITE},
    summary="Mute or resume the automatic reminders of the whole case",
    description="Muting stops the automatic reminders only: an analyst can still send a final "
    "reminder to an unresponsive vendor. Setting the current value again changes nothing.",
    auth=rule("analyst"),
)
def put_case_reminders(request: HttpRequest, case: str, payload: MutedBody) -> CaseRemindersOut:
    user = _user(request)
    standing = access_case(user, case, need="write")
    return _case_out(reminder_actions.mute_case_reminders(standing.case, payload.muted, by=user))


@router.put(
    "/cases/{case}/participants/{participant_id}/reminders",
    response={200: ParticipantOut, **WRITE},
    summary="Mute or resume the automatic reminders of one vendor",
    description="Answers the participant, with its `reminders`. A participant that is not a vendor "
    "of the case answers 404.",
    auth=rule("analyst"),
)
def put_vendor_reminders(
    request: HttpRequest, case: str, participant_id: int, payload: MutedBody
) -> ParticipantOut:
    user = _user(request)
    standing = access_case(user, case, need="write")
    participant = reminder_actions.mute_vendor_reminders(
        _vendor(standing, participant_id), payload.muted, by=user
    )
    return _participant(standing, participant)


@router.post(
    "/cases/{case}/participants/{participant_id}/final-reminder",
    response={200: ParticipantOut, **WRITE},
    summary="Send the final reminder to an unresponsive vendor",
    description="One neutral mail to each active “to” and “cc” contact of the vendor (the VU#, the "
    "target date and a link, never case details). The reason (required) goes on the coordinator's "
    "timeline; the vendor sees only that a final reminder was sent. It goes to a vendor whose "
    "automatic reminders are muted too. Refused with 409 for a vendor that is not `unresponsive` "
    "(final-reminder-unresponsive), in an imported or historical case (reminders-quiet-case), "
    "when a final reminder went and the vendor has not responded since (final-reminder-once), and "
    "for a vendor without a contact (final-reminder-contact).",
    auth=rule("analyst"),
)
def post_final_reminder(
    request: HttpRequest, case: str, participant_id: int, payload: ReasonRequired
) -> ParticipantOut:
    user = _user(request)
    standing = access_case(user, case, need="write")
    participant = reminder_actions.send_final_reminder(
        _vendor(standing, participant_id), by=user, reason=payload.reason
    )
    return _participant(standing, participant)

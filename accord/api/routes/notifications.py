"""A person's mute of one case. The mode (immediate, digest, none) is on PATCH /me."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router
from pydantic import BaseModel, ConfigDict, Field

from accord.accounts.models import User
from accord.api.auth import rule
from accord.api.schemas import Error
from accord.cases.access import access_case
from accord.notifications import actions

router = Router(tags=["notifications"])


class MuteBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    muted: bool = Field(description="true: no mail and no digest item about this case for the caller")


class MuteOut(BaseModel):
    case: str = Field(description='"VU#123456"')
    muted: bool


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@router.get(
    "/cases/{case}/mute",
    response={200: MuteOut, 401: Error, 404: Error, 409: Error},
    summary="Whether the caller muted the case",
    auth=rule("object:case"),
)
def get_mute(request: HttpRequest, case: str) -> MuteOut:
    user = _user(request)
    found = access_case(user, case, need="read").case
    return MuteOut(case=found.label, muted=actions.is_muted(user, found))


@router.put(
    "/cases/{case}/mute",
    response={200: MuteOut, 400: Error, 401: Error, 404: Error, 409: Error},
    summary="Mute or unmute the case for the caller",
    description="A muted case sends the caller no mail and no digest item; it stays readable. "
    "Idempotent: setting the state it has changes nothing.",
    auth=rule("object:case"),
)
def put_mute(request: HttpRequest, case: str, payload: MuteBody) -> MuteOut:
    user = _user(request)
    found = access_case(user, case, need="read").case
    return MuteOut(case=found.label, muted=actions.set_case_muted(found, payload.muted, by=user))

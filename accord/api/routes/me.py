from typing import Literal

from django.http import HttpRequest, HttpResponse
from ninja import Router
from pydantic import BaseModel, Field

from accord.accounts import actions
from accord.accounts.models import User
from accord.accounts.queries import roles_of
from accord.api.auth import rule
from accord.api.base import check_if_match, etag_of, set_etag
from accord.api.schemas import Error, MembershipOut, OrganizationRef, UserOut
from accord.notifications.actions import set_notify_mode

router = Router(tags=["me"])


def user_out(user: User) -> UserOut:
    memberships = list(user.memberships.select_related("organization"))
    return UserOut(
        id=user.pk,
        email=user.email,
        name=user.name,
        timezone=user.timezone,
        notify_mode=user.notify_mode,
        roles=roles_of(user, memberships),
        organizations=[
            MembershipOut(
                organization=OrganizationRef(
                    id=m.organization.pk, name=m.organization.name, kind=m.organization.kind
                ),
                role=m.role,
            )
            for m in memberships
        ],
    )


class MeUpdate(BaseModel):
    name: str | None = Field(default=None, max_length=200)
    timezone: str | None = Field(default=None, max_length=64, description="IANA zone name, e.g. Europe/Paris")
    notify_mode: Literal["immediate", "digest", "none"] | None = Field(
        default=None,
        description="Mail about new items: one mail each, a daily digest, or none. Cases are muted with "
        "PUT /cases/{case}/mute.",
    )


@router.get(
    "/me",
    response={200: UserOut, 401: Error},
    summary="The caller, their organisations and roles",
    auth=rule("authenticated"),
)
def get_me(request: HttpRequest, response: HttpResponse) -> UserOut:
    user: User = request.user  # type: ignore[assignment]
    set_etag(response, etag_of(user, user.updated_at))
    return user_out(user)


@router.patch(
    "/me",
    response={200: UserOut, 400: Error, 401: Error, 412: Error},
    summary="Update name, time zone or notification mode",
    auth=rule("authenticated"),
)
def patch_me(request: HttpRequest, response: HttpResponse, payload: MeUpdate) -> UserOut:
    user: User = request.user  # type: ignore[assignment]
    check_if_match(request, etag_of(user, user.updated_at))
    if payload.timezone is not None:
        actions.set_timezone(user, payload.timezone, by=user)
    if payload.name is not None:
        actions.set_name(user, payload.name, by=user)
    if payload.notify_mode is not None:
        set_notify_mode(user, payload.notify_mode, by=user)
    set_etag(response, etag_of(user, user.updated_at))
    return user_out(user)

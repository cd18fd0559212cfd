from django.http import Http404, HttpRequest
from ninja import Router, Status
from pydantic import BaseModel, Field

from accord.accounts import actions
from accord.accounts.models import Invitation, Membership, Organization, User
from accord.accounts.queries import access_membership, access_organization, organizations_visible_to
from accord.api.auth import rule
from accord.api.base import paginate
from accord.api.routes.me import user_out
from accord.api.schemas import (
    Error,
    InvitationOut,
    MemberOut,
    OrganizationOut,
    OrganizationRef,
    ReasonRequired,
    UserOut,
    page_of,
)

router = Router(tags=["organizations"])


def org_out(org: Organization) -> OrganizationOut:
    return OrganizationOut(id=org.pk, name=org.name, kind=org.kind, created_at=org.created_at)


def member_out(m: Membership) -> MemberOut:
    return MemberOut(
        id=m.pk, user_id=m.user_id, email=m.user.email, name=m.user.name, role=m.role, joined_at=m.created_at
    )


def invitation_out(inv: Invitation) -> InvitationOut:
    org = inv.organization
    return InvitationOut(
        id=inv.pk,
        email=inv.email,
        organization=OrganizationRef(id=org.pk, name=org.name, kind=org.kind),
        role=inv.role,
        created_at=inv.created_at,
        expires_at=inv.expires_at,
    )


class OrganizationCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    kind: Organization.Kind = Organization.Kind.VENDOR


class InvitationCreate(BaseModel):
    email: str = Field(min_length=3, max_length=254)
    role: Membership.Role = Membership.Role.MEMBER


class RoleUpdate(BaseModel):
    role: Membership.Role


class InvitationAccept(BaseModel):
    token: str = Field(min_length=1, max_length=200)
    password: str | None = Field(default=None, max_length=200)
    name: str = Field(default="", max_length=200)


@router.get(
    "/organizations",
    response={200: page_of(OrganizationOut), 400: Error, 401: Error},
    auth=rule("authenticated"),
)
def list_organizations(
    request: HttpRequest,
    kind: Organization.Kind | None = None,
    cursor: str | None = None,
    limit: int | None = None,
) -> dict:
    queryset = organizations_visible_to(request.user)  # type: ignore[arg-type]
    if kind:
        queryset = queryset.filter(kind=kind)
    return paginate(
        queryset,
        ordering=("name", "id"),
        cursor=cursor,
        limit=limit,
        serialize=lambda page: [org_out(o) for o in page],
    )


@router.post(
    "/organizations",
    response={201: OrganizationOut, 400: Error, 401: Error, 403: Error},
    auth=rule("analyst"),
)
def create_organization(request: HttpRequest, payload: OrganizationCreate) -> Status[OrganizationOut]:
    org = actions.create_organization(payload.name, payload.kind, by=request.user)  # type: ignore[arg-type]
    return Status(201, org_out(org))


@router.get(
    "/organizations/{org_id}",
    response={200: OrganizationOut, 401: Error, 404: Error},
    auth=rule("object:organization"),
)
def get_organization(request: HttpRequest, org_id: int) -> OrganizationOut:
    return org_out(access_organization(request.user, org_id))  # type: ignore[arg-type]


@router.get(
    "/organizations/{org_id}/members",
    response={200: page_of(MemberOut), 400: Error, 401: Error, 404: Error},
    auth=rule("object:organization"),
)
def list_members(
    request: HttpRequest, org_id: int, cursor: str | None = None, limit: int | None = None
) -> dict:
    org = access_organization(request.user, org_id)  # type: ignore[arg-type]
    return paginate(
        Membership.objects.filter(organization=org).select_related("user"),
        ordering=("id",),
        cursor=cursor,
        limit=limit,
        serialize=lambda page: [member_out(m) for m in page],
    )


@router.patch(
    "/organizations/{org_id}/members/{membership_id}",
    response={200: MemberOut, 400: Error, 401: Error, 404: Error, 409: Error},
    auth=rule("object:organization"),
)
def set_member_role(request: HttpRequest, org_id: int, membership_id: int, payload: RoleUpdate) -> MemberOut:
    user: User = request.user  # type: ignore[assignment]
    org = access_organization(user, org_id)
    membership = actions.set_member_role(access_membership(user, org, membership_id), payload.role, by=user)
    return member_out(membership)


@router.delete(
    "/organizations/{org_id}/members/{membership_id}",
    response={204: None, 400: Error, 401: Error, 404: Error, 409: Error},
    summary="Remove a member from the organisation",
    description='Body `{"reason": "…"}` (required): why, kept on the organisation\'s record. '
    "The member loses the organisation's cases at once; this cannot be undone (invite them again).",
    auth=rule("object:organization"),
)
def remove_member(
    request: HttpRequest, org_id: int, membership_id: int, payload: ReasonRequired
) -> Status[None]:
    user: User = request.user  # type: ignore[assignment]
    org = access_organization(user, org_id)
    actions.remove_member(access_membership(user, org, membership_id), by=user, reason=payload.reason)
    return Status(204, None)


@router.post(
    "/organizations/{org_id}/invitations",
    response={201: InvitationOut, 400: Error, 401: Error, 404: Error, 409: Error},
    summary="Invite someone by email (analysts, or the organisation's admins)",
    auth=rule("object:organization"),
)
def invite(request: HttpRequest, org_id: int, payload: InvitationCreate) -> Status[InvitationOut]:
    user: User = request.user  # type: ignore[assignment]
    org = access_organization(user, org_id)
    invitation, _ = actions.invite_member(org, payload.email, payload.role, by=user)
    return Status(201, invitation_out(invitation))


@router.post(
    "/invitations/accept",
    response={201: UserOut, 400: Error, 404: Error, 409: Error},
    summary="Accept an invitation with its emailed token (logged in, or creating an account with a password)",
    auth=rule("public"),
)
def accept_invitation(request: HttpRequest, payload: InvitationAccept) -> Status[UserOut]:
    invitation = actions.find_invitation(payload.token)
    if invitation is None:
        raise Http404
    if request.user.is_authenticated:
        membership = actions.accept_invitation(invitation, user=request.user)
    else:
        membership = actions.accept_invitation(invitation, password=payload.password or "", name=payload.name)
    return Status(201, user_out(membership.user))

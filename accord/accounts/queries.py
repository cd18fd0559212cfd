"""Read helpers: roles and the access gate for organisations, invitations and tokens."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from accord.accounts.models import ApiToken, Membership, Organization, User
from accord.core.models import AuditEvent
from accord.lib.ids import parse_id


def roles_of(user: User, memberships: list[Membership] | None = None) -> list[str]:
    """The role names `/api/v1/me` and `accord demo --json` report."""
    roles: list[str] = []
    if user.is_analyst:
        roles.append("analyst")
    if user.is_publisher:
        roles.append("publisher")
    if user.is_coordinator_admin:
        roles.append("admin")
    if memberships is None:
        memberships = list(user.memberships.select_related("organization"))
    for membership in memberships:
        if membership.organization.kind == Organization.Kind.VENDOR:
            role = "vendor-admin" if membership.role == Membership.Role.ADMIN else "vendor-member"
            if role not in roles:
                roles.append(role)
    if not roles:
        roles.append("reporter")  # anyone else files and follows reports
    return roles


def organizations_visible_to(user: User) -> QuerySet[Organization]:
    if user.is_analyst:
        return Organization.objects.all()
    return Organization.objects.filter(memberships__user=user).distinct()


def access_organization(user: User, org_id: int | str) -> Organization:
    """404 for a missing organisation and for one the user may not see, alike."""
    try:
        return organizations_visible_to(user).get(pk=parse_id(org_id) or 0)  # 0 names nothing
    except Organization.DoesNotExist:
        raise Http404("No such organisation.")


def access_membership(user: User, org: Organization, membership_id: int | str) -> Membership:
    try:
        return Membership.objects.select_related("user", "organization").get(
            pk=parse_id(membership_id) or 0, organization=org
        )
    except Membership.DoesNotExist:
        raise Http404("No such member.")


def access_token(user: User, token_id: int | str) -> ApiToken:
    try:
        return ApiToken.objects.get(pk=parse_id(token_id) or 0, user=user)
    except ApiToken.DoesNotExist:
        raise Http404("No such token.")


def removed_members(org: Organization, limit: int = 50) -> list[AuditEvent]:
    """The organisation's member removals, newest first, with who removed them and why."""
    return list(
        AuditEvent.objects.filter(
            object_type=Organization._meta.label_lower, object_id=str(org.pk), kind="membership.removed"
        )
        .select_related("actor")
        .order_by("-created_at", "-id")[:limit]
    )

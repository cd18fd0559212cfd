"""Every state change of accounts, organisations, invitations and tokens.

Views, the API and management commands call these; they never save these models themselves.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accord.accounts.models import ApiToken, Invitation, Membership, Organization, User, hash_secret
from accord.accounts.twofactor import has_2fa
from accord.core import audit
from accord.lib.errors import InvalidInput, RuleViolation, storable
from accord.lib.reasons import required_reason
from accord.lib.time import is_timezone
from accord.mailgate import kinds

INVITATION_DAYS = 14


def _password_errors(password: str, user: User | None = None) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise InvalidInput("password", " ".join(exc.messages))


def _text(field: str, value: str) -> str:
    """Free text from any entry point (API bodies are not Django forms): no NUL characters,
    which PostgreSQL cannot store."""
    return storable(value, field)


@transaction.atomic
def create_organization(name: str, kind: str, *, by: User | None) -> Organization:
    name = _text("name", name).strip()
    if not name:
        raise InvalidInput("name", "An organisation needs a name.")
    if kind not in Organization.Kind.values:
        raise InvalidInput("kind", f"Kind must be one of {', '.join(Organization.Kind.values)}.")
    if Organization.objects.filter(name__iexact=name).exists():
        raise InvalidInput("name", f"An organisation named {name!r} already exists.")
    org = Organization.objects.create(name=name, kind=kind)
    audit.record(by, "organization.created", org, name=name, kind=kind)
    return org


@transaction.atomic
def set_timezone(user: User, zone: str, *, by: User) -> User:
    """Choose the zone pages show instants in; "" goes back to "not chosen" (the browser's zone)."""
    if zone and not is_timezone(zone):
        raise InvalidInput(
            "timezone",
            f'{zone!r} is not an IANA time zone name such as Europe/Paris (or "" for your browser\'s zone).',
        )
    old = user.timezone
    if zone == old:
        return user
    user.timezone = zone
    user.save(update_fields=["timezone", "updated_at"])
    audit.record(by, "user.timezone_changed", user, old=old, new=zone)
    return user


@transaction.atomic
def set_name(user: User, name: str, *, by: User) -> User:
    user.name = _text("name", name).strip()[:200]
    user.save(update_fields=["name", "updated_at"])
    return user


# --- API tokens -------------------------------------------------------------------------


@transaction.atomic
def create_token(user: User, name: str, *, by: User) -> tuple[ApiToken, str]:
    """Returns the token and its secret. The secret is never stored and never shown again."""
    name = _text("name", name).strip()
    if not name:
        raise InvalidInput("name", "Give the token a name, so you can tell it apart later.")
    if len(name) > 100:
        raise InvalidInput("name", "A token name has at most 100 characters.")
    secret = settings.API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=secret[: len(settings.API_TOKEN_PREFIX) + 6],
        token_hash=hash_secret(secret),
    )
    audit.record(by, "token.created", token, name=name)
    return token, secret


@transaction.atomic
def revoke_token(token: ApiToken, *, by: User) -> ApiToken:
    if token.revoked_at is not None:
        raise RuleViolation("token-revoked-once", "This token is already revoked.")
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit.record(by, "token.revoked", token)
    return token


def authenticate_token(secret: str) -> User | None:
    """The active user owning this token, recording its use; None for anything else."""
    if not secret.startswith(settings.API_TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=hash_secret(secret), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    # Staff who must use 2FA cannot bypass it with a token made before they set it up.
    if settings.REQUIRE_2FA_FOR_STAFF and token.user.is_coordinator_staff and not has_2fa(token.user):
        return None
    now = timezone.now()
    # Write at most once a minute, so busy tooling does not turn every read into a write.
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


# --- Organisations and members ------------------------------------------------------------


def can_manage_members(user: User, org: Organization) -> bool:
    """Analysts manage every vendor's members; a vendor admin manages its own organisation."""
    if user.is_analyst:
        return True
    return Membership.objects.filter(user=user, organization=org, role=Membership.Role.ADMIN).exists()


def _require_manager(user: User, org: Organization) -> None:
    if not can_manage_members(user, org):
        raise RuleViolation(
            "org-admin-manages-members", "Only the organisation's admins or an analyst can do this."
        )


@transaction.atomic
def invite_member(org: Organization, email: str, role: str, *, by: User) -> tuple[Invitation, str]:
    """Invite someone by email. An analyst invites a vendor's first member; its admins invite the rest."""
    _require_manager(by, org)
    email = _text("email", email).strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise InvalidInput("email", "Enter a valid email address.")
    if role not in Membership.Role.values:
        raise InvalidInput("role", "Role must be member or admin.")
    if org.kind == Organization.Kind.COORDINATOR and not by.is_coordinator_admin:
        raise RuleViolation(
            "coordinator-admin-adds-staff", "Only a coordinator admin adds coordinator staff."
        )
    if Membership.objects.filter(organization=org, user__email__iexact=email).exists():
        raise RuleViolation("one-membership", f"{email} is already a member of {org.name}.")
    secret = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        email=email,
        organization=org,
        role=role,
        token_hash=hash_secret(secret),
        invited_by=by,
        expires_at=timezone.now() + dt.timedelta(days=INVITATION_DAYS),
    )
    link = settings.SITE_URL + reverse("accounts:invitation", kwargs={"token": secret})
    kinds.invitation(email, org, by=by, role=role, link=link, days=INVITATION_DAYS)
    audit.record(by, "invitation.sent", invitation, email=email, organization=org.pk, role=role)
    return invitation, secret


def find_invitation(secret: str) -> Invitation | None:
    invitation = (
        Invitation.objects.select_related("organization").filter(token_hash=hash_secret(secret)).first()
    )
    return invitation if invitation is not None and invitation.is_open else None


@transaction.atomic
def accept_invitation(
    invitation: Invitation, *, user: User | None = None, password: str = "", name: str = ""
) -> Membership:
    """Join the organisation: as the logged-in `user`, or as a new account with `password`."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_open:
        raise RuleViolation(
            "invitation-open", "This invitation has expired, was revoked or was already used."
        )
    if user is None:
        if User.objects.filter(email__iexact=invitation.email).exists():
            raise RuleViolation("invitation-login", "An account with this address exists: log in to accept.")
        _password_errors(password)
        user = User.objects.create_user(invitation.email, password, name=_text("name", name).strip()[:200])
    elif user.email.lower() != invitation.email.lower():
        raise RuleViolation("invitation-addressee", "This invitation was sent to another address.")
    membership, _ = Membership.objects.get_or_create(
        user=user, organization=invitation.organization, defaults={"role": invitation.role}
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit.record(user, "invitation.accepted", invitation, user=user.pk)
    return membership


@transaction.atomic
def revoke_invitation(invitation: Invitation, *, by: User) -> Invitation:
    _require_manager(by, invitation.organization)
    if invitation.accepted_at is not None or invitation.revoked_at is not None:
        raise RuleViolation("invitation-open", "This invitation was already used or revoked.")
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit.record(by, "invitation.revoked", invitation)
    return invitation


def _admins_left(org: Organization, without: Membership) -> int:
    return (
        Membership.objects.filter(organization=org, role=Membership.Role.ADMIN).exclude(pk=without.pk).count()
    )


@transaction.atomic
def set_member_role(membership: Membership, role: str, *, by: User) -> Membership:
    _require_manager(by, membership.organization)
    if role not in Membership.Role.values:
        raise InvalidInput("role", "Role must be member or admin.")
    if (
        membership.role == Membership.Role.ADMIN
        and role != Membership.Role.ADMIN
        and _admins_left(membership.organization, membership) == 0
        and not by.is_analyst
    ):
        raise RuleViolation("org-keeps-an-admin", "An organisation keeps at least one admin.")
    old = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    audit.record(by, "membership.role_changed", membership, old=old, new=role)
    return membership


@transaction.atomic
def remove_member(membership: Membership, *, by: User, reason: str = "") -> None:
    """Take someone out of an organisation: they lose its cases at once. The reason is required
    and kept on the organisation's record (its "Removed members" list and the vendor's history)."""
    org = membership.organization
    _require_manager(by, org)
    if membership.role == Membership.Role.ADMIN and _admins_left(org, membership) == 0 and not by.is_analyst:
        raise RuleViolation("org-keeps-an-admin", "An organisation keeps at least one admin.")
    why = required_reason(reason, "to remove this member")
    audit.record(
        by,
        "membership.removed",
        org,
        membership=membership.pk,
        user=membership.user_id,
        email=membership.user.email,
        role=membership.role,
        org=org.pk,
        reason=why,
    )
    membership.delete()

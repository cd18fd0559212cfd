from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from accord.accounts import actions, twofactor, zones
from accord.accounts.forms import (
    AcceptInvitationForm,
    CodeForm,
    InviteForm,
    LoginForm,
    MemberRoleForm,
    PasswordResetForm,
    ProfileForm,
    TokenForm,
)
from accord.accounts.models import Membership, Organization, User
from accord.accounts.queries import (
    access_membership,
    access_organization,
    access_token,
    organizations_visible_to,
    removed_members,
)
from accord.core.access import access
from accord.core.confirm import Confirmation, Fact, confirm
from accord.core.redirects import local_next
from accord.lib.errors import InvalidInput, RuleViolation
from accord.notifications.forms import NotifyModeForm

T = TypeVar("T")

PENDING = "accord_pending_2fa"
NEW_TOKEN = "accord_new_token"
PENDING_SECONDS = 300
MAX_CODE_ATTEMPTS = 5


def lockout(request: HttpRequest, credentials: Any = None, *args: Any, **kwargs: Any) -> HttpResponse:
    """django-axes calls this when a username+client pair is locked out."""
    response = render(request, "accounts/locked.html", status=429)
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME * 3600))
    return response


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    return local_next(request, candidate) or reverse(settings.LOGIN_REDIRECT_URL)


@access("public")
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if request.user.is_authenticated and request.method == "GET":
        return redirect(_safe_next(request, next_url))
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = authenticate(
            request, username=form.cleaned_data["username"].lower(), password=form.cleaned_data["password"]
        )
        if isinstance(user, HttpResponse):  # axes lockout
            return user
        if user is None:
            form.add_error(None, "The email address or the password is not right.")
        elif twofactor.has_2fa(user):
            # Not logged in yet: the second step finishes the login.
            request.session[PENDING] = {
                "user": user.pk,
                "backend": user.backend,
                "next": next_url,
                "at": time.time(),
                "tries": 0,
            }
            return redirect("accounts:login_code")
        else:
            login(request, user)
            return redirect(_safe_next(request, next_url))
    return render(request, "accounts/login.html", {"form": form, "next": next_url})


@access("public")
def login_code_view(request: HttpRequest) -> HttpResponse:
    pending = request.session.get(PENDING)
    if not pending or time.time() - pending["at"] > PENDING_SECONDS:
        request.session.pop(PENDING, None)
        messages.info(request, "Please log in again.")
        return redirect("accounts:login")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = User.objects.filter(pk=pending["user"], is_active=True).first()
        device = twofactor.verify_code(user, form.cleaned_data["code"]) if user else None
        if user is not None and device is not None:
            request.session.pop(PENDING, None)
            login(request, user, backend=pending["backend"])
            otp_login(request, device)
            if device.persistent_id.startswith("otp_static"):
                left = twofactor.recovery_codes_left(user)
                messages.warning(request, f"You used a recovery code; {left} are left.")
            return redirect(_safe_next(request, pending["next"]))
        pending["tries"] += 1
        if pending["tries"] >= MAX_CODE_ATTEMPTS:
            request.session.pop(PENDING, None)
            messages.error(request, "Too many wrong codes. Please log in again.")
            return redirect("accounts:login")
        request.session[PENDING] = pending
        form.add_error("code", "That code is not right, or it was already used. Wait for the next code.")
    return render(request, "accounts/login_code.html", {"form": form})


@require_POST
@access("public")
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, "You are logged out.")
    return redirect("accounts:login")


password_reset = access("public")(
    auth_views.PasswordResetView.as_view(
        template_name="accounts/password_reset.html",
        form_class=PasswordResetForm,  # its mail is the kind `password_reset` (accord.mailgate.kinds)
        success_url=reverse_lazy("accounts:password_reset_done"),
    )
)
password_reset_done = access("public")(
    auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html")
)
password_reset_confirm = access("public")(
    auth_views.PasswordResetConfirmView.as_view(
        template_name="accounts/password_reset_confirm.html",
        success_url=reverse_lazy("accounts:password_reset_complete"),
    )
)
password_reset_complete = access("public")(
    auth_views.PasswordResetCompleteView.as_view(template_name="accounts/password_reset_complete.html")
)


@access("authenticated")
def profile_view(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    browser = zones.browser_zone(request)
    form = ProfileForm(
        request.POST or None,
        initial={"name": user.name, "timezone": zones.chosen_zone(user)},
        browser_zone=browser,
    )
    if request.method == "POST" and form.is_valid():
        actions.set_name(user, form.cleaned_data["name"], by=user)
        actions.set_timezone(user, form.cleaned_data["timezone"], by=user)
        messages.success(request, "Your profile is saved.")
        return redirect("accounts:profile")
    return render(
        request,
        "accounts/profile.html",
        {
            "form": form,
            "zone": zones.zone_of(request),
            "browser_zone": browser,
            "has_2fa": twofactor.has_2fa(user),
            "codes_left": twofactor.recovery_codes_left(user),
            "notify_form": NotifyModeForm(initial={"notify_mode": user.notify_mode}, auto_id="notify-%s"),
        },
    )


@access("authenticated")
def twofactor_setup_view(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    device = twofactor.pending_device(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and device is not None and form.is_valid():
        try:
            codes = twofactor.confirm_totp(user, device, form.cleaned_data["code"])
        except InvalidInput as exc:
            form.add_error("code", exc.message)
        else:
            otp_login(request, device)
            return render(request, "accounts/recovery_codes.html", {"codes": codes})
    if device is None:
        device = twofactor.start_totp_setup(user)
    return render(
        request,
        "accounts/twofactor_setup.html",
        {
            "form": form,
            "secret": twofactor.base32_secret(device),
            "qr": twofactor.qr_svg(device),
            "required": settings.REQUIRE_2FA_FOR_STAFF and user.is_coordinator_staff,
        },
    )


@require_POST
@access("authenticated")
def recovery_codes_view(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if not twofactor.has_2fa(user):
        messages.error(request, "Set up two-factor authentication first.")
        return redirect("accounts:profile")
    codes = twofactor.regenerate_recovery_codes(user)
    return render(request, "accounts/recovery_codes.html", {"codes": codes})


@require_POST
@access("authenticated")
def twofactor_disable_view(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if settings.REQUIRE_2FA_FOR_STAFF and user.is_coordinator_staff:
        messages.error(request, "Coordinator staff must keep two-factor authentication on.")
    else:
        twofactor.disable_2fa(user, by=user)
        messages.success(request, "Two-factor authentication is off.")
    return redirect("accounts:profile")


@access("authenticated")
def tokens_view(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            _, created = actions.create_token(user, form.cleaned_data["name"], by=user)
        except InvalidInput as exc:
            form.add_error("name", exc.message)
        else:
            # Post/redirect/get: a reload must not create a second token. The secret rides the
            # session to the next page once, then is gone.
            request.session[NEW_TOKEN] = created
            return redirect("accounts:tokens")
    secret = request.session.pop(NEW_TOKEN, None) if request.method == "GET" else None
    tokens = user.api_tokens.all()
    return render(request, "accounts/tokens.html", {"form": form, "tokens": tokens, "secret": secret})


@require_POST
@access("object:token")
def token_revoke_view(request: HttpRequest, token_id: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    token = access_token(user, token_id)
    try:
        actions.revoke_token(token, by=user)
        messages.success(request, f"Token {token.name!r} is revoked.")
    except RuleViolation as exc:
        messages.error(request, exc.message)
    return redirect("accounts:tokens")


@access("authenticated")
def organizations_view(request: HttpRequest) -> HttpResponse:
    orgs = organizations_visible_to(request.user).order_by("kind", "name")  # type: ignore[arg-type]
    return render(request, "accounts/organizations.html", {"organizations": orgs})


@access("object:organization")
def organization_view(request: HttpRequest, org_id: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    org = access_organization(user, org_id)
    can_manage = actions.can_manage_members(user, org)
    form = InviteForm(request.POST or None)
    if request.method == "POST":
        if not can_manage:
            messages.error(request, "Only the organisation's admins or an analyst can invite members.")
        elif form.is_valid():
            try:
                actions.invite_member(org, form.cleaned_data["email"], form.cleaned_data["role"], by=user)
            except (RuleViolation, InvalidInput) as exc:
                form.add_error("email" if isinstance(exc, InvalidInput) else None, exc.message)
            else:
                messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
                return redirect("accounts:organization", org_id=org.pk)
    members = org.memberships.select_related("user").order_by("user__email")
    invitations = (
        [inv for inv in org.invitations.select_related("invited_by") if inv.is_open] if can_manage else []
    )
    return render(
        request,
        "accounts/organization.html",
        {
            "org": org,
            "members": members,
            "invitations": invitations,
            "can_manage": can_manage,
            "removed": _removals(user, org) if can_manage else [],
            "form": form,
            "role_choices": Membership.Role.choices,
        },
    )


def _removals(viewer: User, org: Organization) -> list[tuple[Any, str]]:
    """(event, who removed) for the "Removed members" list. Coordinator staff appear to others
    by name or as "Coordinator", never by email (as in accord.cases.presenter)."""
    rows = []
    for event in removed_members(org):
        actor = event.actor
        if actor is None:
            who = "Accord" if event.by_system else "—"
        elif actor.is_coordinator_staff and not viewer.is_analyst:
            who = actor.name or "Coordinator"
        else:
            who = actor.display_name
        rows.append((event, who))
    return rows


@require_POST
@access("object:organization")
def member_role_view(request: HttpRequest, org_id: int, membership_id: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    org = access_organization(user, org_id)
    membership = access_membership(user, org, membership_id)
    form = MemberRoleForm(request.POST)
    if form.is_valid():
        try:
            actions.set_member_role(membership, form.cleaned_data["role"], by=user)
            messages.success(request, f"{membership.user.email} is now {form.cleaned_data['role']}.")
        except (RuleViolation, InvalidInput) as exc:
            messages.error(request, exc.message)
    return redirect("accounts:organization", org_id=org.pk)


@access("object:organization")
def member_remove_view(request: HttpRequest, org_id: int, membership_id: int) -> HttpResponse:
    """A confirmation page with the reason (GET), then the removal (POST)."""
    user: User = request.user  # type: ignore[assignment]
    org = access_organization(user, org_id)
    membership = access_membership(user, org, membership_id)
    member = membership.user
    yourself = member.pk == user.pk
    who = "You" if yourself else member.display_name
    happens = [
        f"{who} {'leave' if yourself else 'leaves'} {org.name} at once, and no longer "
        f"{'see' if yourself else 'sees'} its cases or its directory entry.",
        "Your reason is kept on the organisation's record, which its admins and the coordinator read.",
    ]
    if org.kind == Organization.Kind.COORDINATOR:
        happens.insert(1, "A staff role (analyst, publisher, admin) is not changed by this.")
    blocked = None
    if not actions.can_manage_members(user, org):
        blocked = "Only the organisation's admins or an analyst can remove members."
    elif (
        membership.role == Membership.Role.ADMIN
        and not user.is_analyst
        and not org.memberships.filter(role=Membership.Role.ADMIN).exclude(pk=membership.pk).exists()
    ):
        blocked = f"{member.email} is the last admin of {org.name}: an organisation keeps at least one admin."
    page = Confirmation(
        title=f"Leave {org.name}?" if yourself else f"Remove {member.email} from {org.name}?",
        back_label=org.name,
        back_url=reverse("accounts:organization", kwargs={"org_id": org.pk}),
        happens=happens,
        undo="This cannot be undone: to come back, they need a new invitation."
        if not yourself
        else "This cannot be undone: to come back, you need a new invitation.",
        submit="Leave the organisation" if yourself else "Remove the member",
        reason_help="Why: for example, they left the team. The organisation's admins read it.",
        facts=[
            Fact("Member", f"{member.display_name} <{member.email}>"),
            Fact("Role", membership.role),
        ],
        blocked=blocked,
    )

    def act(reason: str) -> str:
        actions.remove_member(membership, by=user, reason=reason)
        return f"{member.email} was removed from {org.name}."

    response = confirm(request, page, act)
    if yourself and response.status_code == 302 and not Membership.objects.filter(pk=membership.pk).exists():
        return redirect("core:dashboard")  # the organisation's page is no longer theirs to see
    return response


def join_with_account(
    request: HttpRequest, join: Callable[..., T]
) -> tuple[AcceptInvitationForm | None, T | None]:
    """The step invitations and vendor claim links share: the logged-in user joins, or a new
    account is made with the form's password. Returns the form (None when logged in) and the
    result of `join`, which is None until it worked; refusals are shown on the form or as a message.
    """
    user = request.user if request.user.is_authenticated else None
    form = AcceptInvitationForm(request.POST or None) if user is None else None
    if request.method != "POST" or (form is not None and not form.is_valid()):
        return form, None
    try:
        if form is None:
            return form, join(user=user)
        return form, join(password=form.cleaned_data["password"], name=form.cleaned_data["name"])
    except InvalidInput as exc:
        if form is not None:
            form.add_error("password" if exc.field == "password" else None, exc.message)
    except RuleViolation as exc:
        messages.error(request, exc.message)
    return form, None


@access("public")
def invitation_view(request: HttpRequest, token: str) -> HttpResponse:
    invitation = actions.find_invitation(token)
    if invitation is None:
        return render(request, "accounts/invitation_invalid.html", status=404)
    form, membership = join_with_account(request, functools.partial(actions.accept_invitation, invitation))
    if membership is not None:
        messages.success(request, f"Welcome to {invitation.organization.name}.")
        if form is None:
            return redirect("core:dashboard")
        messages.info(request, "Log in with your new password.")
        return redirect("accounts:login")
    return render(request, "accounts/invitation.html", {"invitation": invitation, "form": form})

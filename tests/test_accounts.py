"""Accounts through the UI and the API: login, throttling, password reset, invitations,
members and time zones."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

import axes.utils
import pytest
from django.conf import settings
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.utils import timezone

from accord.accounts import actions
from accord.accounts.models import Invitation, Membership, Organization, User
from accord.mailgate.models import OutboundMessage
from accord.testing import PASSWORD, World, login, make_user, token_client

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a much longer passphrase 7391"


def logged_in_user_id(client: Client) -> int | None:
    value = client.session.get("_auth_user_id")
    return int(value) if value is not None else None


def mail_since(before: int) -> list[OutboundMessage]:
    return list(OutboundMessage.objects.filter(id__gt=before).order_by("id"))


def last_mail_id() -> int:
    return OutboundMessage.objects.order_by("-id").values_list("id", flat=True).first() or 0


def messages_of(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- Login --------------------------------------------------------------------------------


def test_email_and_password_log_in_a_user_without_2fa(world: World) -> None:
    client = Client()
    response = client.post("/accounts/login/", {"username": world.reporter.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/dashboard/"
    assert logged_in_user_id(client) == world.reporter.pk
    assert client.get("/dashboard/").status_code == 200


def test_the_email_is_not_case_sensitive(world: World) -> None:
    client = Client()
    client.post("/accounts/login/", {"username": world.reporter.email.upper(), "password": PASSWORD})
    assert logged_in_user_id(client) == world.reporter.pk


def test_a_wrong_password_shows_an_error_and_does_not_log_in(world: World) -> None:
    client = Client()
    response = client.post("/accounts/login/", {"username": world.reporter.email, "password": "not it"})
    assert response.status_code == 200
    assert b"The email address or the password is not right." in response.content
    assert logged_in_user_id(client) is None
    assert client.get("/dashboard/").status_code == 302


def test_an_unknown_email_gets_the_same_error(db: None) -> None:
    client = Client()
    response = client.post("/accounts/login/", {"username": "nobody@example.test", "password": PASSWORD})
    assert response.status_code == 200
    assert b"The email address or the password is not right." in response.content
    assert logged_in_user_id(client) is None


def test_a_deactivated_user_cannot_log_in(world: World) -> None:
    User.objects.filter(pk=world.reporter.pk).update(is_active=False)
    client = Client()
    client.post("/accounts/login/", {"username": world.reporter.email, "password": PASSWORD})
    assert logged_in_user_id(client) is None


@pytest.mark.parametrize("next_url", ["/accounts/profile/", "/accounts/tokens/?x=1"])
def test_a_local_next_is_followed(world: World, next_url: str) -> None:
    client = Client()
    response = client.post(
        "/accounts/login/", {"username": world.reporter.email, "password": PASSWORD, "next": next_url}
    )
    assert response["Location"] == next_url


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/",
        "//evil.example/path",
        "http://evil.example@testserver/",
        "javascript:alert(1)",
    ],
)
def test_an_external_next_is_ignored(world: World, next_url: str) -> None:
    client = Client()
    response = client.post(
        "/accounts/login/", {"username": world.reporter.email, "password": PASSWORD, "next": next_url}
    )
    assert response.status_code == 302
    assert response["Location"] == "/dashboard/"
    assert logged_in_user_id(client) == world.reporter.pk


def test_next_from_the_query_string_is_honoured(world: World) -> None:
    client = Client()
    response = client.post(
        "/accounts/login/?next=/accounts/profile/", {"username": world.reporter.email, "password": PASSWORD}
    )
    assert response["Location"] == "/accounts/profile/"


def test_logout_ends_the_session(world: World) -> None:
    client = login(Client(), world.reporter)
    assert client.get("/dashboard/").status_code == 200
    response = client.post("/accounts/logout/")
    assert response["Location"] == "/accounts/login/"
    assert client.get("/dashboard/").status_code == 302


def test_repeated_failures_lock_out_with_429_and_retry_after(world: World, settings) -> None:  # type: ignore[no-untyped-def]
    settings.AXES_ENABLED = True
    axes.utils.reset()
    client = Client()
    email = world.reporter.email
    statuses = [
        client.post("/accounts/login/", {"username": email, "password": f"wrong {i}"}).status_code
        for i in range(settings.AXES_FAILURE_LIMIT)
    ]
    assert statuses[:-1] == [200] * (settings.AXES_FAILURE_LIMIT - 1)
    assert statuses[-1] == 429

    response = client.post("/accounts/login/", {"username": email, "password": PASSWORD})
    assert response.status_code == 429
    assert int(response["Retry-After"]) == settings.AXES_COOLOFF_TIME * 3600 > 0
    assert b"Too many failed logins" in response.content
    assert logged_in_user_id(client) is None

    # The lockout is for this account from this address, not for everyone.
    other = Client()
    other.post("/accounts/login/", {"username": world.outsider.email, "password": PASSWORD})
    assert logged_in_user_id(other) == world.outsider.pk


def test_a_success_before_the_limit_resets_the_failures(world: World, settings) -> None:  # type: ignore[no-untyped-def]
    settings.AXES_ENABLED = True
    axes.utils.reset()
    email = world.reporter.email
    client = Client()
    for i in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post("/accounts/login/", {"username": email, "password": f"wrong {i}"})
    client.post("/accounts/login/", {"username": email, "password": PASSWORD})
    assert logged_in_user_id(client) == world.reporter.pk
    client.post("/accounts/logout/")
    response = client.post("/accounts/login/", {"username": email, "password": "wrong again"})
    assert response.status_code == 200


# --- Password reset ---------------------------------------------------------------------------


def test_password_reset_sends_one_link_that_sets_a_new_password(world: World) -> None:
    client = Client()
    before = last_mail_id()
    response = client.post("/accounts/password-reset/", {"email": world.reporter.email})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password-reset/sent/"

    [mail] = mail_since(before)
    assert mail.to_email == world.reporter.email
    match = re.search(r"(\S+/accounts/password-reset/[^/\s]+/[^/\s]+/)", mail.body_text)
    assert match, mail.body_text
    link = match.group(1)
    assert link.startswith(settings.SITE_URL + "/")

    response = client.get(urlsplit(link).path)
    assert response.status_code == 302  # Django swaps the token out of the URL
    form_url = response["Location"]
    page = client.get(form_url)
    assert page.status_code == 200
    assert b"new_password1" in page.content
    response = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password-reset/complete/"

    fresh = Client()
    fresh.post("/accounts/login/", {"username": world.reporter.email, "password": PASSWORD})
    assert logged_in_user_id(fresh) is None
    fresh.post("/accounts/login/", {"username": world.reporter.email, "password": NEW_PASSWORD})
    assert logged_in_user_id(fresh) == world.reporter.pk

    # The link works once.
    response = Client().get(urlsplit(link).path, follow=True)
    assert b"new_password1" not in response.content


def test_password_reset_for_an_unknown_address_sends_nothing_and_looks_the_same(world: World) -> None:
    known = Client().post("/accounts/password-reset/", {"email": world.reporter.email}, follow=True)
    before = last_mail_id()
    unknown = Client().post("/accounts/password-reset/", {"email": "nobody@example.test"}, follow=True)
    assert mail_since(before) == []
    assert unknown.redirect_chain == known.redirect_chain == [("/accounts/password-reset/sent/", 302)]
    assert b"Check your mail" in unknown.content
    assert unknown.content == known.content


def test_password_reset_mail_is_sent_at_commit(world: World, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    before = last_mail_id()
    with django_capture_on_commit_callbacks(execute=True):
        Client().post("/accounts/password-reset/", {"email": world.reporter.email})
    [mail] = mail_since(before)
    assert mail.status == OutboundMessage.Status.SENT


def test_a_weak_new_password_is_refused(world: World) -> None:
    client = Client()
    before = last_mail_id()
    client.post("/accounts/password-reset/", {"email": world.reporter.email})
    [mail] = mail_since(before)
    link = re.search(r"\S+/accounts/password-reset/\S+/", mail.body_text)
    assert link
    form_url = client.get(urlsplit(link.group(0)).path)["Location"]
    response = client.post(form_url, {"new_password1": "short", "new_password2": "short"})
    assert response.status_code == 200
    world.reporter.refresh_from_db()
    assert world.reporter.check_password(PASSWORD)


# --- Invitations ------------------------------------------------------------------------------


def invitation_link(to: str) -> str:
    mail = OutboundMessage.objects.filter(to_email=to).latest("id")
    match = re.search(r"\S+/accounts/invitations/[^/\s]+/", mail.body_text)
    assert match, mail.body_text
    assert match.group(0).startswith(settings.SITE_URL + "/")
    return urlsplit(match.group(0)).path


def token_of(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[1]


@pytest.fixture
def initech(world: World) -> Organization:
    return actions.create_organization("Initech", "vendor", by=world.analyst)


def test_an_analyst_invites_the_first_member_and_the_invitee_joins(
    world: World, initech: Organization
) -> None:
    analyst = login(Client(), world.analyst)
    response = analyst.post(
        f"/accounts/organizations/{initech.pk}/", {"email": "Boss@Initech.test", "role": "admin"}
    )
    assert response.status_code == 302
    invitation = Invitation.objects.get(organization=initech)
    assert invitation.email == "boss@initech.test"
    assert invitation.role == "admin"
    assert invitation.invited_by == world.analyst

    mail = OutboundMessage.objects.get(to_email="boss@initech.test")
    assert "Initech" in mail.subject
    path = invitation_link("boss@initech.test")
    assert token_of(path) not in invitation.token_hash  # only the hash is stored

    invitee = Client()
    page = invitee.get(path)
    assert page.status_code == 200
    assert b"Initech" in page.content
    response = invitee.post(path, {"name": "Bill Lumbergh", "password": NEW_PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"

    boss = User.objects.get(email="boss@initech.test")
    assert boss.name == "Bill Lumbergh"
    assert Membership.objects.get(user=boss, organization=initech).role == "admin"
    invitation.refresh_from_db()
    assert invitation.accepted_by == boss

    invitee.post("/accounts/login/", {"username": "boss@initech.test", "password": NEW_PASSWORD})
    assert logged_in_user_id(invitee) == boss.pk

    # The link works once.
    assert Client().get(path).status_code == 404
    response = Client().post(path, {"name": "Again", "password": NEW_PASSWORD})
    assert response.status_code == 404
    assert Membership.objects.filter(organization=initech).count() == 1


def test_a_vendor_admin_invites_more_members_through_ui_and_api(world: World) -> None:
    ui = login(Client(), world.vendor)
    response = ui.post(
        f"/accounts/organizations/{world.vendor_org.pk}/", {"email": "dev@vendor-one.test", "role": "member"}
    )
    assert response.status_code == 302
    assert Invitation.objects.filter(organization=world.vendor_org, email="dev@vendor-one.test").exists()

    api = token_client(world.vendor)
    response = api.post(
        f"/api/v1/organizations/{world.vendor_org.pk}/invitations",
        {"email": "ops@vendor-one.test", "role": "admin"},
        content_type="application/json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "ops@vendor-one.test"
    assert body["role"] == "admin"
    assert body["organization"]["id"] == world.vendor_org.pk
    assert "token" not in body
    assert OutboundMessage.objects.filter(to_email="ops@vendor-one.test").count() == 1

    # Accepting through the API creates the account.
    token = token_of(invitation_link("ops@vendor-one.test"))
    response = Client().post(
        "/api/v1/invitations/accept",
        {"token": token, "password": NEW_PASSWORD, "name": "Ops"},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["email"] == "ops@vendor-one.test"
    assert response.json()["roles"] == ["vendor-admin"]
    again = Client().post(
        "/api/v1/invitations/accept",
        {"token": token, "password": NEW_PASSWORD},
        content_type="application/json",
    )
    assert again.status_code == 404


def test_a_plain_member_cannot_invite(world: World) -> None:
    member = make_user("dev@vendor-one.test", org=world.vendor_org, role="member")
    ui = login(Client(), member)
    response = ui.post(
        f"/accounts/organizations/{world.vendor_org.pk}/",
        {"email": "friend@vendor-one.test", "role": "member"},
    )
    assert response.status_code == 200
    assert "Only the organisation's admins or an analyst can invite members." in messages_of(response)

    api = token_client(member)
    response = api.post(
        f"/api/v1/organizations/{world.vendor_org.pk}/invitations",
        {"email": "friend@vendor-one.test", "role": "member"},
        content_type="application/json",
    )
    assert response.status_code == 409
    assert "org-admin-manages-members" in response.json()["detail"]
    assert not Invitation.objects.filter(email="friend@vendor-one.test").exists()
    assert not OutboundMessage.objects.filter(to_email="friend@vendor-one.test").exists()


def test_an_invitation_to_an_invalid_address_is_refused(world: World) -> None:
    api = token_client(world.vendor)
    for email in ("@@@", "no-at-sign.test", "a@"):
        response = api.post(
            f"/api/v1/organizations/{world.vendor_org.pk}/invitations",
            {"email": email},
            content_type="application/json",
        )
        assert response.status_code == 400, email
        assert response.json()["errors"][0]["field"] == "email"
    assert not Invitation.objects.exists()


def test_an_existing_member_cannot_be_invited_again(world: World) -> None:
    response = token_client(world.analyst).post(
        f"/api/v1/organizations/{world.vendor_org.pk}/invitations",
        {"email": world.vendor.email},
        content_type="application/json",
    )
    assert response.status_code == 409
    assert "one-membership" in response.json()["detail"]


def test_an_expired_invitation_is_refused(world: World) -> None:
    invitation, secret = actions.invite_member(
        world.vendor_org, "late@vendor-one.test", "member", by=world.vendor
    )
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    path = f"/accounts/invitations/{secret}/"
    assert Client().get(path).status_code == 404
    assert Client().post(path, {"password": NEW_PASSWORD}).status_code == 404
    response = Client().post(
        "/api/v1/invitations/accept",
        {"token": secret, "password": NEW_PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert not User.objects.filter(email="late@vendor-one.test").exists()


def test_a_revoked_invitation_is_refused(world: World) -> None:
    invitation, secret = actions.invite_member(
        world.vendor_org, "gone@vendor-one.test", "member", by=world.vendor
    )
    actions.revoke_invitation(invitation, by=world.vendor)
    assert Client().get(f"/accounts/invitations/{secret}/").status_code == 404


def test_a_logged_in_user_with_another_email_cannot_accept(world: World) -> None:
    invitation, secret = actions.invite_member(
        world.vendor_org, "intended@vendor-one.test", "member", by=world.vendor
    )
    path = f"/accounts/invitations/{secret}/"
    client = login(Client(), world.outsider)
    response = client.post(path, follow=True)
    assert "This invitation was sent to another address." in messages_of(response)
    assert not Membership.objects.filter(user=world.outsider, organization=world.vendor_org).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None

    response = token_client(world.outsider).post(
        "/api/v1/invitations/accept", {"token": secret}, content_type="application/json"
    )
    assert response.status_code == 409
    assert "invitation-addressee" in response.json()["detail"]
    invitation.refresh_from_db()
    assert invitation.is_open


def test_a_logged_in_user_with_the_invited_email_joins(world: World) -> None:
    _, secret = actions.invite_member(world.vendor_org, world.reporter.email, "member", by=world.vendor)
    client = login(Client(), world.reporter)
    response = client.post(f"/accounts/invitations/{secret}/")
    assert response["Location"] == "/dashboard/"
    assert Membership.objects.get(user=world.reporter, organization=world.vendor_org).role == "member"


def test_an_anonymous_invitee_with_an_existing_account_must_log_in(world: World) -> None:
    invitation, secret = actions.invite_member(
        world.vendor_org, world.reporter.email, "member", by=world.vendor
    )
    response = Client().post(f"/accounts/invitations/{secret}/", {"password": NEW_PASSWORD}, follow=True)
    assert any("log in to accept" in m for m in messages_of(response))
    world.reporter.refresh_from_db()
    assert world.reporter.check_password(PASSWORD)
    invitation.refresh_from_db()
    assert invitation.is_open


def test_an_invitee_with_a_weak_password_is_refused(world: World) -> None:
    _, secret = actions.invite_member(world.vendor_org, "weak@vendor-one.test", "member", by=world.vendor)
    response = Client().post(f"/accounts/invitations/{secret}/", {"password": "password"})
    assert response.status_code == 200
    assert response.context["form"].errors["password"]
    assert not User.objects.filter(email="weak@vendor-one.test").exists()


# --- Members ------------------------------------------------------------------------------------


@pytest.fixture
def member(world: World) -> Membership:
    user = make_user("dev@vendor-one.test", org=world.vendor_org, role="member")
    return Membership.objects.get(user=user)


def own_membership(world: World) -> Membership:
    return Membership.objects.get(user=world.vendor, organization=world.vendor_org)


def test_a_vendor_admin_changes_a_role_and_removes_a_member_in_the_ui(
    world: World, member: Membership
) -> None:
    client = login(Client(), world.vendor)
    base = f"/accounts/organizations/{world.vendor_org.pk}/members/{member.pk}"
    response = client.post(f"{base}/role/", {"role": "admin"}, follow=True)
    assert f"{member.user.email} is now admin." in messages_of(response)
    member.refresh_from_db()
    assert member.role == "admin"

    # Removing asks for confirmation and a reason first (issue 8).
    page = client.get(f"{base}/remove/")
    assert page.status_code == 200 and "This cannot be undone" in page.content.decode()
    response = client.post(f"{base}/remove/", {"confirm": "yes", "reason": "Left the team."}, follow=True)
    assert f"{member.user.email} was removed from Vendor One." in messages_of(response)
    assert not Membership.objects.filter(pk=member.pk).exists()


def test_a_vendor_admin_changes_a_role_and_removes_a_member_in_the_api(
    world: World, member: Membership
) -> None:
    api = token_client(world.vendor)
    url = f"/api/v1/organizations/{world.vendor_org.pk}/members/{member.pk}"
    response = api.patch(url, {"role": "admin"}, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["role"] == "admin"
    assert response.json()["email"] == member.user.email
    member.refresh_from_db()
    assert member.role == "admin"

    reason = {"reason": "Left the team."}
    assert api.delete(url, reason, content_type="application/json").status_code == 204
    assert not Membership.objects.filter(pk=member.pk).exists()
    assert api.delete(url, reason, content_type="application/json").status_code == 404


def test_a_plain_member_cannot_change_roles(world: World, member: Membership) -> None:
    api = token_client(member.user)
    url = f"/api/v1/organizations/{world.vendor_org.pk}/members/{own_membership(world).pk}"
    response = api.patch(url, {"role": "member"}, content_type="application/json")
    assert response.status_code == 409
    assert "org-admin-manages-members" in response.json()["detail"]
    assert api.delete(url, {"reason": "x"}, content_type="application/json").status_code == 409
    assert own_membership(world).role == "admin"


def test_the_last_admin_cannot_demote_or_remove_themselves_in_the_ui(
    world: World, member: Membership
) -> None:
    client = login(Client(), world.vendor)
    mine = own_membership(world)
    base = f"/accounts/organizations/{world.vendor_org.pk}/members/{mine.pk}"
    response = client.post(f"{base}/role/", {"role": "member"}, follow=True)
    assert "An organisation keeps at least one admin." in messages_of(response)
    mine.refresh_from_db()
    assert mine.role == "admin"

    # The confirmation page says so at once; confirming anyway is refused by the rule.
    assert "an organisation keeps at least one admin" in client.get(f"{base}/remove/").content.decode()
    response = client.post(f"{base}/remove/", {"confirm": "yes", "reason": "Leaving."}, follow=True)
    assert "(rule: org-keeps-an-admin)" in " ".join(messages_of(response))
    assert Membership.objects.filter(pk=mine.pk).exists()


def test_the_last_admin_cannot_demote_or_remove_themselves_in_the_api(
    world: World, member: Membership
) -> None:
    api = token_client(world.vendor)
    mine = own_membership(world)
    url = f"/api/v1/organizations/{world.vendor_org.pk}/members/{mine.pk}"
    response = api.patch(url, {"role": "member"}, content_type="application/json")
    assert response.status_code == 409
    assert "org-keeps-an-admin" in response.json()["detail"]
    response = api.delete(url, {"reason": "Leaving."}, content_type="application/json")
    assert response.status_code == 409
    assert "org-keeps-an-admin" in response.json()["detail"]
    mine.refresh_from_db()
    assert mine.role == "admin"

    # With a second admin, the first may step down.
    assert (
        api.patch(
            f"/api/v1/organizations/{world.vendor_org.pk}/members/{member.pk}",
            {"role": "admin"},
            content_type="application/json",
        ).status_code
        == 200
    )
    assert api.patch(url, {"role": "member"}, content_type="application/json").status_code == 200
    mine.refresh_from_db()
    assert mine.role == "member"


def test_members_of_another_organisation_are_not_found(world: World) -> None:
    theirs = Membership.objects.get(user=world.other_vendor)
    api = token_client(world.vendor)
    url = f"/api/v1/organizations/{world.vendor_org.pk}/members/{theirs.pk}"
    assert api.patch(url, {"role": "member"}, content_type="application/json").status_code == 404
    assert api.delete(url, {"reason": "x"}, content_type="application/json").status_code == 404
    assert Membership.objects.filter(pk=theirs.pk, role="admin").exists()


# --- Time zones ----------------------------------------------------------------------------------


def test_the_profile_form_sets_the_time_zone(world: World) -> None:
    client = login(Client(), world.vendor)
    response = client.post("/accounts/profile/", {"name": "Pat", "timezone": "Asia/Tokyo"})
    assert response.status_code == 302
    world.vendor.refresh_from_db()
    assert (world.vendor.name, world.vendor.timezone) == ("Pat", "Asia/Tokyo")


def test_the_profile_form_refuses_an_unknown_zone(world: World) -> None:
    client = login(Client(), world.vendor)
    response = client.post("/accounts/profile/", {"name": "Pat", "timezone": "Mars/Olympus_Mons"})
    assert response.status_code == 200
    assert response.context["form"].errors["timezone"]
    world.vendor.refresh_from_db()
    assert world.vendor.timezone == ""  # still not chosen


def test_the_api_sets_the_time_zone(world: World) -> None:
    api = token_client(world.vendor)
    response = api.patch("/api/v1/me", {"timezone": "Europe/Paris"}, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["timezone"] == "Europe/Paris"
    world.vendor.refresh_from_db()
    assert world.vendor.timezone == "Europe/Paris"


# "" is no error: it goes back to "not chosen" (tests/test_time_zones.py).
@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "europe/paris", "UTC\u0000"])
def test_the_api_refuses_an_unknown_zone_naming_the_field(world: World, zone: str) -> None:
    api = token_client(world.vendor)
    response = api.patch("/api/v1/me", {"timezone": zone}, content_type="application/json")
    assert response.status_code == 400
    body = response.json()
    assert [e["field"] for e in body["errors"]] == ["timezone"]
    assert body["detail"]
    world.vendor.refresh_from_db()
    assert world.vendor.timezone == ""


INSTANT = dt.datetime(2026, 11, 23, 22, 0, tzinfo=dt.UTC)


def render_instant(user) -> str:  # type: ignore[no-untyped-def]
    request = RequestFactory().get("/")
    request.user = user
    return Template("{% instant value %}").render(Context({"request": request, "value": INSTANT}))


def test_instant_shows_utc_and_the_users_zone_by_name(world: World) -> None:
    actions.set_timezone(world.vendor, "Asia/Tokyo", by=world.vendor)
    html = render_instant(world.vendor)
    assert 'datetime="2026-11-23T22:00:00Z"' in html
    assert "2026-11-23 22:00 UTC" in html
    assert "2026-11-24 07:00 JST (Asia/Tokyo)" in html


def test_instant_names_the_zone_across_daylight_saving(world: World) -> None:
    actions.set_timezone(world.vendor, "America/New_York", by=world.vendor)
    assert "2026-11-23 17:00 EST (America/New_York)" in render_instant(world.vendor)


def test_instant_shows_only_utc_to_anonymous_users(db: None) -> None:
    from django.contrib.auth.models import AnonymousUser

    html = render_instant(AnonymousUser())
    assert "2026-11-23 22:00 UTC" in html
    assert "(" not in html
    assert 'class="local"' not in html


def test_instant_shows_only_utc_to_users_in_utc(world: World) -> None:
    html = render_instant(world.vendor)
    assert "2026-11-23 22:00 UTC" in html
    assert 'class="local"' not in html


def test_instant_handles_no_value(db: None) -> None:
    html = Template("{% instant value %}").render(Context({"value": None}))
    assert html == "<span>—</span>"


def test_pages_show_instants_in_the_users_zone(world: World) -> None:
    actions.set_timezone(world.vendor, "Asia/Tokyo", by=world.vendor)
    invitation, _ = actions.invite_member(world.vendor_org, "soon@vendor-one.test", "member", by=world.vendor)
    page = login(Client(), world.vendor).get(f"/accounts/organizations/{world.vendor_org.pk}/")
    assert page.status_code == 200
    local = timezone.localtime(invitation.expires_at, dt.timezone(dt.timedelta(hours=9)))
    assert f"{local:%Y-%m-%d %H:%M} JST (Asia/Tokyo)".encode() in page.content
    assert f"{invitation.expires_at.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC".encode() in page.content

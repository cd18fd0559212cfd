"""Login with a second factor: TOTP codes, recovery codes, retries, and staff who must use it."""

from __future__ import annotations

import base64

import pyotp
import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from accord.accounts import twofactor
from accord.accounts.models import User
from accord.testing import PASSWORD, World, login

pytestmark = pytest.mark.django_db


def code_of(device: TOTPDevice) -> str:
    return pyotp.TOTP(base64.b32encode(device.bin_key).decode("ascii")).now()


def totp_code(user: User) -> str:
    return code_of(TOTPDevice.objects.get(user=user, confirmed=True))


def wrong_code(user: User) -> str:
    return f"{(int(totp_code(user)) + 500_000) % 1_000_000:06d}"


def logged_in_user_id(client: Client) -> int | None:
    value = client.session.get("_auth_user_id")
    return int(value) if value is not None else None


def password_step(client: Client, user: User, **extra: str):  # type: ignore[no-untyped-def]
    return client.post("/accounts/login/", {"username": user.email, "password": PASSWORD, **extra})


@pytest.fixture
def no_otp_throttling(settings):  # type: ignore[no-untyped-def]
    # django-otp slows down retries after a wrong code (1 s, 2 s, ...); tests that send a
    # right code after a wrong one switch that off, so the right code is really checked.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


def test_user_with_totp_is_logged_in_only_after_a_right_code(world: World) -> None:
    client = Client()
    response = password_step(client, world.analyst)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/code/"
    assert logged_in_user_id(client) is None
    # The half-done login opens nothing.
    assert client.get("/dashboard/")["Location"].startswith("/accounts/login/")
    assert client.get("/api/v1/me").status_code == 401

    page = client.get("/accounts/login/code/")
    assert page.status_code == 200
    assert b'name="code"' in page.content

    response = client.post("/accounts/login/code/", {"code": totp_code(world.analyst)})
    assert response.status_code == 302
    assert response["Location"] == "/dashboard/"
    assert logged_in_user_id(client) == world.analyst.pk
    assert client.get("/dashboard/").status_code == 200
    assert client.get("/api/v1/me").json()["email"] == world.analyst.email


def test_a_wrong_code_does_not_log_in(world: World) -> None:
    client = Client()
    password_step(client, world.analyst)
    response = client.post("/accounts/login/code/", {"code": wrong_code(world.analyst)})
    assert response.status_code == 200
    assert b"That code is not right" in response.content
    assert logged_in_user_id(client) is None
    assert client.get("/dashboard/").status_code == 302


def test_a_totp_code_works_only_once(world: World, no_otp_throttling: None) -> None:
    code = totp_code(world.analyst)
    first = Client()
    password_step(first, world.analyst)
    assert first.post("/accounts/login/code/", {"code": code}).status_code == 302
    assert logged_in_user_id(first) == world.analyst.pk

    second = Client()
    password_step(second, world.analyst)
    response = second.post("/accounts/login/code/", {"code": code})
    assert response.status_code == 200
    assert logged_in_user_id(second) is None


def test_a_recovery_code_works_once_and_not_twice(world: World, no_otp_throttling: None) -> None:
    codes = twofactor.regenerate_recovery_codes(world.analyst)
    assert len(codes) == twofactor.RECOVERY_CODES == len(set(codes))

    client = Client()
    password_step(client, world.analyst)
    response = client.post("/accounts/login/code/", {"code": codes[0]}, follow=True)
    assert logged_in_user_id(client) == world.analyst.pk
    assert response.redirect_chain[-1][0] == "/dashboard/"
    assert b"You used a recovery code; 9 are left." in response.content
    assert twofactor.recovery_codes_left(world.analyst) == 9
    client.post("/accounts/logout/")
    assert logged_in_user_id(client) is None

    again = Client()
    password_step(again, world.analyst)
    response = again.post("/accounts/login/code/", {"code": codes[0]})
    assert response.status_code == 200
    assert logged_in_user_id(again) is None
    # Another unused code still works.
    again.post("/accounts/login/code/", {"code": codes[1]})
    assert logged_in_user_id(again) == world.analyst.pk


def test_five_wrong_codes_restart_the_login(world: World, no_otp_throttling: None) -> None:
    client = Client()
    password_step(client, world.analyst)
    for _ in range(4):
        response = client.post("/accounts/login/code/", {"code": wrong_code(world.analyst)})
        assert response.status_code == 200
    response = client.post("/accounts/login/code/", {"code": wrong_code(world.analyst)}, follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/login/"
    assert b"Too many wrong codes" in response.content
    # The pending login is gone: even the right code does not log in now.
    response = client.post("/accounts/login/code/", {"code": totp_code(world.analyst)})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert logged_in_user_id(client) is None
    # Starting again with the password works.
    password_step(client, world.analyst)
    client.post("/accounts/login/code/", {"code": totp_code(world.analyst)})
    assert logged_in_user_id(client) == world.analyst.pk


def test_the_code_step_without_a_password_step_goes_back_to_login(db: None) -> None:
    response = Client().get("/accounts/login/code/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"


def test_next_survives_the_code_step_when_local(world: World) -> None:
    client = Client()
    password_step(client, world.analyst, next="/accounts/tokens/")
    response = client.post("/accounts/login/code/", {"code": totp_code(world.analyst)})
    assert response["Location"] == "/accounts/tokens/"


def test_an_external_next_is_dropped_after_the_code_step(world: World) -> None:
    client = Client()
    password_step(client, world.analyst, next="https://evil.example/phish")
    response = client.post("/accounts/login/code/", {"code": totp_code(world.analyst)})
    assert response["Location"] == "/dashboard/"
    assert logged_in_user_id(client) == world.analyst.pk


# --- Coordinator staff must use 2FA ---------------------------------------------------------


@pytest.fixture
def staff_without_2fa(db: None) -> User:
    return User.objects.create_user("new-analyst@coordinator.test", PASSWORD, staff_role="analyst")


def test_staff_without_2fa_are_sent_to_setup_from_every_page(staff_without_2fa: User) -> None:
    client = Client()
    response = password_step(client, staff_without_2fa)
    assert logged_in_user_id(client) == staff_without_2fa.pk
    for url in ("/dashboard/", "/accounts/profile/", "/accounts/organizations/", "/accounts/tokens/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == "/accounts/2fa/setup/", url
    assert client.get("/accounts/2fa/setup/").status_code == 200


def test_staff_without_2fa_get_401_json_from_the_api(staff_without_2fa: User) -> None:
    client = login(Client(), staff_without_2fa)
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert "Two-factor" in response.json()["detail"]


def test_staff_without_2fa_are_let_through_when_not_required(staff_without_2fa: User, settings) -> None:  # type: ignore[no-untyped-def]
    settings.REQUIRE_2FA_FOR_STAFF = False
    client = login(Client(), staff_without_2fa)
    assert client.get("/dashboard/").status_code == 200
    response = client.get("/api/v1/me")
    assert response.status_code == 200
    assert response.json()["roles"] == ["analyst"]


def test_setting_up_totp_unlocks_the_pages(staff_without_2fa: User) -> None:
    client = login(Client(), staff_without_2fa)
    page = client.get("/accounts/2fa/setup/")
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=staff_without_2fa, confirmed=False)
    assert twofactor.base32_secret(device).encode() in page.content
    assert not twofactor.has_2fa(staff_without_2fa)

    response = client.post("/accounts/2fa/setup/", {"code": code_of(device)})
    assert response.status_code == 200
    codes = response.context["codes"]
    assert len(codes) == twofactor.RECOVERY_CODES
    assert codes[0].encode() in response.content
    assert twofactor.has_2fa(staff_without_2fa)
    assert client.get("/dashboard/").status_code == 200
    assert client.get("/api/v1/me").status_code == 200


def test_setup_refuses_a_wrong_code(staff_without_2fa: User) -> None:
    client = login(Client(), staff_without_2fa)
    client.get("/accounts/2fa/setup/")
    device = TOTPDevice.objects.get(user=staff_without_2fa, confirmed=False)
    wrong = f"{(int(code_of(device)) + 500_000) % 1_000_000:06d}"
    response = client.post("/accounts/2fa/setup/", {"code": wrong})
    assert response.status_code == 200
    assert b"That code is not right" in response.content
    assert not twofactor.has_2fa(staff_without_2fa)
    assert client.get("/dashboard/")["Location"] == "/accounts/2fa/setup/"


def test_staff_logged_in_without_their_code_are_logged_out(world: World) -> None:
    client = Client()
    client.force_login(world.analyst)  # e.g. through another login path, skipping the code
    response = client.get("/dashboard/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert logged_in_user_id(client) is None


def test_staff_cannot_switch_2fa_off(world: World) -> None:
    client = login(Client(), world.analyst)
    response = client.post("/accounts/2fa/disable/", follow=True)
    assert b"must keep two-factor authentication on" in response.content
    assert twofactor.has_2fa(world.analyst)


def test_a_vendor_may_opt_into_2fa_and_is_then_asked_for_codes(world: World) -> None:
    client = login(Client(), world.vendor)
    client.get("/accounts/2fa/setup/")
    device = TOTPDevice.objects.get(user=world.vendor, confirmed=False)
    client.post("/accounts/2fa/setup/", {"code": code_of(device)})
    assert twofactor.has_2fa(world.vendor)

    fresh = Client()
    response = password_step(fresh, world.vendor)
    assert response["Location"] == "/accounts/login/code/"
    assert logged_in_user_id(fresh) is None

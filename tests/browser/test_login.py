"""Logging in: password and TOTP, forced 2FA setup for staff, keyboard access."""

from __future__ import annotations

import base64
import re

import pyotp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accord.accounts import actions
from accord.accounts.models import User
from accord.testing import PASSWORD, make_user
from tests.browser import assert_accessible, expect, log_in


def totp_now(device: TOTPDevice) -> str:
    return pyotp.TOTP(base64.b32encode(device.bin_key).decode()).now()


def enter_code(page, code: str) -> None:
    page.get_by_label("Authentication code").fill(code)
    page.get_by_role("button", name="Verify").click()


def test_login_with_password_and_totp(page, live_server, new_context):
    org = actions.create_organization("Coordination Center", "coordinator", by=None)
    analyst = make_user("analyst@coordinator.test", staff_role="analyst", org=org)
    device = TOTPDevice.objects.get(user=analyst, confirmed=True)

    page.goto(live_server.url + "/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    log_in(page, live_server.url, analyst.email)

    expect(page).to_have_url(re.compile(r"/accounts/login/code/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-factor authentication")
    assert_accessible(page)
    code = totp_now(device)
    enter_code(page, code)

    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    header = page.locator("header.site-header")
    expect(header.locator(".user")).to_have_text("Analyst")
    expect(header.locator(".org")).to_have_text("Coordination Center")
    assert_accessible(page)

    # The same code, in a second login within its 30-second step, is refused.
    other = new_context().new_page()
    log_in(other, live_server.url, analyst.email)
    expect(other).to_have_url(re.compile(r"/accounts/login/code/$"))
    enter_code(other, code)
    expect(other.locator(".field.invalid .error")).to_contain_text("already used")
    expect(other).to_have_url(re.compile(r"/accounts/login/code/$"))
    assert_accessible(other)
    other.goto(live_server.url + "/dashboard/")
    expect(other).to_have_url(re.compile(r"/accounts/login/"))


def test_wrong_password_is_refused(page, live_server):
    make_user("psirt@vendor.test")
    log_in(page, live_server.url, "psirt@vendor.test", "not the password at all")
    expect(page.get_by_role("alert")).to_have_text("The email address or the password is not right.")
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    assert_accessible(page)


def test_staff_without_device_must_set_up_2fa(page, live_server):
    User.objects.create_user("new-analyst@coordinator.test", PASSWORD, staff_role="analyst")

    log_in(page, live_server.url, "new-analyst@coordinator.test")
    expect(page).to_have_url(re.compile(r"/accounts/2fa/setup/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-factor authentication")
    assert_accessible(page)

    # Nothing else opens until the setup is done.
    page.goto(live_server.url + "/dashboard/")
    expect(page).to_have_url(re.compile(r"/accounts/2fa/setup/$"))

    secret = page.locator("#totp-secret").inner_text().strip()
    page.get_by_label("Authentication code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    assert_accessible(page)
    assert TOTPDevice.objects.filter(user__email="new-analyst@coordinator.test", confirmed=True).count() == 1

    page.get_by_role("link", name="Continue").click()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    assert_accessible(page)


def test_tab_first_focuses_the_skip_link(page, live_server):
    page.goto(live_server.url + "/accounts/login/")
    assert_accessible(page)
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()

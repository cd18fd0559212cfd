"""Password reset by mail, then a login with the new password."""

from __future__ import annotations

import re

from accord.testing import PASSWORD, make_user
from tests.browser import assert_accessible, expect, link_in_mail, log_in

NEW_PASSWORD = "quartz-heron-77-meadow"


def test_reset_password_by_mail(page, live_server, settings):
    # Django's test set-up swaps in the locmem mail backend; use Accord's own, as in production.
    settings.EMAIL_BACKEND = "accord.mailgate.backend.OutboxBackend"
    make_user("finder@research.test")

    page.goto(live_server.url + "/accounts/login/")
    assert_accessible(page)
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reset your password")
    assert_accessible(page)
    page.get_by_label("Email").fill("finder@research.test")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your mail")
    assert_accessible(page)

    # The mail's link names settings.SITE_URL; open its path on the live server.
    link = link_in_mail("finder@research.test", "/accounts/password-reset/", base_url=live_server.url)
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Reset your password")
    assert_accessible(page)
    page.locator("#id_new_password1").fill(NEW_PASSWORD)
    page.locator("#id_new_password2").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Password changed")
    assert_accessible(page)

    # The old password no longer works; the new one does.
    log_in(page, live_server.url, "finder@research.test", PASSWORD)
    expect(page.get_by_role("alert")).to_have_text("The email address or the password is not right.")
    log_in(page, live_server.url, "finder@research.test", NEW_PASSWORD)
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(page.locator("header .user")).to_have_text("Finder")
    assert_accessible(page)

    # The link works once.
    page.goto(link)
    expect(page.locator("main")).to_contain_text("This reset link is not valid any more.")
    assert_accessible(page)

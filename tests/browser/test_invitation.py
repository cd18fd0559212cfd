"""A vendor admin invites a colleague, who accepts by mail and logs in."""

from __future__ import annotations

import re

from accord.accounts import actions
from accord.accounts.models import Membership
from accord.mailgate.models import OutboundMessage
from accord.testing import make_user
from tests.browser import assert_accessible, expect, link_in_mail, log_in

NEW_PASSWORD = "velvet-otter-41-lantern"


def test_invite_accept_and_log_in(page, live_server, new_context, settings):
    settings.SITE_URL = live_server.url
    org = actions.create_organization("Vendor One", "vendor", by=None)
    make_user("admin@vendor.test", org=org, role="admin")

    log_in(page, live_server.url, "admin@vendor.test")
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    account = page.get_by_role("navigation", name="Account")
    account.locator("summary").click()  # the account menu, a <details>
    account.get_by_role("link", name="Organisations").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Organisations")
    assert_accessible(page)
    page.get_by_role("link", name="Vendor One").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vendor One")
    assert_accessible(page)

    invite = page.get_by_role("region", name="Invite a member")
    invite.get_by_label("Email address").fill("new@vendor.test")
    invite.get_by_label("Role").select_option("member")
    invite.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("status")).to_have_text("Invitation sent to new@vendor.test.")
    expect(invite).to_contain_text("new@vendor.test (member)")
    assert_accessible(page)
    mail = OutboundMessage.objects.get(to_email="new@vendor.test")
    assert mail.status == OutboundMessage.Status.SENT, mail.last_error  # the job ran on commit

    link = link_in_mail("new@vendor.test", "/accounts/invitations/")
    assert link.startswith(live_server.url + "/accounts/invitations/")
    guest = new_context().new_page()
    guest.goto(link)
    expect(guest.get_by_role("heading", level=1)).to_have_text("Join Vendor One")
    expect(guest.locator("main")).to_contain_text("new@vendor.test")
    assert_accessible(guest)
    guest.get_by_label("Your name").fill("New Colleague")
    guest.get_by_label("Choose a password").fill(NEW_PASSWORD)
    guest.get_by_role("button", name="Accept the invitation").click()

    expect(guest).to_have_url(re.compile(r"/accounts/login/$"))
    expect(guest.get_by_role("status")).to_contain_text("Welcome to Vendor One.")
    log_in(guest, live_server.url, "new@vendor.test", NEW_PASSWORD)
    expect(guest).to_have_url(re.compile(r"/dashboard/$"))
    expect(guest.locator("header .user")).to_have_text("New Colleague")
    expect(guest.locator("header .org")).to_have_text("Vendor One")
    expect(guest.get_by_role("region", name="Your organisations")).to_contain_text("Vendor One")
    assert_accessible(guest)
    assert Membership.objects.get(user__email="new@vendor.test").role == "member"

    # The link works once.
    guest.goto(link)
    expect(guest.get_by_role("heading", level=1)).to_have_text("This invitation is not valid")
    assert_accessible(guest)

"""The vendor directory in Chromium: an analyst searches, opens a vendor and pins a key; the vendor's
admin adds a contact that waits for approval; the analyst approves it. axe-core checks every page."""

from __future__ import annotations

import base64
import re

import pyotp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accord.accounts import actions as account_actions
from accord.core.actors import SYSTEM
from accord.testing import make_user
from accord.vendors import actions
from accord.vendors.queries import notification_contacts
from tests.browser import assert_accessible, expect, log_in
from tests.test_vendors_support import make_keys


def test_directory_key_upload_and_approval(page, live_server, new_context):
    keys = make_keys()
    coordinator = account_actions.create_organization("Coordination Center", "coordinator", by=None)
    analyst = make_user("analyst@coordinator.test", staff_role="analyst", org=coordinator)
    vendor_org = actions.create_vendor("Vendor One", website="https://vendor-one.test", by=SYSTEM)
    actions.create_vendor("Acme Widgets", by=SYSTEM)
    make_user("admin@vendor-one.test", org=vendor_org, role="admin")
    grouped = " ".join(keys.good_fpr[i : i + 4] for i in range(0, 40, 4))

    # The analyst logs in (with the second factor) and searches the directory.
    log_in(page, live_server.url, analyst.email)
    expect(page).to_have_url(re.compile(r"/accounts/login/code/$"))
    device = TOTPDevice.objects.get(user=analyst, confirmed=True)
    page.get_by_label("Authentication code").fill(pyotp.TOTP(base64.b32encode(device.bin_key).decode()).now())
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))

    page.goto(live_server.url + "/vendors/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Vendor directory")
    assert_accessible(page)
    search = page.get_by_role("search", name="Search the directory")
    search.get_by_label("Search").fill("vendor-one.test")
    search.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"/vendors/\?q=vendor-one.test"))
    table = page.get_by_role("table")
    expect(table.get_by_role("link", name="Vendor One")).to_be_visible()
    expect(table).not_to_contain_text("Acme Widgets")
    assert_accessible(page)

    # Opens the vendor and uploads its key: the pinned fingerprint is shown.
    table.get_by_role("link", name="Vendor One").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vendor One")
    assert_accessible(page)
    upload = page.get_by_role("region", name="Upload a key")
    upload.get_by_label("Armoured public key").fill(keys.good)
    upload.get_by_role("button", name="Upload the key").click()
    expect(page.get_by_role("status")).to_contain_text(f"Key {grouped} was uploaded.")
    key_table = page.get_by_role("region", name="OpenPGP keys").get_by_role("table")
    expect(key_table).to_contain_text(grouped)
    expect(key_table).to_contain_text("Vendor One PSIRT <psirt@vendor-one.test>")
    assert_accessible(page)

    # The vendor's admin adds a contact: it waits for the coordinator's approval.
    admin = new_context().new_page()
    log_in(admin, live_server.url, "admin@vendor-one.test")
    expect(admin).to_have_url(re.compile(r"/dashboard/$"))
    admin.goto(f"{live_server.url}/vendors/{vendor_org.pk}/")
    expect(admin.get_by_role("heading", level=1)).to_have_text("Vendor One")
    expect(admin.locator("main")).to_contain_text(grouped)
    assert_accessible(admin)
    add = admin.get_by_role("region", name="Add a contact")
    add.get_by_label("Email address").fill("psirt@vendor-one.test")
    add.get_by_label("Role").select_option("to")
    add.get_by_role("button", name="Add the contact").click()
    expect(admin.get_by_role("status")).to_contain_text("It is pending approval by the coordinator.")
    pending = admin.get_by_role("region", name="Pending approval")
    expect(pending).to_contain_text("psirt@vendor-one.test")
    contacts = admin.get_by_role("region", name="Contacts", exact=True).get_by_role("table")
    expect(contacts.get_by_role("row", name=re.compile("psirt@vendor-one.test"))).to_contain_text(
        "pending approval"
    )
    assert_accessible(admin)
    assert notification_contacts(vendor_org) == []

    # The analyst approves it from the queue.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Vendors").click()
    page.get_by_role("main").get_by_role("link", name="Pending changes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pending vendor changes")
    expect(page.get_by_role("table")).to_contain_text("add contact psirt@vendor-one.test (to)")
    assert_accessible(page)
    page.get_by_role("button", name="Approve psirt@vendor-one.test").click()
    expect(page.get_by_role("status")).to_contain_text("Approved: add psirt@vendor-one.test (Vendor One).")
    expect(page.get_by_role("table")).to_contain_text("Nothing waits for approval.")
    assert_accessible(page)
    assert [c.email for c in notification_contacts(vendor_org)] == ["psirt@vendor-one.test"]

    admin.reload()
    expect(admin.get_by_role("region", name="Pending approval")).to_have_count(0)
    row = admin.get_by_role("region", name="Contacts", exact=True).get_by_role(
        "row", name=re.compile("psirt@vendor-one.test")
    )
    expect(row).to_contain_text("active")
    assert_accessible(admin)

"""Issue 8, "Broken today" 3: on a fresh install with the demo data, an analyst can notify a demo
vendor, and the success message names it. (It said "Notified 0 vendor(s)" in green before.)"""

from __future__ import annotations

import re
from pathlib import Path

import pyotp

from accord.accounts.models import User
from accord.cases.actions import reports as report_actions
from accord.cases.models import Participant
from accord.core import demo
from accord.mailgate.models import OutboundMessage
from tests.browser import assert_accessible, expect, log_in

OUTPUT = Path(__file__).resolve().parent / "output" / "test_demo_notify"


def _screenshots(page, name: str) -> None:  # type: ignore[no-untyped-def]
    OUTPUT.mkdir(parents=True, exist_ok=True)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(OUTPUT / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_an_analyst_notifies_a_demo_vendor_on_a_fresh_demo_database(page, live_server) -> None:  # type: ignore[no-untyped-def]
    demo.load()  # what `make run` does on a fresh database
    account = next(a for a in demo.ACCOUNTS if a.staff_role == "analyst")
    analyst = User.objects.get(email=account.email)
    report, _ = report_actions.submit_report(
        report_actions.ReportInput(
            product="Globex Ledger", version="3.2", description="Stored XSS in invoice notes.", credit=False
        ),
        by=None,
    )
    case = report_actions.accept_report(report, by=analyst)

    log_in(page, live_server.url, account.email, account.password)
    secret = demo.totp_secret(account)
    assert secret is not None
    page.get_by_label("Authentication code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")

    page.goto(f"{live_server.url}/cases/{case.url_ref}/vendors/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(case.label)
    tabs = page.get_by_role("navigation", name="Case sections")
    expect(tabs.get_by_role("link", name=re.compile(r"^Vendors"))).to_have_attribute("aria-current", "page")
    page.get_by_label("One vendor (organisation name)").fill("globex software")
    page.get_by_role("button", name="Add the vendors").click()
    expect(page.locator(".messages")).to_contain_text("Added Globex Software as Vendor A")
    # Nothing warns that the demo vendor cannot be reached.
    expect(page.locator("#unreachable")).to_have_count(0)
    assert_accessible(page)

    page.get_by_role("button", name="Notify all 1 not yet notified").click()
    success = page.locator(".messages .message.success")
    expect(success).to_have_text("Notified Globex Software.")
    expect(page.locator(".messages .message.error, .messages .message.warning")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"/vendors/#list$"))
    assert_accessible(page)
    _screenshots(page, "notified")

    participant = Participant.objects.get(case=case, organization__name="Globex Software")
    assert participant.first_contact_at is not None
    assert (
        OutboundMessage.objects.filter(to_email="security@globex.example", kind="notification").count() == 1
    )

    # The case's Mail tab shows the notification: to Globex, its status, and no error.
    tabs.get_by_role("link", name="Mail").click()
    expect(tabs.get_by_role("link", name="Mail")).to_have_attribute("aria-current", "page")
    row = (
        page.locator("#mail-table tbody tr")
        .filter(has_text="Globex Software")
        .filter(has_text="notification")
    )
    expect(row).to_have_count(1)
    expect(row).to_contain_text("security@globex.example")
    assert_accessible(page)
    _screenshots(page, "mail")

"""Issue 4's acceptance in Chromium: an analyst adds three vendors (one anonymous) and notifies
them; a vendor follows the claim link, accepts the embargo, answers the four questions and
submits a clearsigned statement; the analyst sees "verified by <fingerprint>"; another vendor
sees the anonymous vendor only by its alias, without a fingerprint."""

from __future__ import annotations

import re
from pathlib import Path

from accord.accounts import actions as account_actions
from accord.answers.models import Statement, Status
from accord.cases import actions
from accord.cases.actions.reports import ReportInput
from accord.cases.models import Participant
from accord.cases.states import EM, RM
from accord.mailgate.models import OutboundMessage
from accord.testing import PASSWORD, make_user, open_requests_of
from accord.vendors import actions as vendor_actions
from tests.browser import assert_accessible, expect, link_in_mail, log_in
from tests.browser.test_cases_flow import _log_in_with_code
from tests.pgp_keys import make_key

SUMMARY = "The web interface of the Widget Server accepts a forged session cookie."
STATEMENT = "Our statement for the Widget Server case.\n\nFixed in 2.0; <b>not</b> **bold**.\n"


def test_vendors_are_notified_answer_and_stay_anonymous(
    page, live_server, new_context, settings, tmp_path: Path
):  # type: ignore[no-untyped-def]
    settings.SITE_URL = live_server.url
    coordinator = account_actions.create_organization("Coordination Center", "coordinator", by=None)
    analyst = make_user("analyst@coordinator.test", staff_role="analyst", org=coordinator)
    report, _ = actions.submit_report(
        ReportInput(product="Widget Server", version="2.1", description="Forged cookies.", credit=False),
        by=None,
    )
    case = actions.accept_report(report, by=analyst)
    acme = account_actions.create_organization("Acme Routers", "vendor", by=None)
    beta = account_actions.create_organization("Beta Cameras", "vendor", by=None)
    gamma = account_actions.create_organization("Gamma Phones", "vendor", by=None)
    for org, email in ((acme, "psirt@acme.test"), (beta, "psirt@beta.test"), (gamma, "psirt@gamma.test")):
        vendor_actions.add_contact(org, email, role="to", by=analyst)
    key = make_key(tmp_path / "gpg", "psirt@acme.test")
    vendor_actions.upload_key(acme, key.public, by=analyst)
    gamma_member = make_user("member@gamma.test", org=gamma, role="admin")

    # 1. The analyst adds three vendors, Acme anonymous, writes the vendor summary and notifies them.
    _log_in_with_code(page, live_server.url, analyst)
    assert_accessible(page)
    page.goto(f"{live_server.url}/cases/{case.url_ref}/")
    tabs = page.get_by_role("navigation", name="Case sections")
    tabs.get_by_role("link", name=re.compile(r"^Vendors")).click()
    expect(tabs.get_by_role("link", name=re.compile(r"^Vendors"))).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("heading", level=1)).to_contain_text(case.label)
    assert_accessible(page)
    page.get_by_label("One vendor (organisation name)").fill("acme routers")
    page.get_by_label("Anonymous: others in the case see only the alias").check()
    page.get_by_role("button", name="Add the vendors").click()
    expect(page.locator(".messages")).to_contain_text("Added Acme Routers as Vendor A")
    assert_accessible(page)
    page.get_by_label("Several vendors, one name per line").fill("Beta Cameras\ngamma phones")
    page.get_by_role("button", name="Add the vendors").click()
    expect(page.locator(".messages")).to_contain_text(
        "Added Beta Cameras as Vendor B, Gamma Phones as Vendor C"
    )
    page.get_by_label("Vendor-facing summary of the report").fill(SUMMARY)
    page.get_by_role("button", name="Save the texts").click()
    expect(page.locator(".messages")).to_contain_text("The vendor-facing texts are saved.")
    assert_accessible(page)
    page.get_by_role("button", name="Notify all 3 not yet notified").click()
    expect(page.locator(".messages .message.success")).to_have_text(
        "Notified Acme Routers, Beta Cameras and Gamma Phones."
    )
    assert_accessible(page)
    case.refresh_from_db()
    assert case.embargo_state == EM.ACTIVE
    acme_p = Participant.objects.get(case=case, organization=acme)
    assert acme_p.anonymous and acme_p.alias == "Vendor A" and acme_p.rm_state == RM.RECEIVED
    # The notification, then the contact's own claim link: neither carries case details.
    mails = list(OutboundMessage.objects.filter(to_email="psirt@acme.test").order_by("id"))
    assert [m.kind for m in mails] == ["notification", "claim_link"]
    for mail in mails:
        assert SUMMARY not in mail.body_text and "Widget Server" not in mail.body_text + mail.subject

    # 2. Acme's PSIRT follows the claim link, creates the account and lands on the case, signed in.
    vendor_page = new_context().new_page()
    vendor_page.goto(link_in_mail("psirt@acme.test", "/claim/", base_url=live_server.url))
    expect(vendor_page.get_by_role("heading", level=1)).to_have_text("Create your account")
    assert_accessible(vendor_page)
    vendor_page.get_by_label("Your name").fill("Acme PSIRT")
    vendor_page.get_by_label("Choose a password").fill(PASSWORD)
    vendor_page.get_by_role("button", name="Create the account").click()
    expect(vendor_page.locator(".messages")).to_contain_text("you are signed in")

    # The embargo's terms only, until accepted.
    expect(vendor_page.get_by_role("button", name="Accept the embargo")).to_be_visible()
    assert SUMMARY not in vendor_page.content()
    expect(vendor_page.locator("#embargo-end")).to_contain_text("UTC")
    assert_accessible(vendor_page)
    vendor_page.get_by_role("button", name="Accept the embargo").click()
    expect(vendor_page.locator(".messages")).to_contain_text("accepts the embargo")
    expect(vendor_page.locator("#vendor-summary")).to_contain_text(SUMMARY)
    assert_accessible(vendor_page)
    # The portal lists the case among the vendor's cases.
    vendor_page.get_by_role("navigation", name="Main").get_by_role("link", name="Vendor portal").click()
    expect(vendor_page.get_by_role("heading", level=1)).to_have_text("Vendor portal")
    assert_accessible(vendor_page)
    vendor_page.locator("#portal-cases").get_by_role("link", name=case.label).first.click()
    vendor_page.locator("#for-vendors").get_by_role("link", name="Answer the four questions").click()
    expect(vendor_page.get_by_role("heading", level=1)).to_have_text(f"Your answer to {case.label}")
    assert_accessible(vendor_page)

    # The four questions and a clearsigned statement. A textarea sends CRLF line endings, so
    # the stored bytes are the CRLF form; a clearsignature covers the text in that canonical form.
    signed = key.clearsign(STATEMENT.encode()).decode().replace("\r\n", "\n")
    vendor_page.locator("#answer-v1_status_1").check()  # "Yes, it affects us"
    vendor_page.locator("#answer-v1_expected_fix_date").fill("2030-01-15")
    vendor_page.get_by_label("Your question to the coordinator").fill("Which build did you test?")
    vendor_page.get_by_label("Statement", exact=True).fill(signed)
    vendor_page.get_by_label(
        "Share my answers and statement with the other participants before publication"
    ).check()
    vendor_page.get_by_role("button", name="Send the answer", exact=True).last.click()
    expect(vendor_page.locator(".messages")).to_contain_text("Recorded: your answers to questions 1 to 3")
    assert_accessible(vendor_page)
    statement = Statement.objects.get(participant=acme_p)
    assert statement.text_bytes == signed.replace("\n", "\r\n").encode()
    assert statement.verification == Statement.Verification.VERIFIED, statement.verification_detail
    assert statement.fingerprint == key.fingerprint
    status = Status.objects.get(participant=acme_p)
    assert status.status == "affected" and str(status.expected_fix_date) == "2030-01-15"
    assert open_requests_of(acme_p).get().body == "Which build did you test?"
    acme_p.refresh_from_db()
    assert acme_p.rm_state == RM.ACCEPTED and acme_p.seen_at is not None
    expect(vendor_page.locator("#statements")).to_contain_text(f"verified by {key.fingerprint}")
    expect(vendor_page.locator("#statements pre.statement").first).to_contain_text("<b>not</b> **bold**")

    # 3. The analyst sees "verified by <fingerprint>" in the vendor table.
    page.goto(f"{live_server.url}/cases/{case.url_ref}/vendors/")
    row = page.locator(f"#vendor-{acme_p.pk}")
    expect(row).to_contain_text(f"verified by {key.fingerprint}")
    expect(row).to_contain_text("Accepted")
    expect(page.locator("#requests")).to_contain_text("Which build did you test?")
    assert_accessible(page)
    row.get_by_role("link", name="Acme Routers", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Acme Routers (Vendor A)")
    expect(page.locator("#statements")).to_contain_text(f"verified by {key.fingerprint}")
    expect(page.locator("#requests")).to_contain_text("Which build did you test?")
    assert_accessible(page)
    # The request leads into the private thread with the vendor.
    page.locator("#requests").get_by_role("link", name="Read and answer").click()
    expect(page.locator(f"#m{open_requests_of(acme_p).get().pk}")).to_contain_text(
        "Which build did you test?"
    )
    assert_accessible(page)

    # 4. Gamma's member joins the embargo and sees Acme only as "Vendor A", with no fingerprint.
    other = new_context().new_page()
    log_in(other, live_server.url, gamma_member.email)
    expect(other.get_by_role("heading", level=1)).to_have_text("Dashboard")
    other.goto(f"{live_server.url}/cases/{case.url_ref}/")
    other.get_by_role("button", name="Accept the embargo").click()
    expect(other.locator("#vendor-summary")).to_contain_text(SUMMARY)
    assert_accessible(other)
    shared = other.locator("#shared")
    expect(shared).to_contain_text("Vendor A")
    expect(shared).to_contain_text("signed; verified by the coordinator")
    text = other.locator("main").inner_text()
    assert "Acme Routers" not in text and "acme.test" not in text
    assert key.fingerprint not in other.content()
    assert re.search(r"Vendor A", text)

"""Issue 3's acceptance in Chromium: a report goes from the public form through triage to a case
with a first contact attempt, a target date 45 days later and an active embargo."""

from __future__ import annotations

import base64
import datetime as dt
import re
import zoneinfo

import pyotp
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accord.accounts import actions as account_actions
from accord.cases.models import Case, Report, SsvcDecision
from accord.cases.states import EM, RM
from accord.lib.time import format_utc
from accord.testing import make_user
from tests.browser import assert_accessible, expect, log_in

ZONE = "America/New_York"
TRIAGE_VALUES = {
    "report_public": "no",
    "supplier_contacted": "yes",
    "report_credibility": "credible",
    "supplier_cardinality": "one",
    "supplier_engagement": "unresponsive",
    "utility": "efficient",
    "public_safety_impact": "significant",
}


def totp_now(device: TOTPDevice) -> str:
    return pyotp.TOTP(base64.b32encode(device.bin_key).decode()).now()


def test_report_triage_and_case_with_target_date(page, live_server, new_context):  # type: ignore[no-untyped-def]
    coordinator = account_actions.create_organization("Coordination Center", "coordinator", by=None)
    analyst = make_user("analyst@coordinator.test", staff_role="analyst", org=coordinator)
    account_actions.set_timezone(analyst, ZONE, by=analyst)

    # 1. An anonymous reporter fills in and sends the public form.
    page.goto(live_server.url + "/report/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Report a vulnerability")
    assert_accessible(page)
    page.get_by_label("Name or pseudonym").fill("Rita Reporter")
    page.get_by_label("Email").fill("rita@research.test")
    page.get_by_label("Product", exact=False).first.fill("Acme Gateway")
    page.get_by_label("Version(s)").fill("7.1")
    page.get_by_label("Description").fill("The login form trusts a client-side flag: anyone becomes admin.")
    page.get_by_label("Impact").fill("Full control of the gateway.")
    page.get_by_role("button", name="Send the report").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you for your report")
    assert_accessible(page)
    report_id = page.locator("#report-id").inner_text().strip()
    report = Report.objects.get(pk=report_id)
    assert report.state == RM.RECEIVED and report.submitted_by is None
    # The private link shown once opens the reporter's follow page.
    page.locator("#follow-link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Report {report_id}")
    assert_accessible(page)
    page.get_by_role("main").get_by_role("link", name="disclosure policy").click()
    expect(page.locator("#policy-days")).to_contain_text("45 days")
    assert_accessible(page)

    # 2. The analyst logs in with password and TOTP, finds the report in triage and runs SSVC.
    analyst_page = new_context().new_page()
    log_in(analyst_page, live_server.url, analyst.email)
    expect(analyst_page).to_have_url(re.compile(r"/accounts/login/code/$"))
    assert_accessible(analyst_page)
    analyst_page.get_by_label("Authentication code").fill(totp_now(TOTPDevice.objects.get(user=analyst)))
    analyst_page.get_by_role("button", name="Verify").click()
    expect(analyst_page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    expect(analyst_page.locator("#dash-triage")).to_contain_text(report_id)
    assert_accessible(analyst_page)

    analyst_page.get_by_role("navigation", name="Main").get_by_role("link", name="Triage").click()
    expect(analyst_page.get_by_role("heading", level=1)).to_have_text("Triage")
    assert_accessible(analyst_page)
    analyst_page.get_by_role("link", name=report_id).click()
    expect(analyst_page.get_by_role("heading", level=1)).to_contain_text(report_id)
    assert_accessible(analyst_page)

    # The SSVC form waits folded beside the report (issue 8): the report comes first.
    analyst_page.locator("#ssvc-form > summary").click()
    ssvc_form = analyst_page.locator("form.ssvc")
    for key, value in TRIAGE_VALUES.items():
        ssvc_form.locator(f'input[name="{key}"][value="{value}"]').check()
    # htmx shows the table's outcome as the values are picked (the page works without it too).
    expect(analyst_page.locator("#ssvc-outcome")).to_have_text("Coordinate")
    analyst_page.get_by_role("button", name="Record the triage decision").click()
    expect(analyst_page.locator(".messages")).to_contain_text("The table says: Coordinate")
    expect(analyst_page.locator("#ssvc-latest")).to_contain_text("the table said coordinate")
    assert_accessible(analyst_page)
    decision = SsvcDecision.objects.get(report=report)
    assert decision.outcome == "coordinate" and decision.chosen == "coordinate"

    analyst_page.get_by_role("button", name="Accept as a case").click()
    expect(analyst_page).to_have_url(re.compile(r"/cases/VU\d{6}/$"))
    report.refresh_from_db()
    case = Case.objects.get(pk=report.case_id)
    expect(analyst_page.locator("#case-id")).to_have_text(f"VU#{case.number}")
    expect(analyst_page.locator("#target-date")).to_have_text("no vendor contacted yet")
    assert_accessible(analyst_page)

    # 3. The analyst records a first contact attempt made outside Accord, in their own zone.
    contacted = (timezone.now() - dt.timedelta(hours=1)).astimezone(zoneinfo.ZoneInfo(ZONE))
    contacted = contacted.replace(second=0, microsecond=0)
    analyst_page.get_by_text("Record a contact attempt made outside Accord").click()
    analyst_page.get_by_label("When").fill(contacted.strftime("%Y-%m-%dT%H:%M"))
    analyst_page.get_by_label("How and whom").fill("Phone call to Acme's PSIRT.")
    analyst_page.get_by_role("button", name="Record the contact attempt").click()
    expect(analyst_page.locator(".messages")).to_contain_text("The contact attempt is recorded.")

    # 4. The case page shows the id, the active embargo and the target date 45 days later,
    #    in UTC and in the analyst's zone, named.
    target = contacted.astimezone(dt.UTC) + dt.timedelta(days=45)
    case.refresh_from_db()
    assert case.first_contact_at == contacted.astimezone(dt.UTC)
    assert case.target_publication_at == target
    assert case.embargo_state == EM.ACTIVE and case.embargo_ends_at == target
    text = analyst_page.locator("main").inner_text()
    assert f"VU#{case.number}" in text
    expect(analyst_page.locator("#embargo-state")).to_have_text("Active")
    expect(analyst_page.locator("#target-date")).to_contain_text(format_utc(target))
    expect(analyst_page.locator("#target-date")).to_contain_text(f"({ZONE})")
    expect(analyst_page.locator("#embargo-end")).to_contain_text(format_utc(target))
    assert f"({ZONE})" in text and format_utc(target) in text
    assert_accessible(analyst_page)


def _log_in_with_code(page, base_url: str, user) -> None:  # type: ignore[no-untyped-def]
    log_in(page, base_url, user.email)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is not None:
        page.get_by_label("Authentication code").fill(totp_now(device))
        page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")


def test_the_busy_pages_are_accessible(page, live_server, new_context):  # type: ignore[no-untyped-def]
    """The case page with every section open, the report page, the dashboard and the policy editor."""
    from accord.cases import actions
    from accord.cases.states import Fact
    from accord.testing import make_world, start_embargo, write_to_reporter

    world = make_world()
    assert world.report is not None
    case = start_embargo(world)
    actions.add_vulnerability(
        case,
        by=world.analyst,
        cve="CVE-2026-12345",
        cvss3_vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    )
    actions.propose_embargo(
        case, timezone.now() + dt.timedelta(days=80), by=world.vendor, reason="Release train"
    )
    actions.report_fact(case, Fact.A, "https://intel.example/campaign", by=world.analyst)
    actions.report_fact(case, Fact.P, "https://blog.example/post", by=world.vendor)
    write_to_reporter(world.report, "Which build?", by=world.analyst, request=True)

    _log_in_with_code(page, live_server.url, world.analyst)
    assert_accessible(page)
    page.goto(f"{live_server.url}/cases/{case.url_ref}/")
    expect(page.locator("#early-h")).to_have_text("Early disclosure")
    for summary in page.locator("details > summary").all():
        summary.click()
    assert_accessible(page)
    # A form refused by the action shows its error in place.
    page.locator("#vnew-cvss3_vector").fill("CVSS:3.1/AV:Q")
    page.get_by_role("button", name="Add the vulnerability").click()
    expect(page.locator("#vnew-cvss3_vector_error")).to_contain_text("Not a valid CVSS 3.1 vector")
    assert_accessible(page)
    page.goto(f"{live_server.url}/triage/{world.report.pk}/")
    assert_accessible(page)

    vendor_page = new_context().new_page()
    _log_in_with_code(vendor_page, live_server.url, world.vendor)
    vendor_page.goto(f"{live_server.url}/cases/{case.url_ref}/")
    expect(vendor_page.locator("#case-id")).to_have_text(case.label)
    assert_accessible(vendor_page)
    vendor_page.goto(f"{live_server.url}/reports/mine/")
    assert_accessible(vendor_page)

    admin_page = new_context().new_page()
    _log_in_with_code(admin_page, live_server.url, world.admin)
    admin_page.goto(f"{live_server.url}/policy/edit/")
    admin_page.get_by_label("Days to publication").fill("60")
    admin_page.get_by_role("button", name="Save the policy").click()
    expect(admin_page.locator(".messages")).to_contain_text("The policy is saved.")
    assert_accessible(admin_page)

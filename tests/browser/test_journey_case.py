"""Issue 8, journey (4), from a fresh database with the demo data: a case with 2,000 vendors.

The analyst opens the case's Vendors tab, filters to "not answered", sees the count, and pages
forward and back with the filter kept. A member of an accepted vendor walks the workspace's tabs,
in a browser whose zone is Europe/Paris and who never chose one: the pages show instants in UTC
and in Europe/Paris.

The case and its first vendor are made through actions; the 2,000 other vendors, their answers
and their notifications by factory (bulk data), as benchmarks/run.py does. Every page is checked
with axe-core, logs no console error under the real CSP, never scrolls sideways at 390 px, and is
saved at 1280 and 390 px under tests/browser/output/test_case_journey/.
"""

from __future__ import annotations

import re
from typing import Any

from django.utils import timezone

from accord.accounts.models import Organization, User
from accord.answers.models import Answer, Status
from accord.cases import actions
from accord.cases.actions.participants import add_vendors, notify_vendors
from accord.cases.actions.reports import ReportInput
from accord.cases.models import Case, Participant
from accord.cases.states import RM
from tests.browser import expect
from tests.browser.journeys import WIDTHS

ANALYST = "analyst@coordinator.example"
VENDOR = "psirt@acme.example"
VENDORS = 2000
ANSWERED = 150  # of the 2,000: the first 150 answered
SHARED = 40  # of those, the first 40 shared their answer
NOT_NOTIFIED = 25  # the last 25 were not notified yet
ZONE = "Europe/Paris"


def make_case() -> Case:
    analyst = User.objects.get(email=ANALYST)
    report, _ = actions.submit_report(
        ReportInput(
            product="libwidget",
            version="1.0 to 3.4",
            description="A heap overflow in **libwidget**'s parser, used by hundreds of products.",
            credit=False,
        ),
        by=None,
    )
    case = actions.accept_report(report, by=analyst)
    case = actions.update_case(
        case,
        by=analyst,
        title="Heap overflow in libwidget's parser",
        summary="libwidget is embedded by **many vendors**.\n\n## What we know\n\n- parser overflow\n- remote",
    )
    actions.update_vulnerability(
        case.vulnerabilities.get(seq=1),
        by=analyst,
        description="A crafted `widget` header overflows a heap buffer.",
        cve="CVE-2026-40001",
        cvss3_vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    )
    acme = Organization.objects.get(name="Acme Networks")
    added = add_vendors(case, [acme], by=analyst)
    notify_vendors(case, added, by=analyst)  # the first contact: the target date and the embargo
    case.refresh_from_db()
    _bulk_vendors(case)
    return case


def _bulk_vendors(case: Case) -> None:
    orgs = Organization.objects.bulk_create(
        [Organization(name=f"Widget Vendor {n:04d}", kind=Organization.Kind.VENDOR) for n in range(VENDORS)]
    )
    contacted = case.first_contact_at
    participants = Participant.objects.bulk_create(
        [
            Participant(
                case=case,
                kind=Participant.Kind.VENDOR,
                organization=org,
                alias=f"Vendor {n + 2:04d}",
                anonymous=n % 10 == 0,
                rm_state=RM.RECEIVED if n < VENDORS - NOT_NOTIFIED else RM.START,
                first_contact_at=contacted if n < VENDORS - NOT_NOTIFIED else None,
                v_at=contacted if n < VENDORS - NOT_NOTIFIED else None,
            )
            for n, org in enumerate(orgs)
        ]
    )
    now = timezone.now()
    vulnerability = case.vulnerabilities.get(seq=1)
    answered = participants[:ANSWERED]
    Answer.objects.bulk_create(
        [Answer(participant=p, answered_at=now, share=n < SHARED) for n, p in enumerate(answered)]
    )
    statuses = ("affected", "fixed", "not_affected", "under_investigation")
    Status.objects.bulk_create(
        [
            Status(
                participant=p,
                vulnerability=vulnerability,
                status=statuses[n % 4],
                fixed_version="3.5" if statuses[n % 4] == "fixed" else "",
                justification="vulnerable_code_not_present" if statuses[n % 4] == "not_affected" else "",
            )
            for n, p in enumerate(answered)
        ]
    )


def page_in_zone(journey: Any, zone: str) -> Any:
    """A page as journey.new_page() makes one, in a browser whose time zone is `zone`."""
    context = journey.browser.new_context(viewport={"width": WIDTHS[0], "height": 900}, timezone_id=zone)
    context.set_default_timeout(journey._timeout_ms)
    journey._contexts.append(context)
    page = context.new_page()
    page.on("console", lambda message: journey._console(page, message))
    page.on("pageerror", lambda error: journey.problems.append(f"{page.url}: uncaught error: {error}"))
    return page


def step(journey: Any, page: Any, name: str) -> None:
    """axe-core, screenshots at both widths (and a phone's first screen), and no sideways scrolling
    on a phone."""
    journey.step(page, name)
    size = page.viewport_size
    page.set_viewport_size({"width": WIDTHS[1], "height": 800})
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    # What a phone shows first, readable at full size (the full pages are long).
    page.screenshot(path=str(journey.output / f"{name}-{WIDTHS[1]}-first-screen.png"))
    page.set_viewport_size(size)
    assert overflow <= 0, f"{name}: the page scrolls sideways by {overflow}px at {WIDTHS[1]} px"


def facet(page: Any, group: str, label: str) -> Any:
    return page.get_by_role("list", name=group).get_by_role("link", name=re.compile(rf"^{label} [\d,]+$"))


def test_case_journey(journey):  # type: ignore[no-untyped-def]
    case = make_case()
    total = VENDORS + 1  # and Acme
    not_answered = total - ANSWERED
    analyst = journey.new_page()

    # 1. The analyst opens the case: the header tells the embargo, the target date, the time left.
    journey.log_in(analyst, ANALYST)
    analyst.goto(journey.url(f"/cases/{case.url_ref}/"))
    expect(analyst.locator("#case-id")).to_have_text(case.label)
    expect(analyst.locator("#embargo-state")).to_have_text("Active")
    expect(analyst.locator("#time-left")).to_have_text(re.compile(r"^in (45|44) days$"))
    tabs = analyst.get_by_role("navigation", name="Case sections")
    expect(tabs.get_by_role("link", name="Overview")).to_have_attribute("aria-current", "page")
    expect(tabs.get_by_role("link", name=re.compile(r"^Vendors"))).to_contain_text(f"{total:,}")
    expect(analyst.locator("#vendor-cards")).to_contain_text(f"{not_answered:,}")
    step(journey, analyst, "01-analyst-overview")

    # 2. The Vendors tab: 2,001 vendors, 50 to a page, filters with their counts.
    tabs.get_by_role("link", name=re.compile(r"^Vendors")).click()
    expect(analyst).to_have_url(re.compile(rf"/cases/{case.url_ref}/vendors/$"))
    expect(analyst.locator("#vendor-count")).to_contain_text(f"{total:,} vendors")
    expect(analyst.locator("#vendor-table tbody tr")).to_have_count(50)
    expect(facet(analyst, "Answer", "Not answered")).to_contain_text(f"{not_answered:,}")
    expect(facet(analyst, "Notification", "Not notified")).to_contain_text(f"{NOT_NOTIFIED}")
    step(journey, analyst, "02-vendors-tab")

    # 3. Filter to "not answered": the count, and only those vendors.
    facet(analyst, "Answer", "Not answered").click()
    expect(analyst).to_have_url(re.compile(r"\?answered=no$"))
    expect(facet(analyst, "Answer", "Not answered")).to_have_attribute("aria-current", "true")
    expect(analyst.locator("#vendor-count")).to_contain_text(f"{not_answered:,} of {total:,} vendors match")
    expect(analyst.locator("#vendor-table-caption")).to_contain_text(f"page 1 of {-(-not_answered // 50)}")
    first_page = analyst.locator("#vendor-table tbody tr").first.text_content() or ""
    assert "Widget Vendor 0150" in analyst.locator("#vendor-table").inner_text()  # the first not answered
    assert "Widget Vendor 0149" not in analyst.locator("#vendor-table").inner_text()
    step(journey, analyst, "03-not-answered")

    # 4. Forward and back: the filter stays.
    analyst.get_by_role("navigation", name="Pages", exact=True).get_by_role("link", name="Next").click()
    expect(analyst).to_have_url(re.compile(r"\?answered=no&page=2$"))
    expect(analyst.locator("#vendor-count")).to_contain_text(f"{not_answered:,} of {total:,} vendors match")
    expect(analyst.locator("#vendor-count")).to_contain_text("showing 51–100")
    expect(facet(analyst, "Answer", "Not answered")).to_have_attribute("aria-current", "true")
    step(journey, analyst, "04-not-answered-page-2")
    analyst.get_by_role("navigation", name="Pages", exact=True).get_by_role("link", name="Previous").click()
    expect(analyst).to_have_url(re.compile(r"\?answered=no&page=1$"))
    expect(analyst.locator("#vendor-table tbody tr").first).to_have_text(" ".join(first_page.split()))

    # 5. 100 to a page, then a second filter: the not answered that were not notified.
    analyst.locator("#vendor-count").get_by_role("link", name="100").click()
    expect(analyst.locator("#vendor-table tbody tr")).to_have_count(100)
    facet(analyst, "Notification", "Not notified").click()
    expect(analyst.locator("#vendor-count")).to_contain_text(f"{NOT_NOTIFIED} of {total:,} vendors match")
    expect(analyst.locator("#vendor-table tbody tr")).to_have_count(NOT_NOTIFIED)
    step(journey, analyst, "05-not-answered-not-notified")

    # 6. The timeline tab.
    tabs = analyst.get_by_role("navigation", name="Case sections")
    tabs.get_by_role("link", name=re.compile(r"^Timeline")).click()
    expect(analyst.get_by_role("heading", name="Timeline, newest first")).to_be_visible()
    expect(analyst.locator("ol.timeline")).to_contain_text("Vendors notified")
    step(journey, analyst, "06-analyst-timeline")

    # 7. A member of Acme, in a browser set to Europe/Paris, meets the case: the terms first.
    vendor = page_in_zone(journey, ZONE)
    journey.log_in(vendor, VENDOR)
    vendor.goto(journey.url(f"/cases/{case.url_ref}/"))
    expect(vendor.get_by_role("button", name="Accept the embargo")).to_be_visible()
    vendor.get_by_role("button", name="Accept the embargo").click()
    expect(vendor.locator("#case-id")).to_have_text(case.label)
    # Never chose a zone: its browser's, named next to UTC.
    expect(vendor.locator("#target-date")).to_contain_text("UTC")
    expect(vendor.locator("#target-date")).to_contain_text(f"({ZONE})")
    expect(vendor.get_by_role("heading", name="Vulnerabilities")).to_be_visible()
    step(journey, vendor, "07-vendor-overview")

    # 8. The vendor's Vendors tab: itself by name, others by name or alias, statuses only where shared.
    vendor.get_by_role("navigation", name="Case sections").get_by_role(
        "link", name=re.compile(r"^Vendors")
    ).click()
    table = vendor.locator("#vendor-table")
    expect(table.locator("tbody tr").first).to_contain_text("Acme Networks")
    expect(table.locator("tbody tr").first).to_contain_text("(you)")
    expect(facet(vendor, "Status", "Affected")).to_contain_text("10")  # 40 shared, one in four
    # Not shared: all but the 40 that shared and its own answer.
    expect(facet(vendor, "Status", "Not shared")).to_contain_text(f"{total - SHARED - 1:,}")
    step(journey, vendor, "08-vendor-vendors-tab")
    facet(vendor, "Status", "Fixed").click()
    expect(vendor.locator("#vendor-count")).to_contain_text(f"10 of {total:,} vendors match")
    expect(table).to_contain_text("fixed")
    step(journey, vendor, "09-vendor-shared-fixed")

    # 9. The vendor's timeline: what participants may see.
    vendor.get_by_role("navigation", name="Case sections").get_by_role(
        "link", name=re.compile(r"^Timeline")
    ).click()
    expect(vendor.locator("ol.timeline")).to_contain_text("accepted")
    expect(vendor.locator("#timeline-count")).to_contain_text(ZONE)
    step(journey, vendor, "10-vendor-timeline")

    # 10. The profile says which zone the pages use, and why.
    vendor.goto(journey.url("/accounts/profile/"))
    expect(vendor.locator("#zone-in-use")).to_contain_text(f"{ZONE}: your browser's zone")
    step(journey, vendor, "11-vendor-profile")

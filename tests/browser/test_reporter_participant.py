"""Issue 9, item 3, in Chromium: a reporter who gives no name and no email files a report, follows
it with the private link and, once the analyst accepted it and a vendor shared its statement,
reads that statement, proposes another publication date and changes their credit preference.

Every page is checked with axe-core under the real CSP and saved under
tests/browser/output/test_the_anonymous_reporter_takes_part_without_an_account/.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

from accord.accounts.models import Organization, User
from accord.answers.actions import AnswerInput, StatementInput, StatusInput, submit_answer
from accord.cases import actions
from accord.cases.actions.participants import answer_embargo
from accord.cases.models import Case, CaseEvent, Report
from accord.cases.states import EM
from accord.testing import add_vendor
from tests.browser import expect

STATEMENT = "Fixed in Acme Gateway 7.2. Upgrade now."


def test_the_anonymous_reporter_takes_part_without_an_account(journey):  # type: ignore[no-untyped-def]
    reporter = journey.new_page()

    # 1. The form with the required fields only: no name, no email, "credit me" as it is.
    reporter.goto(journey.url("/report/"))
    reporter.get_by_label("Product").fill("Acme Gateway")
    reporter.get_by_label("Version(s)").fill("7.1")
    reporter.get_by_label("Description").fill("Anyone becomes admin with one request.")
    expect(reporter.get_by_label("Credit me in the published note")).to_be_checked()
    reporter.get_by_role("button", name="Send the report").click()
    expect(reporter.get_by_role("heading", level=1)).to_have_text("Thank you for your report")
    report = Report.objects.get(pk=reporter.locator("#report-id").inner_text().strip())
    assert report.reporter_name == "" and report.reporter_email == "" and report.submitted_by is None
    follow = reporter.locator("#follow-link").get_attribute("href")
    assert follow and re.search(r"/report/follow/[\w-]{43}/$", follow)
    journey.step(reporter, "01-thanks")

    # 2. The follow link, before the report is accepted: no case yet, the credit form already.
    reporter.goto(follow if follow.startswith("http") else journey.url(follow))
    expect(reporter.get_by_role("heading", level=1)).to_have_text(f"Report {report.pk}")
    expect(reporter.locator("#credit")).to_contain_text("as an anonymous reporter")
    expect(reporter.locator("#case")).to_have_count(0)
    journey.step(reporter, "02-follow-received")

    # 3. The analyst accepts it; Acme (anonymous) and Globex are notified; Acme shares its statement.
    analyst = User.objects.get(email="analyst@coordinator.example")
    case = actions.accept_report(report, by=analyst)
    acme = add_vendor(case, Organization.objects.get(name="Acme Networks"), anonymous=True)
    globex = add_vendor(case, Organization.objects.get(name="Globex Software"))
    case = actions.record_contact_attempt(case, by=analyst, outside=True)
    answer_embargo(acme, accept=True, by=User.objects.get(email="psirt@acme.example"))
    answer_embargo(globex, accept=True, by=User.objects.get(email="security@globex.example"))
    submit_answer(
        acme,
        AnswerInput(
            statuses=[StatusInput("1", "fixed", fixed_version="7.2")],
            statement=StatementInput(STATEMENT.encode()),
            share=True,
        ),
        by=User.objects.get(email="psirt@acme.example"),
    )

    # 4. The reporter reads the case: the target date with its zone, the shared statement by alias.
    reporter.reload()
    expect(reporter.locator("#case")).to_contain_text(case.label)
    expect(reporter.locator("#target")).to_contain_text("UTC")
    shared = reporter.locator("#shared")
    expect(shared).to_contain_text(STATEMENT)
    expect(shared).to_contain_text(acme.alias)
    expect(shared).not_to_contain_text("Acme Networks")
    journey.step(reporter, "03-follow-accepted")

    # 5. A later date, typed in the zone the form names, with a reason.
    zone = zoneinfo.ZoneInfo(reporter.locator("#embargo input[name=zone]").get_attribute("value") or "UTC")
    assert case.target_publication_at is not None
    wanted = (case.target_publication_at + dt.timedelta(days=14)).replace(second=0, microsecond=0)
    reporter.get_by_label("Embargo ends").fill(wanted.astimezone(zone).strftime("%Y-%m-%dT%H:%M"))
    reporter.get_by_label("Reason").fill("The vendors asked me for one more release cycle.")
    reporter.get_by_role("button", name="Propose this date").click()
    expect(reporter.locator(".messages")).to_contain_text("Your proposal is recorded")
    expect(reporter.locator("#proposed-end")).to_contain_text("proposed by you")
    journey.step(reporter, "04-date-proposed")
    case = Case.objects.get(pk=case.pk)
    assert case.embargo_state == EM.REVISE and case.embargo_proposed_ends_at == wanted
    proposed = CaseEvent.objects.get(case=case, kind="embargo.proposed")
    assert (
        proposed.actor is None and proposed.participant is not None and proposed.participant.report == report
    )

    # 6. Credited under a pseudonym.
    reporter.get_by_label("Credit name").fill("Night Owl")
    reporter.get_by_role("button", name="Save the credit preference").click()
    expect(reporter.locator(".messages")).to_contain_text("Your credit preference is saved")
    expect(reporter.locator("#credit")).to_contain_text("as Night Owl")
    journey.step(reporter, "05-credit-changed")
    report.refresh_from_db()
    assert report.credit and report.credit_name == "Night Owl"

"""Issue 8, journey (1), from a fresh database with the demo data: a reporter files a minimal
anonymous report, the analyst asks a question (a request for information), the reporter gets
the mail, answers the request on the follow page, and the analyst reads the answer.

Every page is checked with axe-core, logs no console error under the real CSP, and is saved
at 1280 and 390 px under tests/browser/output/test_reporter_journey/.
"""

from __future__ import annotations

import re

from accord.cases.models import Report
from accord.conversation.models import Message
from accord.mailgate.models import OutboundMessage
from tests.browser import expect, link_in_mail

ANALYST = "analyst@coordinator.example"
EMAIL = "anon-finder@research.example"
DESCRIPTION = (
    "The login form trusts a client-side flag:\n\n"
    "```\ncurl -d 'user=x&admin=1' https://gateway/login\n```\n\n"
    "and anyone becomes **admin**."
)
QUESTION = "Thank you. Which firmware build did you test?"
ANSWER = "Build 7.1.4 (2026-01-05), from the vendor's download page."


def test_reporter_journey(journey):  # type: ignore[no-untyped-def]
    reporter = journey.new_page()

    # 1. A newcomer arrives at the site and finds the report form from the header.
    reporter.goto(journey.url("/"))
    reporter.get_by_role("navigation", name="Main").get_by_role("link", name="Report a vulnerability").click()
    expect(reporter.get_by_role("heading", level=1)).to_have_text("Report a vulnerability")
    journey.step(reporter, "01-report-form")

    # 2. Sending too early: a summary at the top takes the focus and links to each field.
    reporter.get_by_role("button", name="Send the report").click()
    summary = reporter.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_text(
        [
            "Product: This field is required.",
            "Version(s): This field is required.",
            "Description: This field is required.",
        ]
    )
    journey.step(reporter, "02-form-errors")
    summary.get_by_role("link", name="Product: This field is required.").click()
    expect(reporter.get_by_label("Product")).to_be_focused()

    # 3. The minimal report: the required fields and an email, no name, "credit me" as it is.
    reporter.get_by_label("Product").fill("Acme Gateway")
    reporter.get_by_label("Version(s)").fill("7.1")
    reporter.get_by_label("Description").fill(DESCRIPTION)
    reporter.get_by_label("Email").fill(EMAIL)
    expect(reporter.get_by_label("Credit me in the published note")).to_be_checked()
    reporter.get_by_role("button", name="Send the report").click()
    expect(reporter.get_by_role("heading", level=1)).to_have_text("Thank you for your report")
    expect(reporter).to_have_url(re.compile(r"/report/thanks/$"))
    report_id = reporter.locator("#report-id").inner_text().strip()
    report = Report.objects.get(pk=report_id)
    assert report.reporter_name == "" and report.credit and report.reporter_email == EMAIL
    expect(reporter.locator("#follow-link")).to_have_attribute(
        "href", re.compile(r"/report/follow/[\w-]{43}/$")
    )
    expect(reporter.get_by_label("Copy the link")).to_have_value(re.compile(r"/report/follow/[\w-]{43}/$"))
    journey.step(reporter, "03-thanks")
    # Reloading files nothing again, and the private link is not shown twice.
    reporter.reload()
    expect(reporter.get_by_role("heading", level=1)).to_have_text("Thank you for your report")
    expect(reporter.locator("#follow-link")).to_have_count(0)
    assert Report.objects.filter(product="Acme Gateway").count() == 1
    journey.step(reporter, "04-thanks-reloaded")

    # 4. The demo analyst logs in (password and TOTP), finds the report in triage and asks.
    analyst = journey.new_page()
    journey.log_in(analyst, ANALYST)
    expect(analyst.locator("#dash-triage")).to_contain_text(report_id)
    journey.step(analyst, "05-analyst-dashboard")
    analyst.get_by_role("navigation", name="Main").get_by_role("link", name="Triage").click()
    expect(analyst.get_by_role("heading", level=1)).to_have_text("Triage")
    journey.step(analyst, "06-triage")
    analyst.get_by_role("link", name=report_id).click()
    expect(analyst.get_by_role("heading", level=1)).to_contain_text(report_id)
    # The report's text is Markdown: the code block is a code block.
    expect(analyst.locator("main pre code").first).to_contain_text("curl -d 'user=x&admin=1'")
    journey.step(analyst, "07-report")
    analyst.get_by_role("textbox", name="Message").fill(QUESTION)
    analyst.get_by_label("This is a request for information").check()
    analyst.get_by_role("button", name="Send to the reporter").click()
    expect(analyst.locator(".messages")).to_contain_text("Your message was sent to the reporter.")
    expect(analyst.locator("#notes")).to_contain_text(QUESTION)
    expect(analyst.locator("#notes")).to_contain_text("request for information: open")
    journey.step(analyst, "08-question-sent")

    # 5. The reporter gets a neutral mail with the follow link.
    mail = OutboundMessage.objects.filter(to_email=EMAIL).order_by("-created_at", "-id").first()
    assert mail is not None and f"New message about your report {report_id}" in mail.subject
    assert mail.status == OutboundMessage.Status.SENT  # to the test's file sink
    for secret in ("Acme", "firmware", "curl"):
        assert secret not in mail.subject and secret not in mail.body_text
    reporter.goto(link_in_mail(EMAIL, "/report/follow/", base_url=journey.base_url))
    expect(reporter.get_by_role("heading", level=1)).to_have_text(f"Report {report_id}")
    expect(reporter.locator("#notes")).to_contain_text(QUESTION)
    journey.step(reporter, "09-follow-page")

    # 6. The reporter answers there.
    reporter.locator("#notes").get_by_role("link", name="Answer this request").click()
    expect(reporter.locator("#compose")).to_have_text("Answer the request")
    reporter.get_by_role("textbox", name="Message").fill(ANSWER)
    reporter.get_by_role("button", name="Send").click()
    expect(reporter.locator(".messages")).to_contain_text("your message was sent to the coordinator")
    expect(reporter.locator("#notes")).to_contain_text(ANSWER)
    expect(reporter.locator("#notes")).to_contain_text("request for information: answered")
    journey.step(reporter, "10-answered")

    # 7. The analyst sees the answer on the report page.
    analyst.reload()
    expect(analyst.locator("#notes")).to_contain_text(ANSWER)
    expect(analyst.locator("#notes")).to_contain_text("request for information: answered")
    answer = Message.objects.get(thread__report_id=report_id, from_reporter=True)
    assert answer.body == ANSWER and answer.author is None and answer.reply_to is not None
    assert answer.reply_to.request == Message.Request.ANSWERED
    journey.step(analyst, "11-analyst-reads-answer")

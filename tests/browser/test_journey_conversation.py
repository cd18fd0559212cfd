"""Issue 9's acceptance journey, from a fresh database with the demo data, in Chromium:

1. a vendor asks for more information with its answer;
2. the analyst sees the open request on the dashboard and asks the reporter;
3. the reporter, who gave no name and no email, answers through the report's private link;
4. the analyst relays the answer to the vendor in its private thread and closes the request;
then the vendor reads the relayed answer from its home page.

Every page is checked with axe-core, logs no console error under the real CSP, and is saved at
1280 and 390 px under tests/browser/output/test_conversation_journey/.
"""

from __future__ import annotations

import re

from accord.accounts.models import Organization, User
from accord.cases.actions import embargo as embargo_actions
from accord.cases.actions import participants as participant_actions
from accord.cases.actions import reports as report_actions
from accord.cases.models import Participant
from accord.conversation.models import Message
from tests.browser import expect

ANALYST = "analyst@coordinator.example"
VENDOR = "psirt@acme.example"
QUESTION = "Which firmware build did the reporter test?"
TO_REPORTER = "Which firmware build did you test?"
REPORTER_ANSWER = "Build 5.1.3, from the vendor's download page."
RELAYED = "The reporter tested build 5.1.3."


def test_conversation_journey(journey) -> None:  # type: ignore[no-untyped-def]
    analyst_user = User.objects.get(email=ANALYST)
    vendor_user = User.objects.get(email=VENDOR)
    acme = Organization.objects.get(memberships__user=vendor_user)
    # An anonymous report (no name, no email), accepted; Acme is in the case and joined its embargo.
    report, key = report_actions.submit_report(
        report_actions.ReportInput(product="Acme Router", version="5.1", description="Forged cookies."),
        by=None,
    )
    case = report_actions.accept_report(report, by=analyst_user)
    participant_actions.add_vendors(case, [acme], by=analyst_user)
    case = embargo_actions.record_contact_attempt(case, by=analyst_user, outside=True)
    participant = Participant.objects.get(case=case, organization=acme)
    participant_actions.answer_embargo(participant, accept=True, by=vendor_user)

    # 1. The vendor asks for more information on its answer page.
    vendor = journey.new_page()
    journey.log_in(vendor, VENDOR)
    vendor.goto(journey.url(f"/cases/{case.url_ref}/answer/"))
    vendor.get_by_label("Your question to the coordinator").fill(QUESTION)
    vendor.get_by_role("button", name="Send the answer").click()
    expect(vendor.locator("#answer-requests")).to_contain_text("waiting for the coordinator")
    journey.step(vendor, "01-vendor-asked")

    # 2. The analyst sees the open request on the dashboard, then asks the reporter.
    analyst = journey.new_page()
    journey.log_in(analyst, ANALYST)
    expect(analyst.locator("#dash-requests")).to_contain_text(QUESTION)
    journey.step(analyst, "02-analyst-dashboard")
    analyst.locator("#dash-requests").get_by_role("link", name=re.compile(case.label)).first.click()
    expect(analyst.locator("#messages")).to_contain_text(QUESTION)
    journey.step(analyst, "03-analyst-vendor-thread")
    analyst.goto(journey.url(f"/triage/{report.pk}/"))
    analyst.locator("#notes").get_by_role("textbox", name="Message", exact=True).fill(TO_REPORTER)
    analyst.get_by_label("This is a request for information").check()
    analyst.get_by_role("button", name="Send to the reporter").click()
    expect(analyst.locator("#notes")).to_contain_text(TO_REPORTER)
    journey.step(analyst, "04-analyst-asked-reporter")

    # 3. The reporter answers through the private link, with no account.
    reporter = journey.new_page()
    reporter.goto(journey.url(f"/report/follow/{key}/"))
    expect(reporter.locator("#messages")).to_contain_text(TO_REPORTER)
    reporter.get_by_role("link", name="Answer this request").click()
    expect(reporter.locator("#compose")).to_have_text("Answer the request")
    reporter.get_by_role("textbox", name="Message", exact=True).fill(REPORTER_ANSWER)
    reporter.get_by_role("button", name="Send").click()
    expect(reporter.locator(".messages .message.success")).to_be_visible()
    expect(reporter.locator("#messages")).to_contain_text(REPORTER_ANSWER)
    journey.step(reporter, "05-reporter-answered")
    asked = Message.objects.get(thread__report=report, request__in=["answered", "open"], from_reporter=False)
    assert asked.request == Message.Request.ANSWERED

    # 4. The analyst relays the answer to the vendor and closes the vendor's request.
    analyst.goto(journey.url("/dashboard/"))
    expect(analyst.locator("#dash-requests")).to_contain_text("Answered, to close")
    analyst.goto(journey.url(f"/cases/{case.url_ref}/vendors/{participant.pk}/"))
    analyst.get_by_role("link", name=re.compile("Read and answer")).click()
    analyst.get_by_role("link", name="Answer this request").click()
    analyst.get_by_role("textbox", name="Message", exact=True).fill(RELAYED)
    analyst.get_by_role("button", name="Send").click()
    expect(analyst.locator("#messages")).to_contain_text(RELAYED)
    analyst.get_by_role("button", name="Close the request").first.click()
    expect(analyst.locator(".messages .message.success")).to_contain_text("closed")
    journey.step(analyst, "06-analyst-relayed-and-closed")
    request = Message.objects.get(thread__participant=participant, body=QUESTION)
    assert request.request == Message.Request.CLOSED

    # The vendor's home says a message from the coordinator waits; it leads to the thread.
    vendor.goto(journey.url("/portal/"))
    vendor.get_by_role("link", name=re.compile(r"read 1 new message")).click()
    expect(vendor.locator("#messages")).to_contain_text(RELAYED)
    journey.step(vendor, "07-vendor-reads-relayed-answer")

    # The vendor's Conversation tab: the case discussion and its private thread, with counts;
    # "what is new" has nothing left once everything was read.
    vendor.get_by_role("link", name="Conversation", exact=True).click()
    expect(vendor.locator("#threads")).to_contain_text("Case discussion")
    expect(vendor.locator("#threads")).to_contain_text("Private: you and the coordinators")
    journey.step(vendor, "08-vendor-conversation-tab")
    vendor.get_by_role("link", name=re.compile("What is new since your last visit")).click()
    expect(vendor.locator("#new")).to_contain_text("Nothing new")
    journey.step(vendor, "09-vendor-nothing-new")

    # The analyst opens a topic for Acme from the Conversation tab and writes in it.
    analyst.goto(journey.url(f"/cases/{case.url_ref}/messages/"))
    analyst.get_by_role("textbox", name="Title").fill("Firmware 5.2 fix")
    analyst.get_by_role("listbox", name="Participants").select_option(label="Acme Networks (Vendor A)")
    analyst.get_by_role("button", name="Open the topic").click()
    expect(analyst.get_by_role("heading", level=2, name="Firmware 5.2 fix")).to_be_visible()
    analyst.get_by_role("textbox", name="Message", exact=True).fill("Please test the 5.2 build.")
    analyst.get_by_role("button", name="Send").click()
    expect(analyst.locator("#messages")).to_contain_text("Please test the 5.2 build.")
    journey.step(analyst, "10-analyst-topic")

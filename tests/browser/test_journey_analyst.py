"""Issue 8, journey (3), from a fresh database with the demo data: a demo vendor's member
accepts the embargo of a case in the browser and asks for more information; the demo analyst
sees the request on the dashboard's work queue, follows the link into the vendor's private
thread, answers the request there (a reply) and closes it, and the count drops; opens a report waiting in triage (the report first, the allowed steps beside it) and
backs out of invalidating it; then terminates the embargo, which the confirmation page refuses without a
reason, and the reason shows on the case's timeline.

The vendor's question is asked through the action the answer page calls
(accord.answers.actions.submit_answer): that page is being redesigned in parallel (issue 8,
journey 2), and its own journey test drives it in the browser.

Every page is checked with axe-core, logs no console error under the real CSP, and is saved
at 1280 and 390 px under tests/browser/output/test_analyst_journey/.
"""

from __future__ import annotations

import re

from accord.accounts.models import Organization, User
from accord.answers.actions import AnswerInput, submit_answer
from accord.cases import actions
from accord.cases.actions import participants as participant_actions
from accord.cases.actions.reports import ReportInput
from accord.cases.models import Case, CaseEvent, Participant
from accord.cases.states import EM
from accord.conversation.models import Message
from tests.browser import expect

ANALYST = "analyst@coordinator.example"
VENDOR = "psirt@acme.example"
QUESTION = "Which firmware build did the reporter test, and is the web UI enabled by default there?"
ANSWER = "Build 7.1.4, with the web UI on (the factory default)."
REASON = "Acme published firmware 7.1.5 with the fix; the advisory is public."


def demo_case() -> tuple[Case, Participant]:
    """A report accepted as a case, with Acme Networks (a demo vendor) notified: Accord's
    default embargo is Active, and Acme has not accepted it yet."""
    analyst = User.objects.get(email=ANALYST)
    report, _ = actions.submit_report(
        ReportInput(
            product="Acme Gateway",
            version="7.1",
            description="The login form trusts a client-side flag: anyone becomes **admin**.",
            credit=False,
        ),
        by=None,
    )
    case = actions.accept_report(report, by=analyst)
    acme = Organization.objects.get(name="Acme Networks")
    added = participant_actions.add_vendors(case, [acme], by=analyst)
    participant_actions.notify_vendors(case, added, by=analyst)
    case.refresh_from_db()
    assert case.embargo_state == EM.ACTIVE
    return case, Participant.objects.get(case=case, organization=acme)


def card(page, label: str):  # type: ignore[no-untyped-def]
    return page.locator("#dash-cards .card").filter(has_text=label)


def test_analyst_journey(journey):  # type: ignore[no-untyped-def]
    case, acme = demo_case()
    waiting, _ = actions.submit_report(
        ReportInput(product="Globex Ledger", version="3", description="Stored XSS in notes.", credit=False),
        by=None,
    )

    # 1. Acme's member logs in, finds the case in the vendor portal and accepts its embargo.
    vendor = journey.new_page()
    journey.log_in(vendor, VENDOR)
    vendor.get_by_role("navigation", name="Main").get_by_role("link", name="Vendor portal").click()
    vendor.get_by_role("link", name=case.label).first.click()
    expect(vendor.get_by_role("button", name="Accept the embargo")).to_be_visible()
    journey.step(vendor, "01-vendor-embargo-terms")
    vendor.get_by_role("button", name="Accept the embargo").click()
    acme.refresh_from_db()
    assert acme.embargo_answer == Participant.EmbargoAnswer.ACCEPTED
    journey.step(vendor, "02-vendor-case")

    # 2. Acme asks for more information (the answer page's "Need more information?").
    submit_answer(acme, AnswerInput(need_more_information=QUESTION), by=User.objects.get(email=VENDOR))
    request = Message.objects.get(thread__participant=acme, request=Message.Request.OPEN)

    # 3. The analyst's work queue shows the request, most urgent first among what waits.
    analyst = journey.new_page()
    journey.log_in(analyst, ANALYST)
    requests = card(analyst, "Open information requests")
    expect(requests.locator(".card-count")).to_have_text("1")
    expect(requests).to_have_class(re.compile(r"\battention\b"))
    journey.step(analyst, "03-dashboard-one-request")
    requests.get_by_role("link").click()
    section = analyst.locator("#dash-requests")
    expect(section).to_contain_text(QUESTION)
    section.get_by_role("link", name=f"{case.label}: Acme Networks").click()
    thread = f"/cases/{case.url_ref}/messages/{request.thread_id}/"
    expect(analyst).to_have_url(re.compile(rf"{thread}#m{request.pk}$"))
    journey.step(analyst, "04-private-thread-with-request")

    # 4. The analyst answers it there (a reply to it), then closes it; the count drops.
    asked = analyst.locator(f"#m{request.pk}")
    expect(asked).to_contain_text(QUESTION)
    expect(asked).to_contain_text("request for information: open")
    asked.get_by_role("link", name="Answer this request").click()
    expect(analyst.locator("#compose-h")).to_have_text("Answer the request")
    analyst.get_by_role("textbox", name="Message").fill(ANSWER)
    analyst.locator("#compose").get_by_role("button", name="Send").click()
    expect(analyst.locator(".messages")).to_contain_text("Your message was sent.")
    request.refresh_from_db()
    assert request.request == Message.Request.ANSWERED and request.answered_at is not None
    assert request.replies.get().body == ANSWER
    expect(analyst.locator(f"#m{request.pk}")).to_contain_text("request for information: answered")
    analyst.locator(f"#m{request.pk}").get_by_role("button", name="Close the request").click()
    expect(analyst.locator(".messages")).to_contain_text("The request is closed.")
    request.refresh_from_db()
    assert request.request == Message.Request.CLOSED
    journey.step(analyst, "05-request-answered")
    analyst.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    expect(card(analyst, "Open information requests").locator(".card-count")).to_have_text("0")
    journey.step(analyst, "06-dashboard-no-request")

    # 5. A report waits in triage: the report first, the steps the rules allow beside it.
    triage = card(analyst, "Reports waiting in triage")
    expect(triage.locator(".card-count")).to_have_text("1")
    analyst.locator("#dash-triage").get_by_role("link", name=waiting.pk).click()
    expect(analyst.get_by_role("heading", level=1)).to_contain_text(waiting.pk)
    steps = analyst.locator("#actions")
    expect(steps.get_by_role("button", name="Accept as a case")).to_be_visible()
    expect(steps.get_by_role("button", name="Defer")).to_have_count(0)  # not for a Received report
    expect(analyst.locator("#ssvc-form")).not_to_have_attribute("open", "")
    journey.step(analyst, "07-triage-report")
    steps.get_by_role("link", name="Mark invalid…").click()
    expect(analyst.get_by_role("heading", level=1)).to_have_text(f"Mark report {waiting.pk} invalid?")
    journey.step(analyst, "08-invalidate-confirmation")
    analyst.get_by_role("link", name="Cancel").click()
    expect(analyst.locator("#report-state")).to_have_text("Received")
    analyst.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()

    # 6. The analyst terminates the embargo from the case page: a confirmation page first.
    analyst.locator("#dash-mine").get_by_role("link", name=case.label).click()
    expect(analyst.get_by_role("heading", level=1)).to_contain_text(case.label)
    journey.step(analyst, "09-case-page")
    # The case page's control (a link to the confirmation page, or the older inline form,
    # whose POST only shows that page) leads to the same confirmation page.
    analyst.locator(
        'main a[href$="/embargo/terminate/"], main form[action$="/embargo/terminate/"] button[type=submit]'
    ).first.click()
    expect(analyst.get_by_role("heading", level=1)).to_have_text(f"Terminate the embargo of {case.label}?")
    expect(analyst.locator("#consequences")).to_contain_text("This cannot be undone.")
    expect(analyst.get_by_role("link", name="Cancel")).to_have_attribute(
        "href", f"/cases/{case.url_ref}/#embargo"
    )
    journey.step(analyst, "10-terminate-confirmation")

    # 7. An empty reason is refused on the page, and nothing changes.
    analyst.get_by_label("Reason").fill("")
    analyst.get_by_role("button", name="Terminate the embargo").click()
    summary = analyst.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Give the reason to terminate the embargo")
    expect(analyst.get_by_label("Reason")).to_have_attribute("aria-invalid", "true")
    case.refresh_from_db()
    assert case.embargo_state == EM.ACTIVE
    journey.step(analyst, "11-terminate-refused")

    # 8. With the reason, the embargo is eXited and the reason is on the case's timeline.
    analyst.get_by_label("Reason").fill(REASON)
    analyst.get_by_role("button", name="Terminate the embargo").click()
    expect(analyst).to_have_url(re.compile(rf"/cases/{case.url_ref}/(#embargo)?$"))
    expect(analyst.locator(".messages")).to_contain_text("The embargo is terminated.")
    case.refresh_from_db()
    assert case.embargo_state == EM.EXITED
    event = CaseEvent.objects.get(case=case, kind="embargo.terminated")
    assert event.data["reason"] == REASON
    if analyst.get_by_text(REASON).count() == 0:  # the timeline may be a tab of its own
        analyst.get_by_role("link", name=re.compile(r"^Timeline")).first.click()
    expect(analyst.get_by_text(REASON).first).to_be_visible()
    journey.step(analyst, "12-embargo-exited")

    # The vendor reads the reason on its case's timeline too.
    vendor.reload()
    if vendor.get_by_text(REASON).count() == 0:
        vendor.get_by_role("link", name=re.compile(r"^Timeline")).first.click()
    expect(vendor.get_by_text(REASON).first).to_be_visible()
    journey.step(vendor, "13-vendor-reads-the-reason")

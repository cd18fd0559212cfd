"""The reporter's private follow page in Chromium, under the site's real CSP and referrer policy."""

from __future__ import annotations

from accord.accounts.models import User
from accord.cases import actions
from accord.cases.actions.reports import ReportInput
from accord.conversation.models import Message
from accord.testing import write_to_reporter
from tests.browser import expect


def test_the_reporter_answers_on_the_follow_page(journey):  # type: ignore[no-untyped-def]
    """Broken on 633bd74: `Referrer-Policy: no-referrer` made Chromium send `Origin: null`, and
    Django's CSRF check answered 403 to the reporter's reply."""
    report, key = actions.submit_report(
        ReportInput(product="Acme Gateway", version="7.1", description="Anyone becomes admin.", credit=False),
        by=None,
    )
    analyst = User.objects.get(email="analyst@coordinator.example")
    question = write_to_reporter(
        report,
        "Which firmware build? See [the vendor's advisory](https://vendor.example/advisory).",
        by=analyst,
        request=True,
    )

    page = journey.new_page()
    page.goto(journey.url(f"/report/follow/{key}/"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Report {report.pk}")
    journey.step(page, "follow")
    page.get_by_role("link", name="Answer this request").click()
    expect(page.locator("#compose")).to_have_text("Answer the request")
    page.get_by_role("textbox", name="Message").fill("Build 1234, from the vendor's site.")
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".messages")).to_contain_text("your message was sent to the coordinator")
    expect(page.locator("#notes")).to_contain_text("Build 1234, from the vendor's site.")
    journey.step(page, "answered")
    answer = Message.objects.get(thread__report=report, from_reporter=True)
    assert answer.body == "Build 1234, from the vendor's site." and answer.reply_to == question
    question.refresh_from_db()
    assert question.request == Message.Request.ANSWERED

    # A link that leaves the site never carries the page's secret address.
    sent: list[dict[str, str]] = []

    def elsewhere(route):  # type: ignore[no-untyped-def]
        sent.append(route.request.headers)
        route.fulfill(status=200, content_type="text/html", body="<!doctype html><title>Advisory</title>")

    page.route("https://vendor.example/**", elsewhere)
    page.get_by_role("link", name="the vendor's advisory").click()
    expect(page).to_have_url("https://vendor.example/advisory")
    assert len(sent) == 1 and "referer" not in sent[0], sent

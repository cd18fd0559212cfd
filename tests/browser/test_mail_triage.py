"""The mail triage inbox and the mail problems page (issue 10, items 5 and 6), in Chromium from
the demo data: a mail without a VU# is linked to a case in the vendor's private thread, where
the analyst then reads it; a second one becomes a report; a failed one is processed again from
the problems page. Every page passes axe-core under the real CSP and is saved at 1280 and 390 px
under tests/browser/output/test_mail_triage_journey/.
"""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from accord.accounts.models import Organization, User
from accord.cases.actions import participants as participant_actions
from accord.cases.actions import reports as report_actions
from accord.cases.models import Report
from accord.mailgate import parse as parsing
from accord.mailgate.inbound import process, receive
from accord.mailgate.models import InboundMessage
from tests.browser import expect

ANALYST = "analyst@coordinator.example"
VENDOR = "psirt@acme.example"


def mail(subject: str, sender: str, body: str, message_id: str) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "cert@localhost"
    message["Subject"] = subject
    message["Message-ID"] = message_id
    message.set_content(body)
    return message.as_bytes()


def arrive(raw: bytes) -> InboundMessage:
    row = receive(raw, "pipe")
    process(row.pk)  # idempotent: done already when the job ran on commit
    row.refresh_from_db()
    return row


def test_mail_triage_journey(journey, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    analyst_user = User.objects.get(email=ANALYST)
    acme = Organization.objects.get(memberships__user__email=VENDOR)
    report, _ = report_actions.submit_report(
        report_actions.ReportInput(product="Acme Router", version="5.1", description="Forged cookies."),
        by=None,
    )
    case = report_actions.accept_report(report, by=analyst_user)
    participant_actions.add_vendors(case, [acme], by=analyst_user)

    # Three mails: the vendor forgot the VU#; a researcher writes in; one the parser chokes on.
    vendor_mail = arrive(
        mail("Re: the cookie issue", VENDOR, "We have a fix in firmware 5.1.4.", "<fix@acme.example>")
    )
    assert vendor_mail.status == InboundMessage.Status.TRIAGE
    new_report = arrive(
        mail(
            "XSS in Gizmo admin panel", "finder@elsewhere.example", "The name field is not escaped.", "<r@x>"
        )
    )
    real_parse = parsing.parse

    def choke(raw: bytes, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("the parser fell over")

    monkeypatch.setattr(parsing, "parse", choke)
    failed = arrive(mail("Question", "someone@elsewhere.example", "Hello?", "<q@x>"))
    monkeypatch.setattr(parsing, "parse", real_parse)
    assert failed.status == InboundMessage.Status.FAILED

    # 1. The analyst opens the triage inbox from the navigation; the dashboard counts the mail.
    page = journey.new_page()
    journey.log_in(page, ANALYST)
    expect(page.locator("#dash-cards")).to_contain_text("Mail waiting for triage")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Triage").click()
    page.get_by_role("navigation", name="Triage").get_by_role("link", name="Mail triage inbox").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mail triage inbox")
    expect(page.locator("table")).to_contain_text(VENDOR)
    journey.step(page, "01-inbox")

    # 2. Links the vendor's mail to the case, in Acme's private thread, and reads it there.
    page.get_by_role("link", name="Re: the cookie issue").click()
    expect(page.locator("#mail-text")).to_contain_text("firmware 5.1.4")
    expect(page.locator("#actions")).to_contain_text(f"{case.label} Acme Router 5.1: Acme Networks, vendor")
    journey.step(page, "02-mail")
    page.get_by_label("Link it to a case").fill(case.label)
    page.get_by_role("button", name="Choose the participant").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Link this mail to {case.label}?")
    page.get_by_label("Acme", exact=False).check()
    journey.step(page, "03-link-choose")
    page.get_by_role("button", name=f"Link to {case.label}").click()
    expect(page.locator("main")).to_contain_text("We have a fix in firmware 5.1.4.")
    expect(page.locator(".messages")).to_contain_text("private thread of")
    journey.step(page, "04-in-the-thread")

    # 3. The second mail becomes a report.
    page.goto(journey.url(f"/mail/{new_report.pk}/"))
    page.get_by_role("link", name="Turn it into a report").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Turn this mail into a report?")
    journey.step(page, "05-report-confirm")
    page.get_by_role("button", name="Turn into a report").click()
    made = Report.objects.get(product="XSS in Gizmo admin panel")
    expect(page.locator(".messages")).to_contain_text(made.pk)
    journey.step(page, "06-report")

    # 4. The failed one is processed again from the problems page.
    page.goto(journey.url("/mail/triage/"))
    expect(page.locator("table")).to_contain_text("No mail is waiting for triage.")
    page.get_by_role("navigation", name="Triage").get_by_role("link", name="Mail problems").click()
    expect(page.locator("table")).to_contain_text("the parser fell over")
    journey.step(page, "07-problems")
    page.get_by_role("button", name=f"Process mail {failed.pk} again").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Process this mail again?")
    page.get_by_role("button", name="Process again").click()
    expect(page.locator(".messages")).to_contain_text("is being processed again")
    expect(page.locator("table")).to_contain_text("No failed or flagged mail.")
    journey.step(page, "08-problems-empty")
    failed.refresh_from_db()
    assert failed.status == InboundMessage.Status.TRIAGE and failed.resolution == "reprocessed"

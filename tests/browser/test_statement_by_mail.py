"""Issue 10, item 4, in Chromium: a vendor mails a clearsigned statement; the analyst sees it in
the vendor's private thread as "by mail, verified by <fingerprint>", makes it the vendor's
statement after a confirmation page, and the vendor reads it as its statement, received by mail.

Every page is checked with axe-core and saved under tests/browser/output/.
"""

from __future__ import annotations

import re

from accord.accounts.models import Organization, User
from accord.answers.models import Statement
from accord.cases.actions import embargo as embargo_actions
from accord.cases.actions import participants as participant_actions
from accord.cases.actions import reports as report_actions
from accord.cases.models import Participant
from accord.lib import openpgp
from accord.mailgate import coordinator_key
from accord.mailgate.inbound import receive
from accord.mailgate.models import InboundMessage
from accord.vendors import actions as vendor_actions
from tests.browser import expect
from tests.test_inbound_pgp import Pair, openpgp_clearsign, text_entity

ANALYST = "analyst@coordinator.example"
VENDOR = "psirt@acme.example"
STATEMENT = b"Acme Networks: firmware 5.2 fixes the forged cookies.\n- Upgrade now.\n"


def test_statement_by_mail(journey) -> None:  # type: ignore[no-untyped-def]
    analyst_user = User.objects.get(email=ANALYST)
    vendor_user = User.objects.get(email=VENDOR)
    acme = Organization.objects.get(memberships__user=vendor_user)
    report, _ = report_actions.submit_report(
        report_actions.ReportInput(product="Acme Router", version="5.1", description="Forged cookies."),
        by=None,
    )
    case = report_actions.accept_report(report, by=analyst_user)
    participant_actions.add_vendors(case, [acme], by=analyst_user)
    case = embargo_actions.record_contact_attempt(case, by=analyst_user, outside=True)
    participant = Participant.objects.get(case=case, organization=acme)
    participant_actions.answer_embargo(participant, accept=True, by=vendor_user)
    # Acme's pinned key, and the coordinator's key (mail is decrypted and verified with them).
    secret = openpgp.generate_key("Acme PSIRT", VENDOR)
    info = openpgp.inspect_secret_key(secret).info
    key = Pair(secret, info.armored, info.fingerprint)
    vendor_actions.upload_key(acme, key.public, by=analyst_user)
    coordinator_key.install(openpgp.generate_key("Example CERT", "cert@localhost"), None)

    signed = openpgp_clearsign(key, STATEMENT)
    raw = (
        f"From: Acme PSIRT <{VENDOR}>\r\nTo: cert@localhost\r\nSubject: Re: [VU#{case.number}] statement\r\n"
        "Message-ID: <statement@acme.example>\r\nMIME-Version: 1.0\r\n"
    ).encode() + text_entity(signed.decode())
    receive(raw, "smtp")
    assert InboundMessage.objects.get().signature == "verified"

    analyst = journey.new_page()
    journey.log_in(analyst, ANALYST)
    analyst.goto(journey.url(f"/cases/{case.url_ref}/messages/with/{participant.pk}/"))
    mail_state = analyst.locator(".mail-state")
    expect(mail_state).to_contain_text("by mail")
    expect(mail_state).to_contain_text(f"verified by {key.fingerprint}")
    expect(analyst.locator("#messages")).to_contain_text("firmware 5.2 fixes the forged cookies")
    expect(analyst.locator("#messages")).not_to_contain_text("BEGIN PGP")  # its words, not its armour
    journey.step(analyst, "01-analyst-sees-the-signed-mail")
    analyst.get_by_role("link", name="Make this the vendor's statement").click()
    expect(analyst.get_by_role("heading", level=2)).to_contain_text("Make this mail the statement of")
    expect(analyst.locator("#consequences")).to_contain_text("exactly as received")
    journey.step(analyst, "02-analyst-confirms")
    analyst.get_by_role("button", name="Make it the vendor's statement").click()
    expect(analyst.locator(".messages .message.success")).to_contain_text("version 1")
    journey.step(analyst, "03-analyst-made-it-the-statement")
    statement = Statement.objects.get(participant=participant)
    assert statement.received_by_mail and statement.verification == "verified"

    vendor = journey.new_page()
    journey.log_in(vendor, VENDOR)
    vendor.goto(journey.url(f"/cases/{case.url_ref}/answer/"))
    expect(vendor.get_by_text(re.compile("received by mail")).first).to_be_visible()
    journey.step(vendor, "04-vendor-reads-its-statement")

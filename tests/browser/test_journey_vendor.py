"""Issue 8, journey (2), from a fresh database with the demo data: the analyst notifies a vendor
that has no account yet; the vendor follows the claim link from the notification mail, chooses a
password and lands signed in on the case's embargo decision; it accepts the embargo, answers the
four questions for one vulnerability and two products ("Add a product" twice), asks for more
information, reads the coordinator's answer from its home page, and its admin adds an OpenPGP
key from the home page; a statement signed with that key, not yet approved, says why it did not
verify.

Every page is checked with axe-core, logs no console error under the real CSP, and is saved at
1280 and 390 px under tests/browser/output/test_vendor_journey/.
"""

from __future__ import annotations

import re
from pathlib import Path

from accord.accounts.models import Membership, Organization, User
from accord.answers.models import Statement, Status
from accord.cases.actions import participants as participant_actions
from accord.cases.actions import reports as report_actions
from accord.cases.models import Participant
from accord.cases.states import EM, RM
from accord.mailgate.models import OutboundMessage
from accord.testing import PASSWORD as TEST_PASSWORD
from accord.testing import make_world, open_requests_of, start_embargo, write_privately
from accord.vendors import actions as vendor_actions
from accord.vendors.models import PublicKey
from tests.browser import expect, link_in_mail
from tests.pgp_keys import make_key

ANALYST = "analyst@coordinator.example"
VENDOR = "Umbrella Appliances"
EMAIL = "psirt@umbrella.example"
PASSWORD = "umbrella psirt passphrase 2026"
SUMMARY = "The web interface of the Umbrella Router accepts a forged session cookie."
QUESTION = "Which firmware build did you test?"
REPLY = "Build 5.1.3, from your download page."
STATEMENT = "Umbrella Appliances fixed this in Router firmware 5.2.\n"


def test_vendor_journey(journey, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # A vendor of the directory with an approved "to" contact and no member yet, in a case.
    analyst_user = User.objects.get(email=ANALYST)
    org = Organization.objects.create(name=VENDOR, kind=Organization.Kind.VENDOR)
    vendor_actions.add_contact(org, EMAIL, role="to", name="Umbrella PSIRT", by=analyst_user)
    report, _ = report_actions.submit_report(
        report_actions.ReportInput(
            product="Umbrella Router", version="5.1", description="Forged session cookies.", credit=False
        ),
        by=None,
    )
    case = report_actions.accept_report(report, by=analyst_user)
    participant_actions.update_vendor_texts(
        case, vendor_summary=SUMMARY, notification_text="", by=analyst_user
    )
    participant_actions.add_vendors(case, [org], by=analyst_user)
    assert not Membership.objects.filter(organization=org).exists()

    # 1. The demo analyst notifies the vendor from the case's vendor page.
    analyst = journey.new_page()
    journey.log_in(analyst, ANALYST)
    analyst.goto(journey.url(f"/cases/{case.url_ref}/vendors/"))
    analyst.get_by_role("button", name=re.compile(r"^Notify all")).click()
    expect(analyst.locator(".messages .message.success")).to_contain_text(VENDOR)
    journey.step(analyst, "01-analyst-notified")
    case.refresh_from_db()
    assert case.embargo_state == EM.ACTIVE
    mail = OutboundMessage.objects.filter(to_email=EMAIL).latest("id")
    assert SUMMARY not in mail.body_text and "Umbrella Router" not in mail.subject + mail.body_text

    # 2. The vendor follows the claim link in the mail and chooses a password.
    vendor = journey.new_page()
    vendor.goto(link_in_mail(EMAIL, "/claim/", base_url=journey.base_url))
    expect(vendor.get_by_role("heading", level=1)).to_have_text("Create your account")
    expect(vendor.locator("main")).to_contain_text(EMAIL)
    journey.step(vendor, "02-claim")
    vendor.get_by_label("Your name").fill("Uma Umbrella")
    vendor.get_by_label("Choose a password").fill(PASSWORD)
    vendor.get_by_role("button", name="Create the account").click()

    # 3. Signed in, on the case, which first asks for the embargo decision.
    expect(vendor).to_have_url(re.compile(rf"/cases/{case.url_ref}/$"))
    expect(vendor.locator(".messages")).to_contain_text("you are signed in")
    expect(vendor.get_by_role("heading", level=1)).to_contain_text("first, the embargo")
    expect(vendor.locator("#embargo-end")).to_contain_text("UTC")
    assert SUMMARY not in vendor.content()
    journey.step(vendor, "03-embargo-decision")
    user = User.objects.get(email=EMAIL)
    assert Membership.objects.filter(user=user, organization=org, role="admin").exists()

    # 4. It accepts the embargo and reads the report.
    vendor.get_by_role("button", name="Accept the embargo").click()
    expect(vendor.locator(".messages")).to_contain_text("accepts the embargo")
    expect(vendor.locator("#vendor-summary")).to_contain_text(SUMMARY)
    expect(vendor.locator("#vendor-embargo")).to_contain_text("accepted the embargo")
    expect(vendor.locator("#own-answered")).to_have_text("You have not answered yet.")
    journey.step(vendor, "04-case")
    own = Participant.objects.get(case=case, organization=org)
    assert own.embargo_answer == Participant.EmbargoAnswer.ACCEPTED

    # 5. The answer page: the four questions in order; two products added on demand.
    vendor.locator("#for-vendors").get_by_role("link", name="Answer the four questions").click()
    expect(vendor.get_by_role("heading", level=1)).to_have_text(f"Your answer to {case.label}")
    legends = vendor.locator("fieldset.question > legend")
    expect(legends.nth(0)).to_have_text("1. Is this a real vulnerability in your products?")
    expect(legends.nth(1)).to_have_text("2. Is it already fixed?")
    expect(legends.nth(2)).to_have_text("3. If not, when will a fix be ready?")
    expect(vendor.locator(".product-row")).to_have_count(0)
    journey.step(vendor, "05-answer-page")
    vendor.locator("#answer-v1_status_1").check()  # Yes, it affects us
    vendor.locator("#answer-v1_expected_fix_date").fill("2030-01-15")
    add = vendor.get_by_role("button", name="Add a product")
    add.click()
    expect(vendor.locator("#product-rows .product-row")).to_have_count(1)
    expect(vendor.locator("#answer-p0_product")).to_be_focused()
    vendor.locator("#answer-p0_product").fill("Umbrella Router")
    vendor.locator("#answer-p0_version_range").fill("< 5.2")
    vendor.locator("#answer-p0_status_1").check()
    vendor.locator("#answer-p0_fixed_version").fill("5.2")
    vendor.locator("#answer-p0_release_reference").fill("https://umbrella.example/releases/5.2")
    add.click()
    expect(vendor.locator("#product-rows .product-row")).to_have_count(2)
    vendor.locator("#answer-p1_product").fill("Umbrella Camera")
    vendor.locator("#answer-p1_status_2").check()  # No, we are not affected
    vendor.locator("#answer-p1_justification").select_option("component_not_present")
    vendor.get_by_label("Your question to the coordinator").fill(QUESTION)
    vendor.get_by_label("Statement", exact=True).fill(STATEMENT)
    journey.step(vendor, "06-answer-filled")
    vendor.get_by_role("button", name="Send the answer").click()
    expect(vendor.locator(".messages")).to_contain_text(
        "Recorded: your answers to questions 1 to 3 and your statement. Your question is sent to the coordinator."
    )
    expect(vendor.locator("#answer-requests")).to_contain_text(QUESTION)
    journey.step(vendor, "07-answer-sent")
    statuses = {(s.product, s.status, s.fixed_version) for s in Status.objects.filter(participant=own)}
    assert statuses == {
        ("", "affected", ""),
        ("Umbrella Router", "fixed", "5.2"),
        ("Umbrella Camera", "not_affected", ""),
    }
    own.refresh_from_db()
    assert own.rm_state == RM.ACCEPTED
    request = open_requests_of(own).get()
    assert request.body == QUESTION and request.author_participant == own

    # 6. The coordinator answers the question (a reply in the vendor's private thread); the
    # vendor's home says so, with counts, until it reads the thread.
    reply = write_privately(own, REPLY, by=analyst_user, reply_to=request)
    vendor.get_by_role("navigation", name="Main").get_by_role("link", name="Vendor portal").click()
    expect(vendor.get_by_role("heading", level=1)).to_have_text("Vendor portal")
    cards = vendor.locator("#waiting-cards")
    expect(cards.locator(".card-count")).to_have_text(["0", "0", "1", "0"])
    expect(vendor.locator("#waiting-requests")).to_contain_text(case.label)
    journey.step(vendor, "08-home")
    vendor.locator("#waiting-requests").get_by_role("link", name=re.compile(r"read 1 new message")).click()
    expect(vendor).to_have_url(re.compile(rf"/cases/{case.url_ref}/messages/{request.thread_id}/$"))
    expect(vendor.locator(f"#m{reply.pk}")).to_contain_text(REPLY)
    expect(vendor.locator(f"#m{reply.pk} .badge.info")).to_have_text("new")
    expect(vendor.locator(f"#m{request.pk}")).to_contain_text("request for information: answered")
    journey.step(vendor, "09-request-answered")
    vendor.get_by_role("navigation", name="Main").get_by_role("link", name="Vendor portal").click()
    expect(cards.locator(".card-count")).to_have_text(["0", "0", "0", "0"])

    # 7. The header's account menu and the home page lead to the organisation's contacts and keys.
    vendor.locator("details.account > summary").click()
    menu_link = vendor.locator(".account-menu").get_by_role(
        "link", name="Your organisation: contacts and OpenPGP keys"
    )
    expect(menu_link).to_have_attribute("href", f"/vendors/{org.pk}/")
    journey.step(vendor, "10-account-menu")
    vendor.keyboard.press("Escape")
    vendor.locator(".page-actions").get_by_role(
        "link", name="Your organisation: contacts and OpenPGP keys"
    ).click()
    expect(vendor.get_by_role("heading", level=1)).to_have_text(VENDOR)
    journey.step(vendor, "11-organisation")

    # 8. The admin adds the organisation's OpenPGP key: it waits for the coordinator's approval.
    key = make_key(tmp_path / "gpg", EMAIL)
    vendor.get_by_label("Armoured public key").fill(key.public)
    vendor.get_by_role("button", name="Upload the key").click()
    expect(vendor.locator(".messages")).to_contain_text("uploaded")
    expect(vendor.locator("main")).to_contain_text("Pending approval")
    journey.step(vendor, "12-key-uploaded")
    assert PublicKey.objects.get(organization=org).status == PublicKey.Status.PENDING

    # 9. A statement signed with that key, before the approval: the vendor is told why it did not verify.
    vendor.goto(journey.url(f"/cases/{case.url_ref}/answer/"))
    signed = key.clearsign(STATEMENT.encode()).decode()
    vendor.get_by_label("Statement", exact=True).fill(signed)
    vendor.get_by_role("button", name="Send the answer").click()
    expect(vendor.locator(".messages")).to_contain_text("Recorded: your statement.")
    expect(vendor.locator("#statements")).to_contain_text(
        "signature did not verify: the key that made it was waiting for the coordinator's approval"
    )
    journey.step(vendor, "13-signature-waits-for-approval")
    latest = Statement.objects.filter(participant=own).latest("version")
    assert latest.verification == Statement.Verification.FAILED
    # The analyst reads the same reason on the vendor page.
    analyst.goto(journey.url(f"/cases/{case.url_ref}/vendors/"))
    expect(analyst.locator(f"#vendor-{own.pk}")).to_contain_text("waiting for the coordinator's approval")
    journey.step(analyst, "14-analyst-sees-why")


def test_add_a_product_without_javascript(browser, live_server, transactional_db) -> None:  # type: ignore[no-untyped-def]
    """Without JavaScript "Add a product" posts the form back: the page returns with one more
    row and everything typed, and nothing is recorded until "Send the answer"."""
    world = make_world()
    start_embargo(world)
    assert world.case is not None
    # (axe-core cannot run in a page without JavaScript: the journey above checks these pages.)
    context = browser.new_context(java_script_enabled=False)
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Email").fill(world.vendor.email)
        page.get_by_label("Password").fill(TEST_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
        page.goto(f"{live_server.url}/cases/{world.case.url_ref}/answer/")
        page.locator("#answer-v1_status_1").check()
        page.get_by_label("Your question to the coordinator").fill("Which build?")
        page.get_by_role("button", name="Add a product").click()
        expect(page.locator("#product-rows .product-row")).to_have_count(1)
        expect(page.locator("#answer-v1_status_1")).to_be_checked()
        expect(page.get_by_label("Your question to the coordinator")).to_have_value("Which build?")
        expect(page.locator("#answer-p0_product")).to_be_focused()
        page.locator("#answer-p0_product").fill("Router X")
        page.locator("#answer-p0_status_1").check()
        page.locator("#answer-p0_fixed_version").fill("2.0")
        page.get_by_role("button", name="Add a product").click()
        expect(page.locator("#product-rows .product-row")).to_have_count(2)
        expect(page.locator("#answer-p0_product")).to_have_value("Router X")
        participant = world.case.participants.get(organization=world.vendor_org)
        assert not Status.objects.filter(participant=participant).exists()
        page.locator("#answer-p1_product").fill("Camera Y")
        page.locator("#answer-p1_status_4").check()  # We do not know
        page.get_by_role("button", name="Send the answer").click()
        expect(page.locator(".messages")).to_contain_text("Recorded: your answers to questions 1 to 3.")
        statuses = {(s.product, s.status) for s in Status.objects.filter(participant=participant)}
        assert statuses == {("", "affected"), ("Router X", "fixed"), ("Camera Y", "unknown")}
        assert open_requests_of(participant).get().body == "Which build?"
    finally:
        context.close()

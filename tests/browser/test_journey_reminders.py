"""Issue 9, item 6, in the browser, from a fresh database with the demo data: a case whose demo
vendors were notified 50 days ago (its target date has passed). Globex accepted the embargo
10 days ago; Acme never answered. The demo analyst sees one unresponsive vendor on the case's
overview, follows the card to the Vendors tab filtered on it, sees Acme marked, and sends Acme
the final reminder through its confirmation page (refused first without a reason). Acme's
contact gets one neutral mail; the vendor's page shows when it went; the analyst then mutes
the case's automatic reminders.

The past is made with a frozen clock around the actions (time_machine), so the server reads
today's time while the data says "50 days ago".

Every page is checked with axe-core, logs no console error under the real CSP, and is saved
at 1280 and 390 px under tests/browser/output/test_reminders_journey/.
"""

from __future__ import annotations

import datetime as dt
import re

import time_machine
from django.utils import timezone

from accord.accounts.models import Organization, User
from accord.cases import actions
from accord.cases.actions import participants as participant_actions
from accord.cases.actions.reports import ReportInput
from accord.cases.models import Case, CaseEvent, Participant
from accord.mailgate.models import OutboundMessage
from tests.browser import expect

ANALYST = "analyst@coordinator.example"
REASON = "No word from Acme since the notification, and the target date has passed."
TITLE = "Acme Router admin bypass"


def silent_case() -> tuple[Case, Participant, Participant]:
    analyst = User.objects.get(email=ANALYST)
    now = timezone.now()
    with time_machine.travel(now - dt.timedelta(days=50), tick=False):
        report, _ = actions.submit_report(
            ReportInput(
                product="Acme Router", version="4", description="Admin without a password.", credit=False
            ),
            by=None,
        )
        case = actions.accept_report(report, by=analyst)
        actions.update_case(case, by=analyst, title=TITLE)
        vendors = list(
            Organization.objects.filter(name__in=["Acme Networks", "Globex Software"]).order_by("name")
        )
        participant_actions.notify_vendors(
            case, participant_actions.add_vendors(case, vendors, by=analyst), by=analyst
        )
    acme = Participant.objects.get(case=case, organization__name="Acme Networks")
    globex = Participant.objects.get(case=case, organization__name="Globex Software")
    with time_machine.travel(now - dt.timedelta(days=10), tick=False):
        participant_actions.answer_embargo(
            globex, accept=True, by=User.objects.get(email="security@globex.example")
        )
    case.refresh_from_db()
    return case, acme, globex


def test_reminders_journey(journey):  # type: ignore[no-untyped-def]
    case, acme, globex = silent_case()
    analyst = journey.new_page()
    journey.log_in(analyst, ANALYST)

    # 1. The case's overview counts the unresponsive vendor.
    analyst.goto(journey.url(f"/cases/{case.url_ref}/"))
    card = analyst.locator("#vendor-cards .card").filter(has_text="Unresponsive")
    expect(card.locator(".card-count")).to_have_text("1")
    expect(card).to_have_class(re.compile(r"\battention\b"))
    journey.step(analyst, "01-overview-one-unresponsive")

    # 2. The card leads to the Vendors tab, filtered: Acme, marked, with the final reminder.
    card.get_by_role("link").click()
    expect(analyst).to_have_url(re.compile(rf"/cases/{case.url_ref}/vendors/\?unresponsive=yes#list$"))
    table = analyst.locator("#vendor-table")
    row = table.locator(f"#vendor-{acme.pk}")
    expect(row).to_contain_text("unresponsive")
    expect(row).to_contain_text("no response since notified")
    expect(table.locator(f"#vendor-{globex.pk}")).to_have_count(0)
    expect(analyst.locator("#vendor-alerts")).to_contain_text("1 unresponsive")
    journey.step(analyst, "02-vendors-unresponsive")

    # 3. The final reminder asks for confirmation and a reason first.
    row.get_by_role("link", name="Send a final reminder to Acme Networks").click()
    expect(analyst.get_by_role("heading", level=1)).to_have_text("Send the final reminder to Acme Networks?")
    expect(analyst.locator("#consequences")).to_contain_text("A mail cannot be called back.")
    expect(analyst.locator("dl.facts")).to_contain_text("psirt@acme.example")
    journey.step(analyst, "03-final-reminder-confirmation")
    analyst.get_by_role("button", name="Send the final reminder").click()
    summary = analyst.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Give the reason for the final reminder")
    assert not OutboundMessage.objects.filter(subject__contains="Final reminder").exists()
    journey.step(analyst, "04-final-reminder-refused")

    # 4. With the reason, the mail goes; the vendor's page says when.
    analyst.get_by_label("Reason").fill(REASON)
    analyst.get_by_role("button", name="Send the final reminder").click()
    expect(analyst).to_have_url(re.compile(rf"/cases/{case.url_ref}/vendors/{acme.pk}/#reminders$"))
    expect(analyst.locator(".messages")).to_contain_text("The final reminder to Acme Networks is sent.")
    expect(analyst.locator("#unresponsive")).to_contain_text("The final reminder went")
    journey.step(analyst, "05-final-reminder-sent")
    mail = OutboundMessage.objects.get(subject=f"[{case.label}] Final reminder")
    assert mail.to_email == "psirt@acme.example"
    assert TITLE not in mail.body_text and "Acme Router" not in mail.body_text
    assert f"/cases/{case.url_ref}/" in mail.body_text
    event = CaseEvent.objects.get(case=case, kind="participant.final_reminder")
    assert event.participant_id == acme.pk and event.data["reason"] == REASON

    # 5. Back on the Vendors tab, the analyst mutes the case's automatic reminders.
    analyst.get_by_role("link", name=f"All vendors of {case.label}").click()
    expect(analyst.locator(f"#vendor-{acme.pk}")).to_contain_text("final reminder sent")
    analyst.get_by_role("button", name="Mute them for this case").click()
    expect(analyst.locator(".messages")).to_contain_text("Automatic reminders are muted for this case.")
    expect(analyst.locator("#reminders")).to_contain_text("Automatic reminders muted")
    case.refresh_from_db()
    assert case.reminders_muted
    journey.step(analyst, "06-reminders-muted")

"""The note editor in the browser, from the demo data: the analyst writes the note of a case whose
embargo ended and requests a review; the publisher approves and schedules it; the scheduler
publishes it at that instant. Every page is checked with axe-core and saved under
tests/browser/output/test_note_editor_journey/.
"""

from __future__ import annotations

import datetime as dt

import time_machine
from django.utils import timezone

from accord.accounts.models import Organization, User
from accord.cases import actions
from accord.cases.actions import participants as participant_actions
from accord.cases.actions.reports import ReportInput
from accord.cases.models import Case
from accord.publication import actions as notes
from accord.publication.models import Note, Revision
from tests.browser import expect

ANALYST = "analyst@coordinator.example"
PUBLISHER = "publisher@coordinator.example"


def ended_case() -> Case:
    analyst = User.objects.get(email=ANALYST)
    report, _ = actions.submit_report(
        ReportInput(product="Gadget Hub", version="3", description="Command injection in the web UI."),
        by=None,
    )
    case = actions.accept_report(report, by=analyst)
    actions.update_case(case, by=analyst, title="Gadget Hub command injection")
    vendors = list(Organization.objects.filter(name="Globex Software"))
    participant_actions.notify_vendors(
        case, participant_actions.add_vendors(case, vendors, by=analyst), by=analyst
    )
    case.refresh_from_db()
    if case.embargo_state in ("active", "revise"):
        actions.terminate_embargo(case, by=analyst, reason="The vendor shipped the fix.")
    case.refresh_from_db()
    return case


def test_note_editor_journey(journey):  # type: ignore[no-untyped-def]
    case = ended_case()
    ref = case.url_ref

    # 1. The analyst opens the Note tab, writes the overview, saves, previews, requests a review.
    analyst = journey.new_page()
    journey.log_in(analyst, ANALYST)
    analyst.goto(journey.url(f"/cases/{ref}/note/"))
    expect(analyst.locator("#editor-h")).to_have_text("Draft")
    journey.step(analyst, "01-editor-prefilled")
    analyst.fill("#note-overview", "A command injection in **Gadget Hub** lets anyone run commands.")
    analyst.fill("#note-solution", "Update to Gadget Hub 3.1.")
    analyst.fill("#note-summary", "overview and solution")
    analyst.click("#save-draft")
    expect(analyst.locator("#note-state")).to_contain_text("draft 2")
    analyst.goto(journey.url(f"/cases/{ref}/note/preview/"))
    expect(analyst.locator("article.note strong")).to_have_text("Gadget Hub")
    journey.step(analyst, "02-preview")
    analyst.goto(journey.url(f"/cases/{ref}/note/versions/?a=1&b=2"))
    expect(analyst.locator("#diff")).to_contain_text("Overview")
    expect(analyst.locator("#diff")).not_to_contain_text("Description")  # unchanged, whatever the line ends
    journey.step(analyst, "03-diff")
    analyst.goto(journey.url(f"/cases/{ref}/note/"))
    expect(analyst.locator("#approve")).to_have_count(0)  # publishers only
    analyst.click("#request-review")
    expect(analyst.locator("#review-state")).to_contain_text("open")
    journey.step(analyst, "04-review-requested")

    # 2. The publisher approves and schedules it, an hour from now, in the shown time zone.
    publisher = journey.new_page()
    journey.log_in(publisher, PUBLISHER)
    publisher.goto(journey.url(f"/cases/{ref}/note/"))
    publisher.click("#approve")
    expect(publisher.locator("#review-state")).to_contain_text("approved")
    journey.step(publisher, "05-approved")
    zone = publisher.locator("#schedule-form input[name=zone]").get_attribute("value")
    from zoneinfo import ZoneInfo

    at = (
        (timezone.now() + dt.timedelta(hours=1))
        .astimezone(ZoneInfo(zone or "UTC"))
        .replace(second=0, microsecond=0)
    )
    publisher.fill("#schedule-at", at.strftime("%Y-%m-%dT%H:%M"))
    publisher.click("#schedule")
    expect(publisher.locator("#note-state")).to_contain_text("scheduled")
    expect(publisher.locator("#cancel-schedule")).to_be_visible()
    journey.step(publisher, "06-scheduled")

    # 3. The scheduler publishes at that instant.
    note = Note.objects.get(case=case)
    assert note.scheduled_for == at
    with time_machine.travel(at, tick=False):
        assert notes.publish_due() == [note.pk]
    assert Revision.objects.get(note=note).number == 1
    publisher.goto(journey.url(f"/cases/{ref}/note/"))
    expect(publisher.locator("#revisions")).to_contain_text("1")
    expect(publisher.locator("#audit")).to_contain_text("Note published")
    journey.step(publisher, "07-published")

"""Issue 11's acceptance in Chromium, from the demo data: the note of a case goes from the Note
tab through review, the embargo gate and the scheduler to the public site; a late statement makes
revision 2; the publisher withdraws the note; and, before all that, the draft is shared with the
vendor and the reporter, who comment. Every page passes axe-core and is saved at 1280 and 390 px
under tests/browser/output/<test name>/.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import time_machine
from django.utils import timezone
from django.utils.module_loading import import_string

from accord.accounts.models import Organization, User
from accord.answers.actions import AnswerInput, StatementInput, StatusInput, submit_answer
from accord.cases import actions
from accord.cases.actions import participants as participant_actions
from accord.cases.actions.reports import ReportInput
from accord.cases.models import Case
from accord.core.schedule import JOBS
from accord.publication.models import Note, Revision
from tests.browser import expect

ANALYST = "analyst@coordinator.example"
PUBLISHER = "publisher@coordinator.example"
GLOBEX = "security@globex.example"
INITECH = "psirt@initech.example"
# Verbatim means verbatim: a tab, leading spaces, 8-bit text and HTML-like text survive.
GLOBEX_STATEMENT = (
    "Globex statement\n\tGadget Hub 3 never shipped the CGI module.\n  <b>not bold</b> & Café\n"
)
INITECH_STATEMENT = "Initech statement:\n    firmware 3.1 removes the <script> runner.\n"


def embargoed_case() -> tuple[Case, str]:
    """A case under its default embargo: Globex accepted it and answered "not affected" with a
    statement; Initech was notified and never answered. Returns the case and the reporter's key."""
    analyst = User.objects.get(email=ANALYST)
    report, key = actions.submit_report(
        ReportInput(product="Gadget Hub", version="3", description="Command injection in the web UI."),
        by=None,
    )
    case = actions.accept_report(report, by=analyst)
    actions.update_case(case, by=analyst, title="Gadget Hub command injection")
    vendors = list(Organization.objects.filter(name__in=["Globex Software", "Initech Devices"]))
    participant_actions.notify_vendors(
        case, participant_actions.add_vendors(case, vendors, by=analyst), by=analyst
    )
    globex = case.participants.get(organization__name="Globex Software")
    gina = User.objects.get(email=GLOBEX)
    participant_actions.answer_embargo(globex, accept=True, by=gina)
    submit_answer(
        globex,
        AnswerInput(
            statuses=[StatusInput("1", "not_affected", justification="component_not_present")],
            statement=StatementInput(GLOBEX_STATEMENT.encode()),
            share=True,
        ),
        by=gina,
    )
    case.refresh_from_db()
    return case, key


def run_publish_job() -> None:
    """What the worker does with the job the scheduler enqueued (as tests/test_scheduler.py)."""
    (job,) = [j for j in JOBS if j.name == "publication.publish_due"]
    import_string(job.task).call()


def test_publication_journey(journey):  # type: ignore[no-untyped-def]
    case, _ = embargoed_case()
    ref = case.url_ref
    assert case.embargo_state in ("active", "revise") and case.embargo_ends_at is not None

    # a. The analyst writes the note (prefilled from the case) and requests a review.
    analyst = journey.new_page()
    journey.log_in(analyst, ANALYST)
    analyst.goto(journey.url(f"/cases/{ref}/note/"))
    expect(analyst.locator("#note-description")).to_contain_text("Command injection in the web UI.")
    analyst.fill("#note-overview", "A command injection in **Gadget Hub** lets anyone run commands.")
    analyst.fill("#note-solution", "Update to Gadget Hub 3.1.")
    analyst.fill("#note-summary", "overview and solution")
    analyst.click("#save-draft")
    expect(analyst.locator("#note-state")).to_contain_text("draft 2")
    analyst.click("#request-review")
    expect(analyst.locator("#review-state")).to_contain_text("open")
    journey.step(analyst, "a01-review-requested")

    # The publisher approves and schedules an exact instant an hour from now, in the embargo.
    publisher = journey.new_page()
    journey.log_in(publisher, PUBLISHER)
    publisher.goto(journey.url(f"/cases/{ref}/note/"))
    publisher.click("#approve")
    expect(publisher.locator("#review-state")).to_contain_text("approved")
    expect(publisher.locator("#gate")).to_contain_text("The embargo is in force until")
    zone = publisher.locator("#schedule-form input[name=zone]").get_attribute("value") or "UTC"
    at = (timezone.now() + dt.timedelta(hours=1)).astimezone(ZoneInfo(zone)).replace(second=0, microsecond=0)
    publisher.fill("#schedule-at", at.strftime("%Y-%m-%dT%H:%M"))
    publisher.click("#schedule")
    # The gate refuses without a reason, and says how to get through.
    expect(publisher.locator("#publish")).to_contain_text("to publish before, say why here")
    journey.step(publisher, "a02-gate-refuses")
    assert Note.objects.get(case=case).state != Note.State.SCHEDULED
    publisher.fill("#schedule-at", at.strftime("%Y-%m-%dT%H:%M"))
    publisher.get_by_label("Override reason", exact=False).fill("The vendor published its own advisory.")
    publisher.click("#schedule")
    expect(publisher.locator("#note-state")).to_contain_text("scheduled")
    journey.step(publisher, "a03-scheduled-with-override")

    # The clock passes the instant (for the server too: it runs in this process) and goes on
    # from there; the scheduler's job publishes.
    note = Note.objects.get(case=case)
    assert note.scheduled_for == at
    with time_machine.travel(at + dt.timedelta(seconds=30), tick=True):
        run_publish_job()
        note.refresh_from_db()
        assert note.state == Note.State.PUBLISHED
        publisher.goto(journey.url(f"/cases/{ref}/note/"))
        expect(publisher.locator("#revisions")).to_contain_text("First publication")
        journey.step(publisher, "a04-published")

        # An anonymous visitor finds it on /vuls/ and opens it.
        visitor = journey.new_page()
        visitor.goto(journey.url("/vuls/"))
        journey.step(visitor, "a05-public-list")
        visitor.locator("#notes").get_by_role("link", name="Gadget Hub command injection").click()
        expect(visitor.get_by_role("heading", level=1)).to_contain_text("Gadget Hub command injection")
        public_path = visitor.url.removeprefix(journey.base_url)
        table = visitor.locator("#vendor-table")
        expect(table.locator("tr", has_text="Initech Devices")).to_contain_text("No response")
        expect(table.locator("tr", has_text="Globex Software")).to_contain_text("Not affected")
        expect(table.locator("tr", has_text="Globex Software")).not_to_contain_text("No response")
        statement = visitor.locator("pre.statement").first
        assert statement.text_content() == GLOBEX_STATEMENT
        journey.step(visitor, "a06-public-note")

        # b. Initech answers late, with a statement, on its answer page.
        vendor = journey.new_page()
        journey.log_in(vendor, INITECH)
        vendor.goto(journey.url(f"/cases/{ref}/answer/"))
        journey.step(vendor, "b01-answer-page")
        vendor.locator("#answer-v1_status_1").check()  # Yes, it affects us
        vendor.get_by_label("Statement", exact=True).fill(INITECH_STATEMENT)
        # The snapshot publishes only statements marked shared (accord/publication/snapshot.py), even
        # after publication, when the box's words ("before publication") no longer seem to apply.
        vendor.get_by_label("Share my answers and statement", exact=False).check()
        vendor.get_by_role("button", name="Send the answer").click()
        expect(vendor.locator(".messages")).to_contain_text("Recorded")
        journey.step(vendor, "b02-answer-sent")

        # The publisher sees the pending revision and its diff, and publishes it.
        publisher.goto(journey.url(f"/cases/{ref}/note/"))
        pending = publisher.locator("#pending")
        expect(pending).to_contain_text("Late answer from Initech Devices")
        expect(pending.locator(".diff")).to_contain_text("Initech statement:")
        journey.step(publisher, "b03-pending-revision")
        publisher.click("#approve-pending")
        expect(publisher.locator("#revisions")).to_contain_text("Late answer from Initech Devices")
        journey.step(publisher, "b04-revision-2-published")
        assert Revision.objects.filter(note=note, state=Revision.State.PUBLISHED).count() == 2

        visitor.goto(journey.url(public_path))
        expect(visitor.locator("#history")).to_contain_text("Revision 2")
        texts = visitor.locator("pre.statement").all_text_contents()
        assert INITECH_STATEMENT in texts and GLOBEX_STATEMENT in texts
        journey.step(visitor, "b05-public-revision-2")
        visitor.get_by_role("link", name="Revision 1").click()
        expect(visitor.locator("main")).to_contain_text("This is revision 1, not the latest")
        texts = visitor.locator("pre.statement").all_text_contents()
        assert GLOBEX_STATEMENT in texts and INITECH_STATEMENT not in texts
        expect(visitor.locator("#vendor-table tr", has_text="Initech Devices")).to_contain_text("No response")
        journey.step(visitor, "b06-public-revision-1")

        # c. The publisher withdraws it with a reason: a tombstone for the public, the revisions for staff.
        publisher.goto(journey.url(f"/cases/{ref}/note/"))
        publisher.get_by_role("link", name="Withdraw…").click()
        journey.step(publisher, "c01-withdraw-form")
        publisher.get_by_label("Reason", exact=False).fill("Published for the wrong product line.")
        publisher.get_by_role("button", name="Withdraw", exact=False).click()
        expect(publisher.locator("#withdrawn")).to_contain_text("Published for the wrong product line.")
        journey.step(publisher, "c02-withdrawn")
        visitor.goto(journey.url(public_path))
        expect(visitor.locator("#tombstone")).to_contain_text("Published for the wrong product line.")
        expect(visitor.locator("main")).not_to_contain_text(INITECH_STATEMENT.strip())
        journey.step(visitor, "c03-tombstone")
        visitor.goto(journey.url(public_path + "revisions/1/"))
        expect(visitor.locator("main")).not_to_contain_text("Globex statement")
        publisher.goto(journey.url(public_path))
        publisher.locator("#tombstone ~ section").get_by_role("link", name="Revision 2").click()
        expect(publisher.locator("main")).to_contain_text("Initech statement:")
        expect(publisher.locator("#withdrawn-staff")).to_contain_text("the public sees only its tombstone")
        journey.step(publisher, "c04-staff-reads-revision-2")


def test_draft_sharing_journey(journey):  # type: ignore[no-untyped-def]
    case, key = embargoed_case()
    ref = case.url_ref

    # d. The analyst writes the draft and shares it now (the scheduler would before the target date).
    analyst = journey.new_page()
    journey.log_in(analyst, ANALYST)
    analyst.goto(journey.url(f"/cases/{ref}/note/"))
    analyst.fill("#note-overview", "A command injection in **Gadget Hub** lets anyone run commands.")
    analyst.click("#save-draft")
    analyst.get_by_role("button", name="Share the draft now").click()
    expect(analyst.locator("#note-state")).to_contain_text("shared with the vendors and the reporter")
    journey.step(analyst, "d01-shared")

    # The vendor that accepted the embargo reads it in its private thread and comments.
    vendor = journey.new_page()
    journey.log_in(vendor, GLOBEX)
    vendor.goto(journey.url(f"/cases/{ref}/messages/mine/"))
    expect(vendor.locator("main")).to_contain_text("lets anyone run commands")
    journey.step(vendor, "d02-vendor-reads-draft")
    vendor.get_by_role("textbox", name="Message", exact=True).fill("Please name our product line: Hub Pro.")
    vendor.get_by_role("button", name="Send").click()
    expect(vendor.locator("main")).to_contain_text("Please name our product line: Hub Pro.")
    journey.step(vendor, "d03-vendor-commented")

    # The reporter reads it on the follow page (their link) and comments.
    reporter = journey.new_page()
    reporter.goto(journey.url(f"/report/follow/{key}/"))
    expect(reporter.locator("main")).to_contain_text("lets anyone run commands")
    journey.step(reporter, "d04-reporter-reads-draft")
    reporter.get_by_role("textbox", name="Message", exact=True).fill("Please credit the test lab too.")
    reporter.get_by_role("button", name="Send").click()
    expect(reporter.locator("main")).to_contain_text("Please credit the test lab too.")
    journey.step(reporter, "d05-reporter-commented")

    # The analyst reads both comments on the case, from the Note tab's pointer to the threads.
    analyst.goto(journey.url(f"/cases/{ref}/note/"))
    analyst.click("#share-replies")
    journey.step(analyst, "d06-conversation")
    analyst.get_by_role("link", name="Private: Globex Software", exact=False).click()
    expect(analyst.locator("main")).to_contain_text("Please name our product line: Hub Pro.")
    journey.step(analyst, "d07-analyst-reads-vendor-comment")
    analyst.go_back()
    analyst.get_by_role("link", name="Private: Reporter").click()
    expect(analyst.locator("main")).to_contain_text("Please credit the test lab too.")
    journey.step(analyst, "d08-analyst-reads-reporter-comment")

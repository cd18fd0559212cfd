"""The Vulnerability Note: snapshot, draft, review, publication, the embargo gate, the scheduler,
late statements, corrections, withdrawal and draft sharing (process.md "Publication")."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accord.answers.actions import AnswerInput, StatementInput, StatusInput, submit_answer
from accord.cases import actions as case_actions
from accord.cases.models import Participant
from accord.cases.states import EM
from accord.conversation.models import Message
from accord.lib.errors import InvalidInput, RuleViolation
from accord.publication import actions
from accord.publication.models import Note, Review, Revision
from accord.publication.snapshot import build_snapshot
from accord.publication.snapshot_text import search_text
from accord.testing import World, make_world, start_embargo

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    w = make_world()
    start_embargo(w)
    assert w.case is not None
    case_actions.add_vulnerability(
        w.case, by=w.analyst, title="Heap overflow", description="In the parser.", cve="CVE-2026-1234"
    )
    # Vendors notified (the world's contact was made outside Accord).
    w.case.participants.filter(kind=Participant.Kind.VENDOR).update(first_contact_at=timezone.now())
    return w


def vendor(world: World, org: Any = None) -> Participant:
    assert world.case is not None
    return world.case.participants.get(organization=org or world.vendor_org)


def answer(world: World, text: bytes = b"We fixed it in 2.2.\n", *, org: Any = None, by: Any = None) -> None:
    submit_answer(
        vendor(world, org),
        AnswerInput(
            statuses=[StatusInput(vulnerability="1", status="fixed", fixed_version="2.2")],
            statement=StatementInput(text=text),
            share=True,
        ),
        by=by or world.vendor,
    )


def approved_note(world: World) -> Note:
    assert world.case is not None
    note = actions.note_for(world.case, by=world.analyst)
    actions.save_draft(note, {"overview": "A heap overflow."}, summary="first words", by=world.analyst)
    review = actions.request_review(note, by=world.analyst)
    actions.approve(review, by=world.publisher)
    note.refresh_from_db()
    return note


def end_embargo(world: World) -> None:
    assert world.case is not None
    case_actions.terminate_embargo(world.case, by=world.analyst, reason="fix shipped")
    world.case.refresh_from_db()


def kinds(world: World) -> list[str]:
    assert world.case is not None
    return list(world.case.events.filter(kind__startswith="note.").values_list("kind", flat=True))


# --- The draft ---------------------------------------------------------------------------------


def test_note_is_prefilled_from_the_case(world: World) -> None:
    assert world.case is not None and world.report is not None
    note = actions.note_for(world.case, by=world.analyst)
    assert note.draft_number == 1
    assert "Heap overflow" in note.description and "CVE-2026-1234" in note.description
    assert "Finder" in note.credit  # the reporter chose credit under their name
    assert actions.note_for(world.case, by=world.analyst).pk == note.pk
    assert kinds(world) == ["note.created"]


def test_no_credit_when_the_reporter_declined(world: World) -> None:
    assert world.case is not None and world.report is not None
    type(world.report).objects.filter(pk=world.report.pk).update(credit=False)
    assert actions.note_for(world.case, by=world.analyst).credit == ""


def test_save_draft_numbers_versions_and_refuses_non_analysts(world: World) -> None:
    assert world.case is not None
    note = actions.note_for(world.case, by=world.analyst)
    draft = actions.save_draft(note, {"impact": "Remote code execution."}, summary="impact", by=world.analyst)
    assert draft.number == 2 and draft.sections["impact"] == "Remote code execution."
    note.refresh_from_db()
    assert note.draft_number == 2 and note.impact == "Remote code execution."
    with pytest.raises(RuleViolation):
        actions.save_draft(note, {"impact": "x"}, by=world.vendor)
    with pytest.raises(InvalidInput):
        actions.save_draft(note, {"nonsense": "x"}, by=world.analyst)
    with pytest.raises(InvalidInput):
        actions.save_draft(note, {"impact": "Remote code execution."}, by=world.analyst)


# --- Review ------------------------------------------------------------------------------------


def test_review_comment_approve_and_changes(world: World) -> None:
    assert world.case is not None
    note = actions.note_for(world.case, by=world.analyst)
    review = actions.request_review(note, by=world.analyst)
    actions.comment_review(review, "Say which versions.", "overview", by=world.analyst)
    with pytest.raises(RuleViolation, match="publisher"):
        actions.approve(review, by=world.analyst)
    actions.request_changes(review, by=world.publisher, reason="versions")
    note.refresh_from_db()
    assert note.state == Note.State.DRAFT
    review2 = actions.request_review(note, by=world.analyst)
    actions.approve(review2, by=world.publisher)
    note.refresh_from_db()
    assert note.state == Note.State.APPROVED
    # A later draft needs a new approval.
    actions.save_draft(note, {"solution": "Update."}, by=world.analyst)
    note.refresh_from_db()
    assert note.state == Note.State.DRAFT and actions.approved_review(note) is None
    assert "note.review_comment" in kinds(world) and "note.changes_requested" in kinds(world)


# --- Publishing and the embargo gate -----------------------------------------------------------


def test_publishing_needs_an_approved_review(world: World) -> None:
    assert world.case is not None
    end_embargo(world)
    note = actions.note_for(world.case, by=world.analyst)
    with pytest.raises(RuleViolation, match="no approved review"):
        actions.publish_now(note, by=world.publisher)


def test_gate_refuses_during_the_embargo_and_a_publisher_overrides_with_a_reason(world: World) -> None:
    assert world.case is not None
    assert world.case.embargo_state == EM.ACTIVE
    note = approved_note(world)
    with pytest.raises(RuleViolation, match="embargo"):
        actions.publish_now(note, by=world.publisher)
    with pytest.raises(RuleViolation):
        actions.publish_now(note, by=world.analyst, override_reason="because")
    revision = actions.publish_now(note, by=world.publisher, override_reason="Exploited in the wild")
    assert revision.number == 1
    event = world.case.events.get(kind="note.published")
    assert event.data["override_reason"] == "Exploited in the wild"
    world.case.refresh_from_db()
    assert world.case.p_at is not None and world.case.embargo_state == EM.EXITED


def test_publish_now_makes_revision_one(world: World) -> None:
    assert world.case is not None
    answer(world)
    end_embargo(world)
    note = approved_note(world)
    revision = actions.publish_now(note, by=world.publisher, summary="Initial")
    note.refresh_from_db()
    assert note.state == Note.State.PUBLISHED and note.first_published_at == revision.published_at
    snap = revision.snapshot
    assert revision.number == 1 and snap["number"] == world.case.number and snap["case"] == world.case.label
    assert snap["sections"]["overview"] == "A heap overflow."
    assert "CVE-2026-1234" in [v["cve"] for v in snap["vulnerabilities"]]
    assert [t["what"] for t in snap["timeline"]][-1] == "publication"
    assert "first contact attempt" in [t["what"] for t in snap["timeline"]]
    assert "We fixed it" in revision.search_text
    # The case is public from then on, on the timeline the participants read.
    assert world.case.events.filter(kind="fact.set", data__fact="P").exists()
    with pytest.raises(RuleViolation):
        actions.publish_now(note, by=world.publisher)


def test_unanswered_vendor_is_unknown_per_vulnerability(world: World) -> None:
    assert world.case is not None
    note = actions.note_for(world.case, by=world.analyst)
    snap = build_snapshot(world.case, note, at=timezone.now())
    for v in snap["vendors"]:
        assert {s["status"] for s in v["statuses"]} == {"unknown"}
        assert len(v["statuses"]) == world.case.vulnerabilities.count()
        assert v["notified_at"] is not None


def test_anonymous_vendor_is_never_named_in_a_snapshot(world: World) -> None:
    assert world.case is not None
    answer(world, b"Vendor One says: fixed.\n")
    end_embargo(world)
    note = approved_note(world)
    revision = actions.publish_now(note, by=world.publisher)
    text = json.dumps(revision.snapshot) + revision.search_text
    assert "Vendor One" not in text.replace("Vendor One says", "")
    anon = [v for v in revision.snapshot["vendors"] if v["anonymous"]]
    assert anon and anon[0]["name"] == vendor(world).alias
    assert anon[0]["statement"]["fingerprint"] == ""
    assert "psirt@" not in text


def test_snapshot_is_deterministic(world: World) -> None:
    assert world.case is not None
    note = actions.note_for(world.case, by=world.analyst)
    at = timezone.now()
    assert build_snapshot(world.case, note, at=at) == build_snapshot(world.case, note, at=at)
    names = [v["name"] for v in build_snapshot(world.case, note, at=at)["vendors"]]
    assert names == sorted(names, key=str.casefold)


def _vendors(world: World, count: int) -> None:
    assert world.case is not None
    Participant.objects.bulk_create(
        [
            Participant(
                case=world.case,
                kind=Participant.Kind.VENDOR,
                alias=f"Bulk {i:04d}",
                anonymous=bool(i % 2),
                first_contact_at=timezone.now(),
            )
            for i in range(count)
        ]
    )


def test_build_snapshot_runs_in_constant_queries(world: World) -> None:
    assert world.case is not None
    note = actions.note_for(world.case, by=world.analyst)
    _vendors(world, 10)
    with CaptureQueriesContext(connection) as few:
        build_snapshot(world.case, note, at=timezone.now())
    _vendors_more = 290
    Participant.objects.bulk_create(
        [
            Participant(
                case=world.case,
                kind=Participant.Kind.VENDOR,
                alias=f"More {i:04d}",
                first_contact_at=timezone.now(),
            )
            for i in range(_vendors_more)
        ]
    )
    with CaptureQueriesContext(connection) as many:
        snap = build_snapshot(world.case, note, at=timezone.now())
    assert len(snap["vendors"]) >= 300
    assert len(many) == len(few)


# --- The scheduler -----------------------------------------------------------------------------


def test_scheduled_publication_happens_at_the_instant(world: World) -> None:
    assert world.case is not None
    end_embargo(world)
    note = approved_note(world)
    at = timezone.now() + dt.timedelta(hours=2)
    actions.schedule(note, at, by=world.publisher)
    note.refresh_from_db()
    assert note.state == Note.State.SCHEDULED
    with time_machine.travel(at - dt.timedelta(seconds=1), tick=False):
        assert actions.publish_due() == []
    with time_machine.travel(at, tick=False):
        assert actions.publish_due() == [note.pk]
    revision = Revision.objects.get(note=note)
    assert revision.published_at == at and revision.published_by is None
    event = world.case.events.get(kind="note.published")
    assert event.by_system


def test_schedule_refused_inside_the_embargo_without_override(world: World) -> None:
    assert world.case is not None
    note = approved_note(world)
    ends = world.case.embargo_ends_at
    assert ends is not None
    with pytest.raises(RuleViolation, match="embargo"):
        actions.schedule(note, ends - dt.timedelta(days=1), by=world.publisher)
    # At or after the end, the gate allows it: the embargo will have exited.
    actions.schedule(note, ends + dt.timedelta(minutes=1), by=world.publisher)
    actions.cancel_schedule(note, by=world.publisher)
    note.refresh_from_db()
    assert note.state == Note.State.APPROVED and note.scheduled_for is None


def test_scheduler_rechecks_the_gate_and_records_why(world: World) -> None:
    assert world.case is not None
    end_embargo(world)
    note = approved_note(world)
    at = timezone.now() + dt.timedelta(hours=1)
    actions.schedule(note, at, by=world.publisher)
    # Meanwhile an embargo is in force again (forced here: the machine allows no new one after X).
    type(world.case).objects.filter(pk=world.case.pk).update(
        embargo_state=EM.ACTIVE, embargo_ends_at=at + dt.timedelta(days=3)
    )
    with time_machine.travel(at + dt.timedelta(seconds=5), tick=False):
        assert actions.publish_due() == []
        assert actions.publish_due() == []
    note.refresh_from_db()
    assert note.state == Note.State.SCHEDULED
    assert world.case.events.filter(kind="note.schedule_refused").count() == 1


def test_scheduled_override_passes_the_gate(world: World) -> None:
    assert world.case is not None
    note = approved_note(world)
    at = timezone.now() + dt.timedelta(hours=1)
    actions.schedule(note, at, by=world.publisher, override_reason="Public exploit")
    with time_machine.travel(at, tick=False):
        assert actions.publish_due() == [note.pk]


# --- After publication -------------------------------------------------------------------------


def published(world: World) -> Note:
    end_embargo(world)
    note = approved_note(world)
    actions.publish_now(note, by=world.publisher)
    note.refresh_from_db()
    return note


def test_late_statement_waits_in_a_pending_revision_and_never_changes_revision_one(world: World) -> None:
    note = published(world)
    first = Revision.objects.get(note=note, number=1)
    before = json.dumps(first.snapshot, sort_keys=True)
    answer(world, b"Late words, verbatim.\r\n  indented\n")
    first.refresh_from_db()
    assert json.dumps(first.snapshot, sort_keys=True) == before
    pending = Revision.objects.get(note=note, state=Revision.State.PENDING)
    assert pending.number is None
    # A newer answer replaces the pending revision: only one waits.
    answer(world, b"Later words, verbatim.\n")
    assert Revision.objects.filter(note=note, state=Revision.State.PENDING).count() == 1
    assert Revision.objects.filter(note=note, state=Revision.State.DISCARDED).count() == 1
    pending = Revision.objects.get(note=note, state=Revision.State.PENDING)
    with pytest.raises(RuleViolation):
        actions.approve_pending(pending, by=world.analyst)
    revision = actions.approve_pending(pending, by=world.publisher)
    assert revision.number == 2 and revision.state == Revision.State.PUBLISHED
    texts = [v["statement"]["text"] for v in revision.snapshot["vendors"] if v["statement"]]
    assert "Later words, verbatim.\n" in texts
    assert revision.snapshot["sections"] == first.snapshot["sections"]


@override_settings(AUTO_PUBLISH_LATE_STATEMENTS=True)
def test_auto_publish_late_statements(world: World) -> None:
    note = published(world)
    answer(world)
    assert Revision.objects.get(note=note, number=2).state == Revision.State.PUBLISHED
    assert not Revision.objects.filter(note=note, state=Revision.State.PENDING).exists()


def test_correct_and_withdraw(world: World) -> None:
    note = published(world)
    actions.save_draft(note, {"solution": "Update to 2.2."}, by=world.analyst)
    with pytest.raises(InvalidInput):
        actions.correct(note, by=world.publisher, summary="")
    revision = actions.correct(note, by=world.publisher, summary="Solution added")
    assert revision.number == 2 and revision.snapshot["sections"]["solution"] == "Update to 2.2."
    with pytest.raises(InvalidInput):
        actions.withdraw(note, by=world.publisher, reason=" ")
    actions.withdraw(note, by=world.publisher, reason="Not a vulnerability after all")
    note.refresh_from_db()
    assert note.state == Note.State.WITHDRAWN and note.withdrawn_reason
    assert Revision.objects.filter(note=note, state=Revision.State.PUBLISHED).count() == 2
    assert {"note.corrected", "note.withdrawn"} <= set(kinds(world))


# --- Draft sharing -----------------------------------------------------------------------------


def test_draft_is_shared_at_the_right_instant(world: World) -> None:
    assert world.case is not None
    note = actions.note_for(world.case, by=world.analyst)
    target = world.case.target_publication_at
    assert target is not None
    share_at = target - dt.timedelta(days=10)
    with time_machine.travel(share_at - dt.timedelta(minutes=1), tick=False):
        assert actions.share_due_drafts() == []
    with time_machine.travel(share_at, tick=False):
        assert actions.share_due_drafts() == [note.pk]
        assert actions.share_due_drafts() == []
    note.refresh_from_db()
    assert note.shared_at is not None
    # The vendors that accepted the embargo and the reporter; not the invited vendor.
    threads = set(Message.objects.filter(by_system=True).values_list("thread__participant__kind", flat=True))
    assert threads == {"vendor", "reporter"}
    invited = vendor(world, world.invited_vendor_org)
    assert not Message.objects.filter(thread__participant=invited).exists()
    assert Message.objects.filter(thread__participant=vendor(world)).count() == 1
    # Their members and the reporter are told; the invited vendor's member is not.
    from accord.mailgate.models import OutboundMessage

    told = set(OutboundMessage.objects.values_list("to_email", flat=True))
    assert {"psirt@vendor-one.test", "psirt@vendor-three.test", "finder@research.test"} <= told
    assert "psirt@vendor-four.test" not in told
    mail = OutboundMessage.objects.get(to_email="psirt@vendor-one.test")
    assert "Heap overflow" not in mail.body_text  # the plaintext stays neutral


def test_quiet_cases_get_no_draft(world: World) -> None:
    assert world.case is not None
    actions.note_for(world.case, by=world.analyst)
    type(world.case).objects.filter(pk=world.case.pk).update(quiet=True)
    with time_machine.travel(timezone.now() + dt.timedelta(days=100), tick=False):
        assert actions.share_due_drafts() == []
    assert not Message.objects.filter(by_system=True).exists()
    from accord.mailgate.models import OutboundMessage

    assert not OutboundMessage.objects.filter(to_email="psirt@vendor-one.test").exists()


def test_search_text_flattens_words(world: World) -> None:
    assert world.case is not None
    note = actions.note_for(world.case, by=world.analyst)
    text = search_text(build_snapshot(world.case, note, at=timezone.now()))
    assert "CVE-2026-1234" in text and "Heap overflow" in text


def test_every_note_event_is_registered() -> None:
    from accord.cases.events import KINDS

    used = {
        "note.created",
        "note.saved",
        "note.review_requested",
        "note.review_comment",
        "note.approved",
        "note.changes_requested",
        "note.scheduled",
        "note.schedule_cancelled",
        "note.schedule_refused",
        "note.published",
        "note.pending",
        "note.pending_approved",
        "note.corrected",
        "note.withdrawn",
        "note.shared",
    }
    assert used <= set(KINDS)


# --- Pages and the API -------------------------------------------------------------------------


def test_note_tab_flow_through_the_pages(world: World) -> None:
    from django.test import Client

    from accord.testing import login

    assert world.case is not None
    end_embargo(world)
    ref = world.case.url_ref
    analyst = login(Client(), world.analyst)
    page = analyst.get(f"/cases/{ref}/note/")
    assert page.status_code == 200 and "Heap overflow" in page.content.decode()
    assert "Approve draft" not in page.content.decode()
    data = dict.fromkeys(("overview", "description", "impact", "solution", "workarounds"), "")
    data |= {"references": "", "credit": "", "overview": "<script>x</script> **bold**", "summary": "s"}
    assert analyst.post(f"/cases/{ref}/note/save/", data).status_code == 302
    preview = analyst.get(f"/cases/{ref}/note/preview/").content.decode()
    assert "<strong>bold</strong>" in preview and "<script>x" not in preview
    versions = analyst.get(f"/cases/{ref}/note/versions/?a=1&b=2").content.decode()
    assert "&lt;script&gt;" in versions and "<script>x" not in versions
    assert analyst.get(f"/cases/{ref}/note/versions/?a=x&b=2").status_code == 400
    analyst.post(f"/cases/{ref}/note/review/")
    review = Review.objects.get(note__case=world.case)
    publisher = login(Client(), world.publisher)
    assert "Approve draft" in publisher.get(f"/cases/{ref}/note/").content.decode()
    # An analyst's approval is refused by the action.
    analyst.post(f"/cases/{ref}/note/review/{review.pk}/approve/")
    review.refresh_from_db()
    assert review.state == "open"
    publisher.post(f"/cases/{ref}/note/review/{review.pk}/approve/")
    review.refresh_from_db()
    assert review.state == "approved"
    confirm_page = publisher.get(f"/cases/{ref}/note/publish/")
    assert confirm_page.status_code == 200 and "Publish now" in confirm_page.content.decode()
    publisher.post(f"/cases/{ref}/note/publish/", {"confirm": "yes", "reason": "Initial"})
    assert Revision.objects.get(note__case=world.case).number == 1
    publisher.post(f"/cases/{ref}/note/withdraw/", {"confirm": "yes", "reason": "Wrong case"})
    assert Note.objects.get(case=world.case).state == Note.State.WITHDRAWN
    # Vendors never reach the tab.
    assert login(Client(), world.vendor).get(f"/cases/{ref}/note/").status_code in (403, 404)


def test_publish_override_through_the_confirmation_page(world: World) -> None:
    from django.test import Client

    from accord.testing import login

    assert world.case is not None
    approved_note(world)
    ref = world.case.url_ref
    publisher = login(Client(), world.publisher)
    page = publisher.get(f"/cases/{ref}/note/publish/").content.decode()
    assert "Override the embargo" in page
    publisher.post(f"/cases/{ref}/note/publish/", {"confirm": "yes", "reason": ""})
    assert not Revision.objects.exists()
    publisher.post(f"/cases/{ref}/note/publish/", {"confirm": "yes", "reason": "Exploited"})
    assert Revision.objects.get().number == 1


def test_a_refused_schedule_keeps_the_form_and_says_why_beside_the_field(world: World) -> None:
    """The web form: inside the embargo without a reason, the page comes back (400) with the
    instant as typed and the refusal under the override field; a bad instant is a 400 too."""
    from django.test import Client

    from accord.testing import login

    assert world.case is not None and world.case.embargo_ends_at is not None
    approved_note(world)
    ref = world.case.url_ref
    publisher = login(Client(), world.publisher)
    at = (world.case.embargo_ends_at - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    page = publisher.post(f"/cases/{ref}/note/schedule/", {"zone": "UTC", "at": at, "override_reason": ""})
    html = page.content.decode()
    assert page.status_code == 400 and f'value="{at}"' in html
    assert "to publish before, say why here" in html
    assert Note.objects.get(case=world.case).state == Note.State.APPROVED
    bad = publisher.post(f"/cases/{ref}/note/schedule/", {"zone": "UTC", "at": "tomorrow"})
    assert bad.status_code == 400
    done = publisher.post(
        f"/cases/{ref}/note/schedule/", {"zone": "UTC", "at": at, "override_reason": "Exploited in the wild"}
    )
    assert done.status_code == 302
    assert Note.objects.get(case=world.case).state == Note.State.SCHEDULED


def test_the_api_drives_the_same_actions(world: World) -> None:
    from accord.testing import token_client

    assert world.case is not None
    end_embargo(world)
    ref = world.case.url_ref
    analyst = token_client(world.analyst)
    publisher = token_client(world.publisher)
    got = analyst.get(f"/api/v1/cases/{ref}/note").json()
    assert got["draft_number"] == 1 and got["state"] == "draft"
    put = analyst.put(
        f"/api/v1/cases/{ref}/note",
        {"overview": "API words", "summary": "api"},
        content_type="application/json",
    )
    assert put.status_code == 200 and put.json()["draft_number"] == 2
    assert (
        analyst.get(f"/api/v1/cases/{ref}/note/diff?a=1&b=2").json()["sections"][0]["section"] == "overview"
    )
    assert len(analyst.get(f"/api/v1/cases/{ref}/note/versions").json()["items"]) == 2
    review = analyst.post(f"/api/v1/cases/{ref}/note/reviews").json()
    refused = analyst.post(f"/api/v1/cases/{ref}/note/reviews/{review['id']}/approve")
    assert refused.status_code == 409 and "publisher" in refused.json()["detail"]
    assert publisher.post(f"/api/v1/cases/{ref}/note/reviews/{review['id']}/approve").status_code == 200
    at = (timezone.now() + dt.timedelta(days=1)).isoformat()
    sched = publisher.put(f"/api/v1/cases/{ref}/note/schedule", {"at": at}, content_type="application/json")
    assert sched.status_code == 200 and sched.json()["state"] == "scheduled"
    assert publisher.delete(f"/api/v1/cases/{ref}/note/schedule").json()["state"] == "approved"
    pub = publisher.post(
        f"/api/v1/cases/{ref}/note/publish", {"summary": "x"}, content_type="application/json"
    )
    assert pub.status_code == 200 and pub.json()["number"] == 1
    answer(world)
    pending = [
        r for r in analyst.get(f"/api/v1/cases/{ref}/note/revisions").json() if r["state"] == "pending"
    ]
    ok = publisher.post(f"/api/v1/cases/{ref}/note/revisions/{pending[0]['id']}/approve")
    assert ok.status_code == 200 and ok.json()["number"] == 2
    bad = publisher.post(
        f"/api/v1/cases/{ref}/note/withdraw", {"reason": ""}, content_type="application/json"
    )
    assert bad.status_code == 400
    assert token_client(world.vendor).get(f"/api/v1/cases/{ref}/note").status_code in (403, 404)


def test_sharing_the_draft_runs_in_constant_queries(world: World) -> None:
    assert world.case is not None
    note = actions.note_for(world.case, by=world.analyst)

    def accepted(count: int, prefix: str) -> None:
        Participant.objects.bulk_create(
            [
                Participant(
                    case=world.case,
                    kind=Participant.Kind.VENDOR,
                    alias=f"{prefix} {i:03d}",
                    embargo_answer=Participant.EmbargoAnswer.ACCEPTED,
                )
                for i in range(count)
            ]
        )

    actions.share_draft(note, by=world.analyst)  # the reporter's thread moves to the case once
    accepted(5, "Few")
    with CaptureQueriesContext(connection) as few:
        actions.share_draft(note, by=world.analyst)
    accepted(60, "Many")
    with CaptureQueriesContext(connection) as many:
        assert actions.share_draft(note, by=world.analyst) >= 65
    assert len(many) == len(few)


def test_signed_statements_name_the_key_only_of_named_vendors(world: World, tmp_path: Any) -> None:
    from accord.vendors import actions as vendor_actions
    from tests.pgp_keys import make_key

    anon_key = make_key(tmp_path / "one", "psirt@vendor-one.test")
    named_key = make_key(tmp_path / "three", "psirt@vendor-three.test")
    vendor_actions.upload_key(world.vendor_org, anon_key.public, by=world.analyst)
    vendor_actions.upload_key(world.co_vendor_org, named_key.public, by=world.analyst)
    answer(world, anon_key.clearsign(b"Fixed in 2.2.\n"))
    answer(world, named_key.clearsign(b"Not affected.\n"), org=world.co_vendor_org, by=world.co_vendor)
    note = published(world)
    snapshot = Revision.objects.get(note=note, number=1).snapshot
    text = json.dumps(snapshot)
    for secret in (anon_key.fingerprint, anon_key.fingerprint[-16:], "Vendor One", "vendor-one.test"):
        assert secret not in text
    assert "BEGIN PGP" not in text  # statements without their armour, for every reader
    named = next(v for v in snapshot["vendors"] if v["name"] == "Vendor Three")
    assert named["statement"]["signature_state"] == "verified"
    assert named["statement"]["fingerprint"] == named_key.fingerprint
    anon = next(v for v in snapshot["vendors"] if v["anonymous"])
    assert anon["statement"]["signature_state"] == "verified" and anon["statement"]["fingerprint"] == ""
    assert anon["statement"]["text"] == "Fixed in 2.2.\n"

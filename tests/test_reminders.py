"""Issue 9, item 6: reminders and unresponsive vendors (process.md "Disclosure policy").

With a frozen clock: each automatic reminder goes exactly at its instant (not a second before),
once, and never for a muted case, a muted vendor, a quiet case, a declined or an unnotified
vendor, nor after the target date. The unresponsive mark at its edges (13 against 14 days,
the target passed or not, 6 weeks), the final reminder through the action, the API and the
confirmation page, the mails' neutrality, the scheduler's job, and the Vendors tab's cost.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.module_loading import import_string

from accord.accounts.models import Organization
from accord.answers.actions import AnswerInput, StatementInput, StatusInput, submit_answer
from accord.cases import actions, reminders
from accord.cases.actions import participants as participant_actions
from accord.cases.actions import reminders as reminder_actions
from accord.cases.actions.reports import ReportInput
from accord.cases.models import Case, CaseEvent, Participant
from accord.cases.reminders import DEADLINE, UNOPENED
from accord.cases.states import RM
from accord.core.schedule import JOBS, tick
from accord.lib.errors import InvalidInput, RuleViolation
from accord.mailgate.models import OutboundMessage
from accord.testing import World, login, token_client
from accord.vendors import actions as vendor_actions
from accord.vendors.models import Contact

pytestmark = pytest.mark.django_db

SECOND = dt.timedelta(seconds=1)
DAY = dt.timedelta(days=1)
EMAILS = {
    "vendor_org": "psirt@vendor-one.test",
    "co_vendor_org": "psirt@vendor-three.test",
    "invited_vendor_org": "psirt@vendor-four.test",
}
# Case text that no reminder may carry.
SECRETS = (
    "Widget Server",
    "Heap overflow",
    "Sprocket firmware lets anyone in",
    "SECRET-SUMMARY",
    "SECRET-VENDOR-SUMMARY",
    "SECRET-NOTE",
    "SECRET-VULNERABILITY",
    "Vendor One",  # the anonymous vendor's name
)


@dataclass
class Scene:
    world: World
    case: Case
    t0: dt.datetime  # the notification: the case's first contact
    anon: Participant  # Vendor One, anonymous
    co: Participant  # Vendor Three
    invited: Participant  # Vendor Four
    clock: Any

    @property
    def target(self) -> dt.datetime:
        self.case.refresh_from_db()
        assert self.case.target_publication_at is not None
        return self.case.target_publication_at

    def at(self, when: dt.datetime) -> dt.datetime:
        self.clock.move_to(when, tick=False)
        return when

    def fresh(self, participant: Participant) -> Participant:
        return reminders.annotated(participant)


@pytest.fixture
def scene(world: World, time_machine: Any) -> Scene:
    """The world's three vendors, each with a "to" contact, notified at t0 (45 days to the target)."""
    assert world.case is not None
    t0 = (timezone.now() + DAY).replace(microsecond=0)
    time_machine.move_to(t0, tick=False)
    for org_field, email in EMAILS.items():
        vendor_actions.add_contact(getattr(world, org_field), email, role="to", by=world.analyst)
    case = world.case
    actions.update_case(
        case, by=world.analyst, title="Sprocket firmware lets anyone in", summary="SECRET-SUMMARY"
    )
    participant_actions.update_vendor_texts(
        case, vendor_summary="SECRET-VENDOR-SUMMARY", notification_text="SECRET-NOTE", by=world.analyst
    )
    actions.add_vulnerability(case, by=world.analyst, title="SECRET-VULNERABILITY")
    vendors = list(case.participants.filter(kind=Participant.Kind.VENDOR).order_by("id"))
    participant_actions.notify_vendors(case, vendors, by=world.analyst)
    case.refresh_from_db()
    assert case.first_contact_at == t0 and case.target_publication_at == t0 + 45 * DAY

    def get(org: Organization) -> Participant:
        return case.participants.get(organization=org)

    return Scene(
        world,
        case,
        t0,
        get(world.vendor_org),
        get(world.co_vendor_org),
        get(world.invited_vendor_org),
        time_machine,
    )


def reminder_mails(to: str | None = None) -> list[OutboundMessage]:
    mails = OutboundMessage.objects.filter(subject__contains="eminder").order_by("id")
    return list(mails.filter(to_email=to) if to else mails)


def join(scene: Scene) -> None:
    """Vendor One accepts the embargo (a response)."""
    participant_actions.answer_embargo(scene.anon, accept=True, by=scene.world.vendor)


# --- The automatic reminders -----------------------------------------------------------------------


def test_the_unopened_reminder_goes_seven_days_after_the_notification_and_only_once(scene: Scene) -> None:
    scene.at(scene.t0 + DAY)
    participant_actions.mark_seen(scene.co, by=scene.world.co_vendor)  # Vendor Three opened the case

    scene.at(scene.t0 + 7 * DAY - SECOND)
    assert reminder_actions.send_due_reminders()[UNOPENED] == 0
    assert reminder_mails() == []

    now = scene.at(scene.t0 + 7 * DAY)
    assert reminder_actions.send_due_reminders() == {UNOPENED: 2, DEADLINE: 0}
    assert sorted(m.to_email for m in reminder_mails()) == ["psirt@vendor-four.test", "psirt@vendor-one.test"]
    for participant in (scene.anon, scene.invited):
        participant.refresh_from_db()
        assert participant.reminded_unopened_at == now
    scene.co.refresh_from_db()
    assert scene.co.reminded_unopened_at is None
    event = CaseEvent.objects.get(kind="vendors.reminded")
    assert event.by_system and event.actor is None and event.case == scene.case
    assert event.data["reminder"] == UNOPENED and event.data["count"] == 2
    assert sorted(event.data["participants"]) == sorted([scene.anon.pk, scene.invited.pk])

    # Never twice: a second later, a week later.
    for later in (now + SECOND, now + 7 * DAY):
        scene.at(later)
        assert reminder_actions.send_due_reminders()[UNOPENED] == 0
    assert len(reminder_mails()) == 2
    assert CaseEvent.objects.filter(kind="vendors.reminded").count() == 1


def test_the_deadline_reminder_goes_six_days_before_the_target_to_vendors_without_a_statement(
    scene: Scene,
) -> None:
    scene.at(scene.t0 + 2 * DAY)
    join(scene)
    submit_answer(
        scene.anon, AnswerInput(statement=StatementInput(b"We are on it.\n")), by=scene.world.vendor
    )
    deadline = scene.target - 6 * DAY

    scene.at(deadline - SECOND)
    assert reminder_actions.send_due_reminders()[DEADLINE] == 0
    scene.at(deadline)
    assert reminder_actions.send_due_reminders()[DEADLINE] == 2  # Vendors Three and Four
    deadline_mails = [m for m in reminder_mails() if "target publication date is near" in m.subject]
    assert sorted(m.to_email for m in deadline_mails) == ["psirt@vendor-four.test", "psirt@vendor-three.test"]
    scene.anon.refresh_from_db()
    assert scene.anon.reminded_deadline_at is None
    assert all(scene.target.strftime("%Y-%m-%d %H:%M UTC") in m.body_text for m in deadline_mails)

    scene.at(deadline + SECOND)
    assert reminder_actions.send_due_reminders()[DEADLINE] == 0
    kinds = CaseEvent.objects.filter(kind="vendors.reminded").values_list("data", flat=True)
    assert sorted(data["reminder"] for data in kinds) == [DEADLINE, UNOPENED]


def test_no_automatic_reminder_once_the_target_date_has_come(scene: Scene) -> None:
    scene.at(scene.target)
    assert reminder_actions.send_due_reminders() == {UNOPENED: 0, DEADLINE: 0}
    scene.at(scene.target + 30 * DAY)
    assert reminder_actions.send_due_reminders() == {UNOPENED: 0, DEADLINE: 0}
    assert reminder_mails() == []


def test_a_muted_case_gets_none_and_resuming_sends_what_is_still_due(scene: Scene) -> None:
    analyst = scene.world.analyst
    reminder_actions.mute_case_reminders(scene.case, True, by=analyst)
    reminder_actions.mute_case_reminders(scene.case, True, by=analyst)  # no change: no second event
    assert CaseEvent.objects.filter(kind="case.reminders").count() == 1
    scene.at(scene.t0 + 8 * DAY)
    assert reminder_actions.send_due_reminders() == {UNOPENED: 0, DEADLINE: 0}
    scene.at(scene.target - 6 * DAY)
    assert reminder_actions.send_due_reminders() == {UNOPENED: 0, DEADLINE: 0}
    assert reminder_mails() == []
    reminder_actions.mute_case_reminders(scene.case, False, by=analyst)
    assert reminder_actions.send_due_reminders() == {UNOPENED: 3, DEADLINE: 3}
    events = CaseEvent.objects.filter(kind="case.reminders").order_by("id")
    assert [e.data["muted"] for e in events] == [True, False]


def test_a_muted_vendor_gets_none_while_the_others_do(scene: Scene) -> None:
    reminder_actions.mute_vendor_reminders(scene.co, True, by=scene.world.analyst)
    scene.at(scene.t0 + 7 * DAY)
    assert reminder_actions.send_due_reminders()[UNOPENED] == 2
    assert reminder_mails("psirt@vendor-three.test") == []
    event = CaseEvent.objects.get(kind="participant.reminders")
    assert event.participant == scene.co and event.data == {"muted": True}
    with pytest.raises(RuleViolation) as refused:
        reminder_actions.mute_vendor_reminders(scene.co, False, by=scene.world.co_vendor)
    assert refused.value.rule == "analyst-only"


def test_a_quiet_case_gets_no_reminder(scene: Scene) -> None:
    # Imported or historical cases are quiet; an import sets the flag (there is no action for it yet).
    Case.objects.filter(pk=scene.case.pk).update(quiet=True)
    for when in (scene.t0 + 7 * DAY, scene.target - 6 * DAY):
        scene.at(when)
        assert reminder_actions.send_due_reminders() == {UNOPENED: 0, DEADLINE: 0}
    assert reminder_mails() == []


def test_declined_and_unnotified_vendors_get_no_reminder(scene: Scene) -> None:
    world = scene.world
    participant_actions.answer_embargo(scene.invited, accept=False, by=world.invited_vendor)
    late = Organization.objects.create(name="Late Corp", kind="vendor")
    vendor_actions.add_contact(late, "psirt@late.test", role="to", by=world.analyst)
    participant_actions.add_vendors(scene.case, [late], by=world.analyst)  # added, never notified
    for when in (scene.t0 + 7 * DAY, scene.target - 6 * DAY):
        scene.at(when)
        reminder_actions.send_due_reminders()
    reached = {m.to_email for m in reminder_mails()}
    assert reached == {"psirt@vendor-one.test", "psirt@vendor-three.test"}


def test_a_vendor_without_a_contact_is_skipped_until_it_has_one(scene: Scene) -> None:
    analyst = scene.world.analyst
    contact = Contact.objects.get(email="psirt@vendor-three.test")
    vendor_actions.remove_contact(contact, by=analyst, reason="bounces")
    scene.at(scene.t0 + 7 * DAY)
    assert reminder_actions.send_due_reminders()[UNOPENED] == 2
    scene.co.refresh_from_db()
    assert scene.co.reminded_unopened_at is None  # not reached: not marked
    vendor_actions.add_contact(scene.world.co_vendor_org, "new@vendor-three.test", role="to", by=analyst)
    later = scene.at(scene.t0 + 7 * DAY + 15 * 60 * SECOND)
    assert reminder_actions.send_due_reminders()[UNOPENED] == 1
    scene.co.refresh_from_db()
    assert scene.co.reminded_unopened_at == later
    assert [m.to_email for m in reminder_mails("new@vendor-three.test")] == ["new@vendor-three.test"]


def test_reminder_mails_are_neutral_and_each_goes_to_one_organisation(scene: Scene) -> None:
    vendor_actions.add_contact(
        scene.world.vendor_org, "cc@vendor-one.test", role="cc", by=scene.world.analyst
    )
    scene.at(scene.target - 6 * DAY)
    reminder_actions.send_due_reminders()
    mails = reminder_mails()
    assert len(mails) == 6  # 2 reminders to each of 3 organisations, all its contacts on one mail
    one = [m for m in mails if m.to_email == "psirt@vendor-one.test"]
    assert len(one) == 2 and all(m.also_to == ["cc@vendor-one.test"] for m in one)
    assert all(m.organization_id is not None and m.case_id == scene.case.pk for m in mails)
    link = f"/cases/{scene.case.url_ref}/"
    for mail in mails:
        text = f"{mail.subject}\n{mail.body_text}"
        assert mail.subject.startswith(f"[{scene.case.label}] ")
        assert link in mail.body_text and "/policy/" in mail.body_text
        assert "," not in mail.to_email and ";" not in mail.to_email
        leaked = [secret for secret in SECRETS if secret in text]
        assert not leaked, f"{mail.subject!r} to {mail.to_email} carries {leaked}"


def test_the_scheduler_enqueues_the_reminders_every_quarter_hour(
    scene: Scene, django_capture_on_commit_callbacks: Any
) -> None:
    job = next(job for job in JOBS if job.name == "cases.send_reminders")
    assert job.every == dt.timedelta(minutes=15)
    task = import_string(job.task)
    now = scene.at(scene.t0 + 7 * DAY)
    enqueued: list[Any] = []
    with django_capture_on_commit_callbacks(execute=True):
        assert job.name in tick(now=now, enqueue=enqueued.append)
        assert job.name not in tick(now=now + job.every - SECOND, enqueue=enqueued.append)
    assert enqueued.count(task) == 1
    # The task itself (run at once by the tests' task backend) sends what is due.
    with django_capture_on_commit_callbacks(execute=True):
        task.enqueue()
    assert len(reminder_mails()) == 3


# --- Unresponsive ----------------------------------------------------------------------------------


def unresponsive(scene: Scene, participant: Participant) -> bool:
    return bool(scene.fresh(participant).unresponsive)  # type: ignore[attr-defined]


def test_a_vendor_that_never_responds_is_unresponsive_six_weeks_after_its_notification(scene: Scene) -> None:
    # The target (45 days) has not passed at 6 weeks (42 days): only the long silence counts.
    for when, expected in (
        (scene.t0 + 14 * DAY, False),
        (scene.t0 + 42 * DAY - SECOND, False),
        (scene.t0 + 42 * DAY, True),
    ):
        scene.at(when)
        assert unresponsive(scene, scene.co) is expected, when - scene.t0
    assert scene.fresh(scene.co).last_response_at is None  # type: ignore[attr-defined]


def test_once_the_target_has_passed_14_days_of_silence_make_a_vendor_unresponsive(scene: Scene) -> None:
    scene.at(scene.t0 + 35 * DAY)
    join(scene)
    target = scene.target
    scene.at(target - SECOND)
    assert not unresponsive(scene, scene.anon)
    scene.at(target)
    assert not unresponsive(scene, scene.anon)  # silent for 10 days only
    scene.at(scene.t0 + 49 * DAY - SECOND)
    assert not unresponsive(scene, scene.anon)  # 13 days, 23:59:59
    scene.at(scene.t0 + 49 * DAY)
    assert unresponsive(scene, scene.anon)  # 14 days
    assert scene.fresh(scene.anon).last_response_at == scene.t0 + 35 * DAY  # type: ignore[attr-defined]


def test_a_vendor_silent_long_enough_becomes_unresponsive_at_the_target_date(scene: Scene) -> None:
    scene.at(scene.t0 + 20 * DAY)
    join(scene)
    scene.at(scene.target - SECOND)
    assert not unresponsive(scene, scene.anon)  # 25 days, before the target, under 6 weeks
    scene.at(scene.target)
    assert unresponsive(scene, scene.anon)


def test_six_weeks_of_silence_count_before_a_later_target(scene: Scene) -> None:
    world = scene.world
    scene.at(scene.t0 + 10 * DAY)
    join(scene)
    actions.propose_embargo(scene.case, scene.t0 + 120 * DAY, by=world.analyst, reason="a hard fix")
    actions.accept_embargo(scene.case, by=world.analyst)
    assert scene.target == scene.t0 + 120 * DAY
    scene.at(scene.t0 + 52 * DAY - SECOND)
    assert not unresponsive(scene, scene.anon)
    scene.at(scene.t0 + 52 * DAY)
    assert unresponsive(scene, scene.anon)


def test_opening_the_case_is_no_response(scene: Scene) -> None:
    scene.at(scene.t0 + 40 * DAY)
    participant_actions.mark_seen(scene.co, by=scene.world.co_vendor)
    scene.at(scene.t0 + 42 * DAY)
    assert unresponsive(scene, scene.co)


RESPONSES = {
    "statuses": lambda s: submit_answer(
        s.co, AnswerInput(statuses=[StatusInput("1", "affected")]), by=s.world.co_vendor
    ),
    "a statement recorded on its behalf": lambda s: submit_answer(
        s.co, AnswerInput(statement=StatementInput(b"Told us by phone.\n")), by=s.world.analyst
    ),
    "a request for information": lambda s: submit_answer(
        s.co, AnswerInput(need_more_information="Which build?"), by=s.world.co_vendor
    ),
    "fix ready": lambda s: actions.set_vendor_fact(s.co, "F", by=s.world.co_vendor),
    "a tracking id": lambda s: participant_actions.set_tracking_id(s.co, "PSIRT-9", by=s.world.co_vendor),
}


@pytest.mark.parametrize("response", RESPONSES)
def test_each_kind_of_response_counts(scene: Scene, response: str) -> None:
    scene.at(scene.t0 + DAY)
    participant_actions.answer_embargo(scene.co, accept=True, by=scene.world.co_vendor)
    when = scene.at(scene.t0 + 35 * DAY)
    RESPONSES[response](scene)
    assert scene.fresh(scene.co).last_response_at == when  # type: ignore[attr-defined]
    scene.at(scene.target)
    assert not unresponsive(scene, scene.co)  # the target has passed, but only 10 days of silence
    scene.at(when + 14 * DAY - SECOND)
    assert not unresponsive(scene, scene.co)
    scene.at(when + 14 * DAY)
    assert unresponsive(scene, scene.co)


def test_declined_quiet_and_unnotified_vendors_are_never_unresponsive(scene: Scene) -> None:
    world = scene.world
    participant_actions.answer_embargo(scene.invited, accept=False, by=world.invited_vendor)
    late = participant_actions.add_vendors(
        scene.case, [Organization.objects.create(name="Late Corp", kind="vendor")], by=world.analyst
    )[0]
    scene.at(scene.t0 + 100 * DAY)
    assert not unresponsive(scene, scene.invited) and not unresponsive(scene, late)
    assert unresponsive(scene, scene.co)
    Case.objects.filter(pk=scene.case.pk).update(quiet=True)
    assert not unresponsive(scene, scene.co)


def test_a_closed_vendor_is_not_unresponsive(scene: Scene) -> None:
    Participant.objects.filter(pk=scene.co.pk).update(rm_state=RM.CLOSED)  # closed after publication
    scene.at(scene.t0 + 100 * DAY)
    assert not unresponsive(scene, scene.co)


# --- The final reminder: the action ------------------------------------------------------------------


def test_the_final_reminder_goes_only_to_an_unresponsive_vendor_with_a_reason(scene: Scene) -> None:
    analyst = scene.world.analyst
    scene.at(scene.t0 + 20 * DAY)
    with pytest.raises(RuleViolation) as early:
        reminder_actions.send_final_reminder(scene.co, by=analyst, reason="silent")
    assert early.value.rule == "final-reminder-unresponsive"
    now = scene.at(scene.target)
    with pytest.raises(InvalidInput) as blank:
        reminder_actions.send_final_reminder(scene.co, by=analyst, reason="  ")
    assert blank.value.field == "reason"
    with pytest.raises(RuleViolation) as vendor:
        reminder_actions.send_final_reminder(scene.co, by=scene.world.vendor, reason="x")
    assert vendor.value.rule == "analyst-only"
    assert OutboundMessage.objects.filter(subject__contains="Final reminder").count() == 0

    reminder_actions.send_final_reminder(scene.co, by=analyst, reason="No word since the notification.")
    mails = list(OutboundMessage.objects.filter(subject=f"[{scene.case.label}] Final reminder"))
    assert [m.to_email for m in mails] == ["psirt@vendor-three.test"]
    assert not [s for s in SECRETS if s in mails[0].body_text]
    scene.co.refresh_from_db()
    assert scene.co.final_reminder_at == now
    event = CaseEvent.objects.get(kind="participant.final_reminder")
    assert event.participant == scene.co and event.actor == analyst
    assert event.data["reason"] == "No word since the notification."
    assert event.data["silent_since"] == scene.t0.strftime("%Y-%m-%dT%H:%M:%SZ")

    # Once, until the vendor responds; after a new silence of 14 days, again.
    scene.at(now + DAY)
    with pytest.raises(RuleViolation) as twice:
        reminder_actions.send_final_reminder(scene.co, by=analyst, reason="again")
    assert twice.value.rule == "final-reminder-once"
    participant_actions.answer_embargo(scene.co, accept=True, by=scene.world.co_vendor)
    scene.at(now + 15 * DAY - SECOND)
    with pytest.raises(RuleViolation):
        reminder_actions.send_final_reminder(scene.co, by=analyst, reason="again")
    scene.at(now + 15 * DAY)
    reminder_actions.send_final_reminder(scene.co, by=analyst, reason="Silent again.")
    assert CaseEvent.objects.filter(kind="participant.final_reminder").count() == 2


def test_muting_stops_automatic_reminders_but_not_the_final_one(scene: Scene) -> None:
    analyst = scene.world.analyst
    reminder_actions.mute_case_reminders(scene.case, True, by=analyst)
    reminder_actions.mute_vendor_reminders(scene.co, True, by=analyst)
    scene.at(scene.target)
    assert unresponsive(scene, scene.co)
    reminder_actions.send_final_reminder(scene.co, by=analyst, reason="Muted, but we must ask once more.")
    assert OutboundMessage.objects.filter(subject__contains="Final reminder").count() == 1


def test_no_final_reminder_in_a_quiet_case_or_to_a_vendor_without_a_contact(scene: Scene) -> None:
    analyst = scene.world.analyst
    scene.at(scene.target)
    contact = Contact.objects.get(email="psirt@vendor-three.test")
    vendor_actions.remove_contact(contact, by=analyst, reason="left the company")
    with pytest.raises(RuleViolation) as nobody:
        reminder_actions.send_final_reminder(scene.co, by=analyst, reason="x")
    assert nobody.value.rule == "final-reminder-contact"
    Case.objects.filter(pk=scene.case.pk).update(quiet=True)
    with pytest.raises(RuleViolation) as quiet:
        reminder_actions.send_final_reminder(scene.anon, by=analyst, reason="x")
    assert quiet.value.rule == "reminders-quiet-case"
    assert not CaseEvent.objects.filter(kind="participant.final_reminder").exists()


# --- The API ----------------------------------------------------------------------------------------


def send(client: Client, method: str, url: str, body: Any) -> Any:
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")


def test_the_api_marks_unresponsive_vendors_for_the_coordinator_only(scene: Scene) -> None:
    scene.at(scene.t0 + DAY)
    join(scene)
    scene.at(scene.target)  # Vendors Three and Four never responded; Vendor One did 44 days ago
    base = f"/api/v1/cases/{scene.case.url_ref}/participants"
    items = {i["id"]: i for i in token_client(scene.world.analyst).get(base).json()["items"]}
    assert items[scene.co.pk]["unresponsive"] is True and items[scene.anon.pk]["unresponsive"] is True
    mine = items[scene.anon.pk]["reminders"]
    assert mine["last_response_at"] == (scene.t0 + DAY).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert mine["muted"] is False and mine["final_offered"] is True and mine["final_sent_at"] is None
    coordinator = next(i for i in items.values() if i["kind"] == "coordinator")
    assert coordinator["unresponsive"] is None and coordinator["reminders"] is None
    analyst = token_client(scene.world.analyst)
    listed = analyst.get(base, {"unresponsive": "true"}).json()["items"]
    assert {i["id"] for i in listed} == {scene.anon.pk, scene.co.pk, scene.invited.pk}
    # Another participant learns nothing of it, and its filter is ignored.
    co = token_client(scene.world.co_vendor)
    participant_actions.answer_embargo(scene.co, accept=True, by=scene.world.co_vendor)
    seen = co.get(base).json()["items"]
    assert all(i["unresponsive"] is None and i["reminders"] is None for i in seen)
    assert co.get(base, {"unresponsive": "true"}).json() == co.get(base).json()
    case = token_client(scene.world.analyst).get(f"/api/v1/cases/{scene.case.url_ref}").json()
    assert {p["id"]: p["unresponsive"] for p in case["participants"]}[scene.invited.pk] is True


def test_the_api_mutes_reminders_per_case_and_per_vendor(scene: Scene) -> None:
    analyst = token_client(scene.world.analyst)
    url = f"/api/v1/cases/{scene.case.url_ref}/reminders"
    assert analyst.get(url).json() == {
        "case": scene.case.label,
        "muted": False,
        "quiet": False,
        "active": True,
    }
    answer = send(analyst, "put", url, {"muted": True})
    assert answer.status_code == 200 and answer.json()["muted"] is True and answer.json()["active"] is False
    scene.case.refresh_from_db()
    assert scene.case.reminders_muted
    assert send(analyst, "put", url, {"muted": "maybe"}).status_code == 400
    assert send(analyst, "put", url, {"muted": True, "extra": 1}).status_code == 400
    vendor = token_client(scene.world.vendor)
    assert vendor.get(url).status_code == 403
    assert send(vendor, "put", url, {"muted": False}).status_code == 403

    one = f"/api/v1/cases/{scene.case.url_ref}/participants/{scene.co.pk}/reminders"
    answer = send(analyst, "put", one, {"muted": True})
    assert answer.status_code == 200 and answer.json()["reminders"]["muted"] is True
    coordinator = scene.case.participants.get(kind=Participant.Kind.COORDINATOR)
    for missing in (coordinator.pk, 999999):
        url = f"/api/v1/cases/{scene.case.url_ref}/participants/{missing}/reminders"
        assert send(analyst, "put", url, {"muted": True}).status_code == 404
    assert send(vendor, "put", one, {"muted": False}).status_code == 403


def test_the_api_sends_the_final_reminder(scene: Scene) -> None:
    world = scene.world
    analyst = token_client(world.analyst)
    url = f"/api/v1/cases/{scene.case.url_ref}/participants/{scene.co.pk}/final-reminder"
    scene.at(scene.t0 + 20 * DAY)
    early = send(analyst, "post", url, {"reason": "silent"})
    assert early.status_code == 409 and "final-reminder-unresponsive" in early.json()["detail"]
    scene.at(scene.target)
    assert send(analyst, "post", url, {}).status_code == 400
    assert send(analyst, "post", url, {"reason": ""}).status_code == 400
    assert send(token_client(world.vendor), "post", url, {"reason": "x"}).status_code == 403
    done = send(analyst, "post", url, {"reason": "Nothing heard."})
    assert done.status_code == 200, done.content
    body = done.json()
    assert body["id"] == scene.co.pk and body["unresponsive"] is True
    assert body["reminders"]["final_sent_at"] == scene.target.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert body["reminders"]["final_offered"] is False
    again = send(analyst, "post", url, {"reason": "Nothing heard."})
    assert again.status_code == 409 and "final-reminder-once" in again.json()["detail"]
    # A vendor of another case, a non-vendor and a missing id: 404 alike.
    report, _ = actions.submit_report(ReportInput(product="P", version="1", description="d"), by=None)
    other = actions.accept_report(report, by=world.analyst)
    elsewhere = participant_actions.add_vendors(other, [world.other_vendor_org], by=world.analyst)[0]
    coordinator = scene.case.participants.get(kind=Participant.Kind.COORDINATOR)
    for pk in (elsewhere.pk, coordinator.pk, 999999):
        missing = f"/api/v1/cases/{scene.case.url_ref}/participants/{pk}/final-reminder"
        assert send(analyst, "post", missing, {"reason": "x"}).status_code == 404
    assert OutboundMessage.objects.filter(subject__contains="Final reminder").count() == 1


# --- The pages ----------------------------------------------------------------------------------------


def page(client: Client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.content.decode()[:300]
    return response.content.decode()


def test_the_vendors_tab_marks_unresponsive_vendors_and_offers_the_final_reminder(scene: Scene) -> None:
    scene.at(scene.t0 + DAY)
    join(scene)
    participant_actions.mark_seen(scene.anon, by=scene.world.vendor)
    scene.at(scene.t0 + 42 * DAY)  # Vendors Three and Four: 6 weeks without a response
    analyst = login(Client(), scene.world.analyst)
    tab = f"/cases/{scene.case.url_ref}/vendors/"
    html = page(analyst, tab)
    assert '<a class="badge warning" href="?unresponsive=yes#list">2 unresponsive</a>' in html
    final = f"/cases/{scene.case.url_ref}/vendors/{{}}/final-reminder/"
    assert final.format(scene.co.pk) in html and final.format(scene.invited.pk) in html
    assert final.format(scene.anon.pk) not in html
    filtered = page(analyst, tab + "?unresponsive=yes")
    assert "Vendor Three" in filtered and "Vendor Four" in filtered
    assert "Vendor One" not in filtered.split('id="vendor-table"')[1].split("</table>")[0]
    overview = page(analyst, f"/cases/{scene.case.url_ref}/")
    assert "?unresponsive=yes#list" in overview
    # The vendor's own page says so too, with the final reminder.
    detail = page(analyst, f"/cases/{scene.case.url_ref}/vendors/{scene.co.pk}/")
    assert 'id="unresponsive"' in detail and final.format(scene.co.pk) in detail
    # Participants see no mark, and their ?unresponsive= changes nothing.
    co = login(Client(), scene.world.co_vendor)
    participant_actions.answer_embargo(scene.co, accept=True, by=scene.world.co_vendor)
    theirs = page(co, tab)
    assert "unresponsive" not in theirs.lower() and "final-reminder" not in theirs
    assert page(co, tab + "?unresponsive=yes").count("<tr") == theirs.count("<tr")


def test_the_final_reminder_confirmation_page(scene: Scene) -> None:
    url = f"/cases/{scene.case.url_ref}/vendors/{scene.co.pk}/final-reminder/"
    scene.at(scene.t0 + 20 * DAY)
    early = page(login(Client(), scene.world.analyst), url)
    assert "Not possible now" in early and "not unresponsive" in early and 'name="confirm"' not in early
    scene.at(scene.target)
    analyst = login(Client(), scene.world.analyst)  # sessions do not last 45 days
    html = page(analyst, url)
    assert "Send the final reminder to Vendor Three?" in html
    assert "A mail cannot be called back." in html and "psirt@vendor-three.test" in html
    assert '<button type="submit" class="danger">Send the final reminder</button>' in html
    # No action without the confirmation, nor without a reason.
    assert analyst.post(url, {"reason": "typed"}).status_code == 200
    refused = analyst.post(url, {"confirm": "yes", "reason": " "})
    assert refused.status_code == 400 and "Give the reason for the final reminder" in refused.content.decode()
    assert OutboundMessage.objects.filter(subject__contains="Final reminder").count() == 0
    done = analyst.post(url, {"confirm": "yes", "reason": "Six weeks of silence."}, follow=True)
    back = f"/cases/{scene.case.url_ref}/vendors/{scene.co.pk}/#reminders"
    assert done.redirect_chain[-1][0] == back
    assert "The final reminder to Vendor Three is sent." in done.content.decode()
    assert OutboundMessage.objects.filter(subject__contains="Final reminder").count() == 1
    again = page(analyst, url)
    assert "already sent" in again and 'name="confirm"' not in again
    for persona in ("vendor", "co_vendor", "reporter", "other_vendor"):
        client = login(Client(), scene.world.persona(persona))
        assert client.get(url).status_code == 403
        assert client.post(url, {"confirm": "yes", "reason": "x"}).status_code == 403
    # The vendor sees on its timeline that a final reminder was sent, never the reason.
    participant_actions.answer_embargo(scene.co, accept=True, by=scene.world.co_vendor)
    timeline = page(login(Client(), scene.world.co_vendor), f"/cases/{scene.case.url_ref}/timeline/")
    assert "Final reminder sent" in timeline and "Six weeks of silence." not in timeline
    join(scene)
    other = page(login(Client(), scene.world.vendor), f"/cases/{scene.case.url_ref}/timeline/")
    assert "Final reminder sent" not in other


def test_the_pages_mute_and_resume_reminders(scene: Scene) -> None:
    analyst = login(Client(), scene.world.analyst)
    tab = f"/cases/{scene.case.url_ref}/vendors/"
    assert "Mute them for this case" in page(analyst, tab)
    response = analyst.post(f"/cases/{scene.case.url_ref}/reminders/", {"muted": "yes"})
    assert response.status_code == 302 and response["Location"] == tab + "#reminders"
    scene.case.refresh_from_db()
    assert scene.case.reminders_muted
    assert "Resume the reminders" in page(analyst, tab)
    analyst.post(f"/cases/{scene.case.url_ref}/reminders/", {"muted": "no"})
    scene.case.refresh_from_db()
    assert not scene.case.reminders_muted

    vendor_page = f"/cases/{scene.case.url_ref}/vendors/{scene.co.pk}/"
    response = analyst.post(vendor_page + "reminders/", {"muted": "yes"})
    assert response.status_code == 302 and response["Location"] == vendor_page + "#reminders"
    scene.co.refresh_from_db()
    assert scene.co.reminders_muted
    assert "muted for this vendor" in page(analyst, vendor_page)
    assert "reminders muted" in page(analyst, tab)
    co = login(Client(), scene.world.co_vendor)
    assert co.post(f"/cases/{scene.case.url_ref}/reminders/", {"muted": "yes"}).status_code == 403
    assert co.post(vendor_page + "reminders/", {"muted": "no"}).status_code == 403
    Case.objects.filter(pk=scene.case.pk).update(quiet=True)
    assert "imported or historical" in page(analyst, tab)


def notified_bulk(case: Case, count: int, at: dt.datetime) -> None:
    """Vendors notified at `at`, by factory (bulk data)."""
    orgs = Organization.objects.bulk_create(
        [Organization(name=f"Silent Vendor {case.number}-{n:05d}", kind="vendor") for n in range(count)]
    )
    Participant.objects.bulk_create(
        [
            Participant(
                case=case,
                kind=Participant.Kind.VENDOR,
                organization=org,
                alias=f"Silent {n:05d}",
                rm_state=RM.RECEIVED,
                v_at=at,
                first_contact_at=at,
            )
            for n, org in enumerate(orgs)
        ]
    )


@pytest.mark.parametrize("query", ["", "?unresponsive=yes&per=100"])
def test_the_vendors_tab_with_unresponsive_marks_costs_the_same_with_3_or_253_vendors(  # type: ignore[no-untyped-def]
    scene: Scene, query: str, django_assert_max_num_queries
) -> None:
    scene.at(scene.target)
    client = login(Client(), scene.world.analyst)
    api = token_client(scene.world.analyst)
    url = f"/cases/{scene.case.url_ref}/vendors/{query}"
    api_url = f"/api/v1/cases/{scene.case.url_ref}/participants?limit=500" + (
        "&unresponsive=true" if query else ""
    )
    client.get(url)
    api.get(api_url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as few_api:
        assert api.get(api_url).status_code == 200
    notified_bulk(scene.case, 250, scene.t0)
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = page(client, url)
    assert "253 unresponsive" in html
    with django_assert_max_num_queries(len(few_api.captured_queries)):
        items = api.get(api_url).json()["items"]
    assert sum(1 for i in items if i["unresponsive"]) == 253


def test_a_message_from_the_vendor_counts_as_a_response(db):
    """A vendor that writes in any thread has responded (accord.cases.reminders.last_response)."""
    import time_machine

    from accord.conversation import actions as conversation
    from accord.testing import make_world, start_embargo

    world = make_world()
    start_embargo(world)
    participant = world.case.participants.get(organization=world.vendor_org)
    later = timezone.now() + dt.timedelta(days=20)
    with time_machine.travel(later, tick=False):
        message = conversation.post_message(
            conversation.discussion(world.case),
            "We are on it",
            speaker=conversation.Speaker(world.vendor, participant),
        )
        row = reminders.with_responses(Participant.objects.filter(pk=participant.pk)).get()
    assert row.last_response_at == message.created_at
    assert row.unresponsive is False

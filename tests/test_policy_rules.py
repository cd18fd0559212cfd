"""process.md "Disclosure policy" (target date, contact attempts, policy values with history and
explicit re-application) and the recording of the SSVC coordinator-publish decision."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from accord.cases import actions, policy, ssvc
from accord.cases.actions.reports import ReportInput
from accord.cases.models import Case, CaseEvent, PolicyChange, SsvcDecision
from accord.cases.states import EM
from accord.core.actors import SYSTEM
from accord.lib.errors import InvalidInput
from accord.testing import World, join_embargo
from tests.rule_helpers import assert_refused, events_since, last_event_pk


def fresh(case: Case) -> Case:
    return Case.objects.get(pk=case.pk)


def new_case(world: World) -> Case:
    report, _ = actions.submit_report(
        ReportInput(product="Gadget", version="1", description="x", reporter_name="R"), by=world.reporter
    )
    return actions.accept_report(report, by=world.analyst)


def now() -> dt.datetime:
    return timezone.now().replace(microsecond=0)


# --- Target publication date ----------------------------------------------------------------------


def test_no_target_before_any_contact(world):
    case = fresh(world.case)
    assert case.first_contact_at is None
    assert case.target_publication_at is None


def test_the_target_is_the_first_contact_plus_the_disclosure_days(world, settings):
    at = now() - dt.timedelta(minutes=3)
    mark = last_event_pk()
    case = fresh(actions.record_contact_attempt(world.case, by=world.analyst, at=at))
    assert case.first_contact_at == at
    assert case.target_publication_at == at + dt.timedelta(days=settings.DISCLOSURE_DAYS)
    assert case.disclosure_days == settings.DISCLOSURE_DAYS == 45
    [event] = events_since(mark)
    assert event.kind == "contact.attempt"
    assert event.data["first"] is True and event.data["days"] == 45


def test_the_environment_default_is_the_instance_default(world, settings):
    settings.DISCLOSURE_DAYS = 60
    at = now()
    case = fresh(actions.record_contact_attempt(world.case, by=world.analyst, at=at))
    assert case.target_publication_at == at + dt.timedelta(days=60)


def test_a_later_contact_attempt_changes_no_date(world):
    first = now() - dt.timedelta(days=2)
    case = fresh(actions.record_contact_attempt(world.case, by=world.analyst, at=first, outside=True))
    target = case.target_publication_at
    mark = last_event_pk()
    case = fresh(actions.record_contact_attempt(case, by=world.analyst))
    assert case.first_contact_at == first and case.target_publication_at == target
    [event] = events_since(mark)  # still on the timeline
    assert event.kind == "contact.attempt" and "first" not in event.data


def test_an_earlier_contact_recorded_later_moves_the_dates_earlier(world):
    """The default embargo ends at the target, so it moves with it (process.md: while Active,
    target_publication_at equals the embargo's end)."""
    case = fresh(
        actions.record_contact_attempt(world.case, by=world.analyst, at=now() - dt.timedelta(days=1))
    )
    earlier = now() - dt.timedelta(days=10)
    mark = last_event_pk()
    case = fresh(
        actions.record_contact_attempt(case, by=world.analyst, at=earlier, outside=True, note="phone")
    )
    assert case.first_contact_at == earlier
    assert case.target_publication_at == earlier + dt.timedelta(days=45)
    assert case.embargo_state == EM.ACTIVE and case.embargo_ends_at == case.target_publication_at
    [event] = events_since(mark)
    assert event.data["outside_accord"] is True and event.data["first"] is False


def test_an_earlier_contact_leaves_a_negotiated_embargo_standing(world):
    case = fresh(actions.record_contact_attempt(world.case, by=world.analyst))
    join_embargo(world)
    negotiated = now() + dt.timedelta(days=80)
    case = actions.propose_embargo(case, negotiated, by=world.vendor)
    case = fresh(actions.accept_embargo(case, by=world.analyst))
    case = fresh(actions.record_contact_attempt(case, by=world.analyst, at=now() - dt.timedelta(days=5)))
    assert case.embargo_ends_at == negotiated == case.target_publication_at


def test_an_analyst_records_a_contact_made_outside_accord(world):
    at = now() - dt.timedelta(days=3)
    mark = last_event_pk()
    case = fresh(
        actions.record_contact_attempt(world.case, by=world.analyst, at=at, outside=True, note="phone")
    )
    assert case.first_contact_at == at
    [event] = events_since(mark)
    assert event.data["outside_accord"] is True and event.data["note"] == "phone"
    assert event.actor == world.analyst


@pytest.mark.parametrize("persona", ["vendor", "reporter", "outsider"])
@pytest.mark.parametrize("outside", [True, False])
def test_only_analysts_record_contact_attempts(world, persona, outside):
    assert_refused(
        lambda: actions.record_contact_attempt(
            world.case, by=world.persona(persona), at=now() - dt.timedelta(days=1), outside=outside
        ),
        "analyst-only",
        world.case,
    )


@pytest.mark.parametrize(
    "at",
    [
        timezone.now() + dt.timedelta(days=1),  # the future
        dt.datetime(2026, 1, 1, 12, 0),  # naive
        "2026-01-01T12:00:00Z",
    ],
)
def test_a_contact_attempt_needs_a_past_instant_with_a_zone(world, at):
    assert_refused(
        lambda: actions.record_contact_attempt(world.case, by=world.analyst, at=at, outside=True),
        InvalidInput,
        world.case,
        field="at",
    )


def test_the_contact_attempt_is_stored_in_utc(world):
    new_york = dt.timezone(dt.timedelta(hours=-5))
    at = (now() - dt.timedelta(hours=1)).astimezone(new_york)
    case = fresh(actions.record_contact_attempt(world.case, by=world.analyst, at=at, outside=True))
    assert case.first_contact_at == at and case.first_contact_at.utcoffset() == dt.timedelta(0)


def test_accord_itself_records_its_own_notifications(world):
    participant = world.case.participants.get(organization=world.vendor_org)
    case = fresh(actions.record_contact_attempt(world.case, by=SYSTEM, participant=participant))
    participant.refresh_from_db()
    assert case.first_contact_at == participant.first_contact_at is not None
    event = CaseEvent.objects.filter(case=case, kind="contact.attempt").latest("id")
    assert event.by_system and event.actor is None


# --- Policy values ----------------------------------------------------------------------------------


def test_overrides_keep_history_and_the_newest_wins(world):
    policy.set_policy("disclosure_days", 30, by=world.admin)
    policy.set_policy("disclosure_days", 60, by=world.admin)
    rows = PolicyChange.objects.filter(key="disclosure_days").order_by("changed_at", "id")
    assert [(r.value, r.changed_by) for r in rows] == [("30", world.admin), ("60", world.admin)]
    assert policy.current("disclosure_days") == 60
    assert [c.value for c in policy.history()][:2] == ["60", "30"]


def test_only_an_admin_changes_the_policy(world):
    for persona in ("analyst", "publisher", "vendor", "outsider"):
        assert_refused(
            lambda persona=persona: policy.set_policy("disclosure_days", 30, by=world.persona(persona)),
            "admin-only",
        )
    assert_refused(lambda: policy.set_policy("disclosure_days", 30, by=None), "admin-only")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("disclosure_days", "abc"),
        ("disclosure_days", 0),
        ("disclosure_days", -5),
        ("disclosure_days", 3651),
        ("disclosure_days", 1.5),
        ("disclosure_days", True),
        ("disclosure_days", None),
        ("draft_share_days", 366),
        ("exit_embargo_on_attacks", "maybe"),
        ("exit_embargo_on_attacks", 2),
        ("page", "x" * 50_001),
        ("no_such_setting", 1),
    ],
)
def test_bad_policy_values_are_refused(world, name, value):
    assert_refused(lambda: policy.set_policy(name, value, by=world.admin), InvalidInput)


@pytest.mark.parametrize(
    ("value", "expected"), [(False, False), ("0", False), ("off", False), (True, True), ("on", True)]
)
def test_yes_no_policy_values(world, value, expected):
    policy.set_policy("exit_embargo_on_attacks", value, by=world.admin)
    assert policy.current("exit_embargo_on_attacks") is expected


def test_a_change_applies_to_cases_first_contacted_after_it(world):
    before = fresh(actions.record_contact_attempt(world.case, by=world.analyst))
    policy.set_policy("disclosure_days", 30, by=world.admin)
    after = new_case(world)
    after = fresh(actions.record_contact_attempt(after, by=world.analyst))
    assert after.disclosure_days == 30
    assert after.target_publication_at == after.first_contact_at + dt.timedelta(days=30)
    # The open case keeps its date.
    before_now = fresh(before)
    assert before_now.disclosure_days == 45
    assert before_now.target_publication_at == before.first_contact_at + dt.timedelta(days=45)


def test_a_contact_made_before_a_change_keeps_the_policy_of_its_time(world):
    """Reading: "a change applies to cases whose first contact comes after it" compares the
    contact instant with the change, so a contact made before the change (recorded after it,
    e.g. a phone call entered later) keeps the policy in force when the vendor was contacted."""
    contacted = now() - dt.timedelta(days=2)
    policy.set_policy("disclosure_days", 30, by=world.admin)
    case = fresh(actions.record_contact_attempt(world.case, by=world.analyst, at=contacted, outside=True))
    assert case.disclosure_days == 45
    assert case.target_publication_at == contacted + dt.timedelta(days=45)


def test_applying_the_policy_to_an_open_case(world):
    case = fresh(actions.record_contact_attempt(world.case, by=world.analyst))
    first = case.first_contact_at
    policy.set_policy("disclosure_days", 30, by=world.admin)
    assert fresh(case).target_publication_at == first + dt.timedelta(days=45)
    mark = last_event_pk()
    case = fresh(actions.apply_policy(case, by=world.analyst))
    assert case.disclosure_days == 30
    assert case.target_publication_at == first + dt.timedelta(days=30)
    assert case.embargo_state == EM.ACTIVE and case.embargo_ends_at == case.target_publication_at
    [event] = events_since(mark)
    assert event.kind == "policy.applied"
    assert (event.data["old_days"], event.data["days"]) == (45, 30)
    assert event.data["embargo_ends_at"]["new"] == event.data["target"]


def test_applying_the_policy_needs_a_contact(world):
    policy.set_policy("disclosure_days", 30, by=world.admin)
    assert_refused(
        lambda: actions.apply_policy(world.case, by=world.analyst), "policy-needs-contact", world.case
    )


def test_only_analysts_apply_the_policy(world):
    case = actions.record_contact_attempt(world.case, by=world.analyst)
    assert_refused(lambda: actions.apply_policy(case, by=world.vendor), "analyst-only", case)


def test_applying_a_policy_whose_date_has_passed_to_an_active_embargo_is_refused(world):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        case = actions.record_contact_attempt(world.case, by=world.analyst)
        clock.shift(dt.timedelta(days=20))
        policy.set_policy("disclosure_days", 10, by=world.admin)
        case = fresh(case)
        assert_refused(lambda: actions.apply_policy(case, by=world.analyst), "em-end-instant", case)


# --- SSVC coordinator publish is recorded ---------------------------------------------------------


PUBLISH_VALUES = {
    "supplier_involvement": "fix ready",
    "exploitation": "none",
    "public_value_added": "limited",
}


def test_record_publish_decision_stores_values_outcome_and_choice(world):
    values, outcome = next(
        (values, outcome)
        for values, outcome in ssvc.table_rows(ssvc.COORDINATOR_PUBLISH)
        if outcome == "do not publish"
    )
    mark = last_event_pk()
    decision = actions.record_publish_decision(
        world.case, values, "publish", by=world.analyst, rationale="ICS"
    )
    decision = SsvcDecision.objects.get(pk=decision.pk)
    assert decision.table == SsvcDecision.Table.PUBLISH and decision.case == world.case
    assert decision.values == values
    assert decision.outcome == outcome == ssvc.publish_outcome(values)
    assert decision.chosen == "publish"
    [event] = events_since(mark)
    assert event.kind == "ssvc.publish"
    assert event.data == {"values": values, "outcome": "do not publish", "chosen": "publish"}


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({**PUBLISH_VALUES, "exploitation": "poc"}, "exploitation"),
        ({k: v for k, v in PUBLISH_VALUES.items() if k != "public_value_added"}, "public_value_added"),
        ({**PUBLISH_VALUES, "extra": "x"}, "values"),
    ],
)
def test_bad_publish_values_are_refused_naming_the_decision_point(world, values, field):
    error = assert_refused(
        lambda: actions.record_publish_decision(world.case, values, "publish", by=world.analyst),
        InvalidInput,
        world.case,
        field=field,
    )
    if field != "values":
        assert field in str(error)


def test_a_publish_choice_outside_the_outcomes_is_refused(world):
    assert_refused(
        lambda: actions.record_publish_decision(world.case, PUBLISH_VALUES, "maybe", by=world.analyst),
        InvalidInput,
        world.case,
        field="chosen",
    )


@pytest.mark.parametrize("persona", ["vendor", "reporter", "outsider"])
def test_only_analysts_record_a_publish_decision(world, persona):
    assert_refused(
        lambda: actions.record_publish_decision(
            world.case, PUBLISH_VALUES, "publish", by=world.persona(persona)
        ),
        "analyst-only",
        world.case,
    )

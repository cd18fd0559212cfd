"""process.md "Embargo": the EM machine, exact UTC end instants, the consequences of P, X and A,
Accord's default embargo, and the automatic exit run by the scheduler."""

from __future__ import annotations

import datetime as dt
import signal
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.forms.models import model_to_dict
from django.utils import timezone

from accord.cases import actions, policy
from accord.cases.access import access_case
from accord.cases.models import Case, CaseEvent
from accord.cases.states import EM, EM_TRANSITIONS, em_next
from accord.lib.errors import InvalidInput, RuleViolation
from accord.mailgate.models import OutboundMessage
from accord.testing import World, join_embargo, make_world
from tests.rule_helpers import assert_refused, events_since, last_event_pk, snapshot

PROCESS_EM = {
    (EM.NONE, "propose"): EM.PROPOSED,
    (EM.PROPOSED, "propose"): EM.PROPOSED,
    (EM.PROPOSED, "reject"): EM.NONE,
    (EM.PROPOSED, "accept"): EM.ACTIVE,
    (EM.ACTIVE, "propose"): EM.REVISE,
    (EM.REVISE, "propose"): EM.REVISE,
    (EM.REVISE, "reject"): EM.ACTIVE,
    (EM.REVISE, "accept"): EM.ACTIVE,
    (EM.ACTIVE, "terminate"): EM.EXITED,
    (EM.REVISE, "terminate"): EM.EXITED,
}
EM_ACTIONS = ("propose", "accept", "reject", "terminate")


def future(days: float = 30) -> dt.datetime:
    return (timezone.now() + dt.timedelta(days=days)).replace(microsecond=0)


def fresh(case: Case) -> Case:
    return Case.objects.get(pk=case.pk)


def em(world: World, case: Case, action: str, ends: dt.datetime | None = None) -> Case:
    if action == "propose":
        return actions.propose_embargo(case, ends or future(), by=world.analyst, reason="time to fix")
    if action == "accept":
        return actions.accept_embargo(case, by=world.analyst)
    if action == "reject":
        return actions.reject_embargo(case, by=world.analyst, reason="too long")
    if action == "terminate":
        return actions.terminate_embargo(case, by=world.analyst, reason="published")
    raise AssertionError(action)


PATHS = {
    EM.NONE: [],
    EM.PROPOSED: ["propose"],
    EM.ACTIVE: ["propose", "accept"],
    EM.REVISE: ["propose", "accept", "propose"],
    EM.EXITED: ["propose", "accept", "terminate"],
}


def embargo_in(world: World, state: str) -> Case:
    case = world.case
    for step, action in enumerate(PATHS[state]):
        case = em(world, case, action, future(30 + step))
    case = fresh(case)
    assert case.embargo_state == state
    if state in (EM.ACTIVE, EM.REVISE):
        join_embargo(world)  # the vendors joined it: they may negotiate and claim facts
    return case


# --- The table ---------------------------------------------------------------------------------------


def test_the_code_table_is_the_process_table():
    code = {(state, action): to for action, row in EM_TRANSITIONS.items() for state, to in row.items()}
    assert code == PROCESS_EM


@pytest.mark.parametrize("state", list(EM))
@pytest.mark.parametrize("action", EM_ACTIONS)
def test_em_next_for_every_state_and_action(state, action):
    if (state, action) in PROCESS_EM:
        assert em_next(state, action) == PROCESS_EM[(state, action)]
    else:
        with pytest.raises(RuleViolation) as caught:
            em_next(state, action)
        assert caught.value.rule == f"em-{action}"


# --- Allowed transitions through the actions -----------------------------------------------------------


def test_propose_from_none(world):
    ends = future(40)
    mark = last_event_pk()
    case = actions.propose_embargo(world.case, ends, by=world.analyst, reason="complex fix")
    case = fresh(case)
    assert case.embargo_state == EM.PROPOSED
    assert case.embargo_proposed_ends_at == ends and case.embargo_ends_at is None
    assert case.embargo_proposal_reason == "complex fix" and case.embargo_proposed_by == world.analyst
    [event] = events_since(mark)
    assert event.kind == "embargo.proposed"
    assert (event.data["old"], event.data["new"]) == (EM.NONE, EM.PROPOSED)


def test_counter_in_proposed_stays_proposed_with_the_new_end(world):
    case = embargo_in(world, EM.PROPOSED)
    counter = future(60)
    mark = last_event_pk()
    case = fresh(actions.propose_embargo(case, counter, by=world.vendor, reason="we need longer"))
    assert case.embargo_state == EM.PROPOSED and case.embargo_proposed_ends_at == counter
    [event] = events_since(mark)
    assert (event.data["old"], event.data["new"]) == (EM.PROPOSED, EM.PROPOSED)


def test_reject_in_proposed_goes_back_to_none(world):
    case = embargo_in(world, EM.PROPOSED)
    mark = last_event_pk()
    case = fresh(em(world, case, "reject"))
    assert case.embargo_state == EM.NONE
    assert case.embargo_ends_at is None and case.embargo_proposed_ends_at is None
    [event] = events_since(mark)
    assert event.kind == "embargo.rejected"
    assert (event.data["old"], event.data["new"]) == (EM.PROPOSED, EM.NONE)


def test_accept_in_proposed_is_active_with_the_proposed_end(world):
    ends = future(45)
    case = actions.propose_embargo(world.case, ends, by=world.vendor)
    mark = last_event_pk()
    case = fresh(em(world, case, "accept"))
    assert case.embargo_state == EM.ACTIVE and case.embargo_ends_at == ends
    assert case.embargo_proposed_ends_at is None
    [event] = events_since(mark)
    assert event.kind == "embargo.accepted"
    assert (event.data["old"], event.data["new"]) == (EM.PROPOSED, EM.ACTIVE)


def test_a_revision_leaves_the_current_terms_in_force(world):
    case = embargo_in(world, EM.ACTIVE)
    current = case.embargo_ends_at
    revision = future(20)  # ending early at a future time is a revision
    mark = last_event_pk()
    case = fresh(actions.propose_embargo(case, revision, by=world.vendor))
    assert case.embargo_state == EM.REVISE
    assert case.embargo_ends_at == current and case.embargo_proposed_ends_at == revision
    [event] = events_since(mark)
    assert (event.data["old"], event.data["new"]) == (EM.ACTIVE, EM.REVISE)


def test_counter_in_revise_stays_revise(world):
    case = embargo_in(world, EM.REVISE)
    current = case.embargo_ends_at
    counter = future(50)
    case = fresh(actions.propose_embargo(case, counter, by=world.analyst))
    assert case.embargo_state == EM.REVISE
    assert case.embargo_ends_at == current and case.embargo_proposed_ends_at == counter


def test_reject_in_revise_keeps_the_old_end(world):
    case = embargo_in(world, EM.REVISE)
    old_end = case.embargo_ends_at
    mark = last_event_pk()
    case = fresh(em(world, case, "reject"))
    assert case.embargo_state == EM.ACTIVE and case.embargo_ends_at == old_end
    assert case.embargo_proposed_ends_at is None
    [event] = events_since(mark)
    assert (event.data["old"], event.data["new"]) == (EM.REVISE, EM.ACTIVE)


def test_accept_in_revise_takes_the_new_end(world):
    case = embargo_in(world, EM.ACTIVE)
    new_end = future(75)
    case = actions.propose_embargo(case, new_end, by=world.vendor)
    mark = last_event_pk()
    case = fresh(em(world, case, "accept"))
    assert case.embargo_state == EM.ACTIVE and case.embargo_ends_at == new_end
    [event] = events_since(mark)
    assert (event.data["old"], event.data["new"]) == (EM.REVISE, EM.ACTIVE)


@pytest.mark.parametrize("state", [EM.ACTIVE, EM.REVISE])
def test_terminate_exits_at_once(world, state):
    case = embargo_in(world, state)
    mark = last_event_pk()
    case = fresh(em(world, case, "terminate"))
    assert case.embargo_state == EM.EXITED and case.embargo_proposed_ends_at is None
    [event] = events_since(mark)
    assert event.kind == "embargo.terminated"
    assert (event.data["old"], event.data["new"]) == (state, EM.EXITED)


FORBIDDEN = [(state, action) for state in PATHS for action in EM_ACTIONS if (state, action) not in PROCESS_EM]


@pytest.mark.parametrize(("state", "action"), FORBIDDEN)
def test_every_other_combination_is_refused_and_changes_nothing(world, state, action):
    case = embargo_in(world, state)
    assert_refused(lambda: em(world, case, action, future(90)), f"em-{action}", case)


# --- End instants ------------------------------------------------------------------------------------


def test_a_proposal_without_an_end_instant_is_refused(world):
    assert_refused(
        lambda: actions.propose_embargo(world.case, None, by=world.analyst), "em-end-instant", world.case
    )


@pytest.mark.parametrize(
    "ends",
    [
        dt.datetime(2099, 1, 1, 12, 0),  # naive: no zone
        "2099-01-01T12:00:00Z",  # a string is not an instant: the caller parses
        dt.date(2099, 1, 1),
        dt.datetime(2001, 1, 1, tzinfo=dt.UTC),  # past
    ],
)
def test_a_naive_past_or_non_instant_end_is_refused(world, ends):
    assert_refused(
        lambda: actions.propose_embargo(world.case, ends, by=world.analyst),
        InvalidInput,
        world.case,
        field="ends_at",
    )


def test_end_instants_are_stored_in_utc(world):
    tokyo = dt.timezone(dt.timedelta(hours=9))
    ends = (timezone.now() + dt.timedelta(days=30)).astimezone(tokyo).replace(microsecond=0)
    case = actions.propose_embargo(world.case, ends, by=world.analyst)
    case = fresh(em(world, case, "accept"))
    assert case.embargo_ends_at == ends  # the same instant
    assert case.embargo_ends_at.utcoffset() == dt.timedelta(0)
    event = CaseEvent.objects.filter(case=case, kind="embargo.accepted").get()
    assert event.data["ends_at"] == ends.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_an_expired_proposal_is_not_accepted(world):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        case = actions.propose_embargo(world.case, timezone.now() + dt.timedelta(hours=1), by=world.analyst)
        clock.shift(dt.timedelta(hours=2))
        assert_refused(lambda: em(world, case, "accept"), "em-end-instant", case)


# --- Who negotiates ---------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["vendor", "reporter"])
def test_participants_propose(world, persona):
    case = actions.propose_embargo(world.case, future(), by=world.persona(persona))
    assert fresh(case).embargo_state == EM.PROPOSED


@pytest.mark.parametrize("persona", ["other_vendor", "outsider"])
def test_non_participants_do_not_propose(world, persona):
    assert_refused(
        lambda: actions.propose_embargo(world.case, future(), by=world.persona(persona)),
        "participants-negotiate",
        world.case,
    )


@pytest.mark.parametrize("persona", ["vendor", "reporter", "outsider"])
@pytest.mark.parametrize(
    ("state", "action"), [(EM.PROPOSED, "accept"), (EM.PROPOSED, "reject"), (EM.ACTIVE, "terminate")]
)
def test_only_analysts_accept_reject_or_terminate(world, persona, state, action):
    case = embargo_in(world, state)
    user = world.persona(persona)
    call: dict[str, Callable[[], Any]] = {
        "accept": lambda: actions.accept_embargo(case, by=user),
        "reject": lambda: actions.reject_embargo(case, by=user),
        "terminate": lambda: actions.terminate_embargo(case, by=user),
    }
    assert_refused(call[action], "analyst-only", case)


# --- P and X ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("fact", ["P", "X"])
@pytest.mark.parametrize(
    ("state", "after"), [(EM.ACTIVE, EM.EXITED), (EM.REVISE, EM.EXITED), (EM.PROPOSED, EM.NONE)]
)
def test_p_or_x_ends_the_embargo_at_once(world, fact, state, after):
    case = embargo_in(world, state)
    mark = last_event_pk()
    actions.report_fact(case, fact, "https://example.org/writeup", by=world.analyst)
    case = fresh(case)
    assert case.embargo_state == after
    assert case.embargo_proposed_ends_at is None
    [event] = events_since(mark)  # one action, one event, with the consequence in it
    assert event.data["embargo"] == {"old": state, "new": after}


@pytest.mark.parametrize("fact", ["P", "X"])
def test_p_or_x_confirmed_from_a_claim_ends_the_embargo(world, fact):
    case = embargo_in(world, EM.ACTIVE)
    claim = actions.report_fact(case, fact, "https://example.org", by=world.vendor)
    assert fresh(case).embargo_state == EM.ACTIVE
    actions.confirm_fact(claim, by=world.analyst)
    assert fresh(case).embargo_state == EM.EXITED


@pytest.mark.parametrize("fact", ["P", "X"])
@pytest.mark.parametrize("state", [EM.NONE, EM.ACTIVE, EM.PROPOSED])
def test_after_p_or_x_no_embargo_is_proposed_or_accepted(world, fact, state):
    case = embargo_in(world, state)
    actions.report_fact(case, fact, "https://example.org", by=world.analyst)
    case = fresh(case)
    assert_refused(lambda: em(world, case, "propose", future(10)), "em-after-public", case)
    assert_refused(
        lambda: actions.propose_embargo(case, future(10), by=world.vendor), "em-after-public", case
    )
    # Even a proposal left over from before (made directly in the database) is not accepted.
    Case.objects.filter(pk=case.pk).update(embargo_state=EM.PROPOSED, embargo_proposed_ends_at=future(10))
    case = fresh(case)
    assert_refused(lambda: em(world, case, "accept"), "em-after-public", case)


# --- A --------------------------------------------------------------------------------------------


def test_after_a_no_new_embargo_is_proposed(world):
    actions.report_fact(world.case, "A", "IDS alerts", by=world.analyst)
    case = fresh(world.case)
    assert_refused(lambda: em(world, case, "propose"), "em-after-attacks", case)
    assert_refused(lambda: actions.propose_embargo(case, future(), by=world.vendor), "em-after-attacks", case)


def test_after_a_a_proposed_embargo_falls_back_to_none(world):
    """process.md: "When A becomes true ... a Proposed one falls back to None"."""
    case = embargo_in(world, EM.PROPOSED)
    actions.report_fact(case, "A", "IDS alerts", by=world.analyst)
    case = fresh(case)
    assert case.embargo_state == EM.NONE
    assert case.embargo_proposed_ends_at is None and not case.embargo_termination_due
    event = CaseEvent.objects.filter(case=case, kind="fact.set").latest("id")
    assert event.data["embargo"] == {"old": EM.PROPOSED, "new": EM.NONE}
    assert_refused(lambda: em(world, case, "propose"), "em-after-attacks", case)


@pytest.mark.parametrize("state", [EM.ACTIVE, EM.REVISE])
def test_a_exits_the_embargo_when_policy_says_so(world, state):
    assert policy.current("exit_embargo_on_attacks") is True  # the default
    case = embargo_in(world, state)
    actions.report_fact(case, "A", "IDS alerts", by=world.analyst)
    case = fresh(case)
    assert case.embargo_state == EM.EXITED
    assert case.p_at is None


@pytest.mark.parametrize("state", [EM.ACTIVE, EM.REVISE])
def test_a_flags_termination_due_when_policy_keeps_it(world, state):
    policy.set_policy("exit_embargo_on_attacks", False, by=world.admin)
    case = embargo_in(world, state)
    ends = case.embargo_ends_at
    mark = last_event_pk()
    actions.report_fact(case, "A", "IDS alerts", by=world.analyst)
    case = fresh(case)
    assert case.embargo_state == state and case.embargo_ends_at == ends
    assert case.embargo_termination_due is True
    [event] = events_since(mark)
    assert event.data["termination_due"] is True
    # The analyst ends it; the flag goes with it.
    case = fresh(em(world, case, "terminate"))
    assert case.embargo_state == EM.EXITED and case.embargo_termination_due is False


def test_a_claim_of_a_does_nothing_until_confirmed(world):
    case = embargo_in(world, EM.ACTIVE)
    claim = actions.report_fact(case, "A", "I saw attacks", by=world.reporter)
    case = fresh(case)
    assert case.embargo_state == EM.ACTIVE and not case.embargo_termination_due
    actions.confirm_fact(claim, by=world.analyst)
    assert fresh(case).embargo_state == EM.EXITED


# --- Accord's default embargo -----------------------------------------------------------------------


def test_the_first_contact_starts_the_default_embargo(world, settings):
    first = timezone.now().replace(microsecond=0) - dt.timedelta(hours=2)
    mark = last_event_pk()
    case = fresh(actions.record_contact_attempt(world.case, by=world.analyst, at=first, outside=True))
    expected = first + dt.timedelta(days=settings.DISCLOSURE_DAYS)
    assert settings.DISCLOSURE_DAYS == 45
    assert case.embargo_state == EM.ACTIVE  # at once: no Proposed step
    assert case.embargo_ends_at == case.target_publication_at == expected
    [event] = events_since(mark)
    assert event.kind == "contact.attempt"
    assert event.data["embargo"]["new"] == EM.ACTIVE


def test_an_embargo_agreed_before_the_first_contact_stands(world):
    agreed = future(90)
    case = actions.propose_embargo(world.case, agreed, by=world.reporter)
    case = fresh(em(world, case, "accept"))
    assert case.target_publication_at is None  # no vendor contacted yet
    case = fresh(actions.record_contact_attempt(case, by=world.analyst))
    assert case.embargo_state == EM.ACTIVE
    assert case.embargo_ends_at == agreed == case.target_publication_at


def test_a_revision_accepted_while_active_moves_the_target_too(world):
    case = fresh(actions.record_contact_attempt(world.case, by=world.analyst))
    join_embargo(world)
    later = future(60)
    case = actions.propose_embargo(case, later, by=world.vendor, reason="complex supply chain")
    case = fresh(case)
    assert case.target_publication_at == case.embargo_ends_at != later  # still the current terms
    case = fresh(em(world, case, "accept"))
    assert case.embargo_ends_at == case.target_publication_at == later


def test_a_rejected_revision_leaves_the_target(world):
    case = fresh(actions.record_contact_attempt(world.case, by=world.analyst))
    join_embargo(world)
    target = case.target_publication_at
    case = actions.propose_embargo(case, future(60), by=world.vendor)
    case = fresh(em(world, case, "reject"))
    assert case.embargo_ends_at == case.target_publication_at == target


@pytest.mark.parametrize("fact", ["P", "X", "A"])
def test_no_default_embargo_once_public_or_attacked(world, fact):
    actions.report_fact(world.case, fact, "evidence", by=world.analyst)
    case = fresh(actions.record_contact_attempt(world.case, by=world.analyst))
    assert case.embargo_state == EM.NONE
    assert case.target_publication_at is not None


def test_no_default_embargo_when_the_target_has_passed(world):
    long_ago = timezone.now() - dt.timedelta(days=60)
    case = fresh(actions.record_contact_attempt(world.case, by=world.analyst, at=long_ago, outside=True))
    assert case.embargo_state == EM.NONE
    assert case.target_publication_at == long_ago + dt.timedelta(days=45)


@pytest.mark.parametrize("how", ["terminate", "expire"])
def test_exiting_an_embargo_publishes_nothing(world, how):
    case = fresh(actions.record_contact_attempt(world.case, by=world.analyst))
    before = snapshot(case)
    mark = last_event_pk()
    if how == "terminate":
        em(world, case, "terminate")
    else:
        assert actions.exit_expired_embargoes(now=case.embargo_ends_at) == [case.number]
    after = snapshot(case)
    [event] = events_since(mark)
    assert event.kind in ("embargo.terminated", "embargo.expired")
    # Only the embargo state (and the row's timestamp) changed; the rest of the world did not.
    changed = {
        key: (before["Case"][i][key], after["Case"][i][key])
        for i in range(len(before["Case"]))
        for key in before["Case"][i]
        if before["Case"][i][key] != after["Case"][i][key]
    }
    assert "embargo_state" in changed and set(changed) <= {"embargo_state", "updated_at"}
    for table in ("Report", "Participant", "Vulnerability", "FactReport", "SsvcDecision", "PolicyChange"):
        assert before[table] == after[table]
    assert fresh(case).target_publication_at == before["Case"][0]["target_publication_at"]
    assert model_to_dict(fresh(case))["embargo_state"] == EM.EXITED


# --- The automatic exit, by the scheduler ----------------------------------------------------------


def run_scheduler_once() -> None:
    """`accord scheduler --once`, leaving pytest's own signal handlers in place afterwards."""
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        call_command("scheduler", "--once")
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)


def test_exit_expired_embargoes_exits_only_those_past_their_end(world):
    case = embargo_in(world, EM.REVISE)
    ends = case.embargo_ends_at
    assert actions.exit_expired_embargoes(now=ends - dt.timedelta(seconds=1)) == []
    assert fresh(case).embargo_state == EM.REVISE
    assert actions.exit_expired_embargoes(now=ends) == [case.number]
    case = fresh(case)
    assert case.embargo_state == EM.EXITED and case.embargo_proposed_ends_at is None
    event = CaseEvent.objects.get(case=case, kind="embargo.expired")
    assert event.actor is None and (event.data["old"], event.data["new"]) == (EM.REVISE, EM.EXITED)
    assert actions.exit_expired_embargoes(now=ends + dt.timedelta(days=1)) == []  # once


@pytest.mark.django_db(transaction=True)
def test_the_scheduler_exits_the_embargo_at_its_end_instant():
    """Frozen clock; the job runs through `accord scheduler --once`, enqueued at commit on the
    immediate task backend (tests/conftest.py). No page is opened in this test, and reading the
    case as a page would (access_case) after the end instant does not exit it."""
    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        world = make_world()
        ends = start + dt.timedelta(hours=1)
        case = actions.propose_embargo(world.case, ends, by=world.analyst)
        case = actions.accept_embargo(case, by=world.analyst)
        assert fresh(case).embargo_state == EM.ACTIVE and fresh(case).embargo_ends_at == ends

        clock.move_to(start + dt.timedelta(minutes=59))
        run_scheduler_once()
        assert fresh(case).embargo_state == EM.ACTIVE
        assert not CaseEvent.objects.filter(kind="embargo.expired").exists()

        clock.move_to(ends + dt.timedelta(seconds=1))
        assert access_case(world.analyst, case.url_ref).case.embargo_state == EM.ACTIVE  # a read does nothing
        run_scheduler_once()
        case = fresh(case)
        assert case.embargo_state == EM.EXITED
        event = CaseEvent.objects.get(case=case, kind="embargo.expired")
        assert event.actor is None
        assert event.created_at == ends + dt.timedelta(seconds=1)
        assert event.data == {"old": EM.ACTIVE, "new": EM.EXITED, "ends_at": "2026-03-02T10:00:00Z"}


# --- Negotiation is mailed to the case's analysts ---------------------------------------------------


def test_every_negotiation_step_is_mailed_to_the_cases_analysts(world):
    """Each step (proposal, counter, acceptance, rejection) mails the case's analysts, owner
    first, except the analyst who took it; the mail is neutral (no title, product or reason)."""
    actions.assign_analysts(world.case, [world.analyst, world.publisher], by=world.analyst)
    OutboundMessage.objects.all().delete()

    actions.propose_embargo(world.case, future(60), by=world.vendor, reason="Widget Server needs a rebuild")
    assert [m.to_email for m in OutboundMessage.objects.order_by("pk")] == [
        world.analyst.email,  # the owner first
        world.publisher.email,
    ]
    actions.propose_embargo(world.case, future(50), by=world.analyst, reason="counter")  # a counter
    actions.accept_embargo(world.case, by=world.publisher)
    actions.propose_embargo(world.case, future(70), by=world.reporter)
    actions.reject_embargo(world.case, by=world.analyst)
    sent = [(m.to_email, m.subject) for m in OutboundMessage.objects.order_by("pk")]
    assert [to for to, _ in sent] == [
        world.analyst.email,
        world.publisher.email,
        world.publisher.email,  # the counter, not to the analyst who made it
        world.analyst.email,  # the acceptance
        world.analyst.email,  # the reporter's revision
        world.publisher.email,
        world.publisher.email,  # the rejection
    ]
    label = fresh(world.case).label
    for message in OutboundMessage.objects.all():
        assert message.subject.startswith(f"[{label}] ")
        for secret in ("Widget", "rebuild", "Heap overflow", world.case.title):
            assert secret not in message.subject and secret not in message.body_text
        assert f"/cases/{world.case.url_ref}/" in message.body_text

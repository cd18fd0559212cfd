"""process.md "Report management": the RM machine, duplicates, bringing others in, and the
embargo left alone by closing or deferring. Every refusal writes no event and changes nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from accord.accounts import actions as account_actions
from accord.cases import actions, ssvc
from accord.cases.actions.reports import ReportInput
from accord.cases.models import Case, CaseEvent, FactReport, Participant, Report, SsvcDecision
from accord.cases.states import EM, RM, RM_TRANSITIONS, rm_next
from accord.lib.errors import InvalidInput, RuleViolation
from accord.testing import World, write_to_reporter
from tests.rule_helpers import assert_refused, events_since, last_event_pk

# The RM table of process.md, written out again so that a change to the code's table shows.
PROCESS_RM = {
    (RM.START, "receive"): RM.RECEIVED,
    (RM.RECEIVED, "validate"): RM.VALID,
    (RM.RECEIVED, "invalidate"): RM.INVALID,
    (RM.INVALID, "validate"): RM.VALID,
    (RM.VALID, "accept"): RM.ACCEPTED,
    (RM.DEFERRED, "accept"): RM.ACCEPTED,
    (RM.VALID, "defer"): RM.DEFERRED,
    (RM.ACCEPTED, "defer"): RM.DEFERRED,
    (RM.ACCEPTED, "close"): RM.CLOSED,
    (RM.DEFERRED, "close"): RM.CLOSED,
    (RM.INVALID, "close"): RM.CLOSED,
}
ACTIONS = ("receive", "validate", "invalidate", "accept", "defer", "close")


def new_report(world: World, **fields: Any) -> Report:
    data = {"product": "Gadget", "version": "3.0", "description": "Command injection.", "reporter_name": "R"}
    data.update(fields)
    report, _ = actions.submit_report(ReportInput(**data), by=world.reporter)
    return report


def act(report: Report, action: str, by: Any) -> Any:
    """Run one RM action through the domain actions."""
    if action == "validate":
        return actions.validate_report(report, by=by)
    if action == "invalidate":
        return actions.invalidate_report(report, by=by, reason="spam")
    if action == "defer":
        return actions.defer_report(report, by=by, reason="later")
    if action == "close":
        return actions.close_report(report, by=by, reason="done")
    if action == "accept":
        return actions.accept_report(report, by=by)
    raise AssertionError(action)


# How to bring a fresh (Received) report into each state, through the actions.
PATHS: dict[str, list[str]] = {
    "received": [],
    "invalid": ["invalidate"],
    "valid": ["validate"],
    "deferred": ["validate", "defer"],
    "deferred-after-accept": ["accept", "defer"],
    "accepted": ["accept"],
    "closed": ["invalidate", "close"],
    "closed-after-accept": ["accept", "close"],
}


def report_in(world: World, name: str) -> Report:
    report = new_report(world)
    for action in PATHS[name]:
        act(report, action, world.analyst)
    report.refresh_from_db()
    assert report.state == name.split("-")[0]
    return report


# --- The table itself ------------------------------------------------------------------------------


def test_the_code_table_is_the_process_table():
    code = {(state, action): to for action, row in RM_TRANSITIONS.items() for state, to in row.items()}
    assert code == PROCESS_RM


@pytest.mark.parametrize("state", list(RM))
@pytest.mark.parametrize("action", ACTIONS)
def test_rm_next_for_every_state_and_action(state, action):
    if (state, action) in PROCESS_RM:
        assert rm_next(state, action) == PROCESS_RM[(state, action)]
    else:
        with pytest.raises(RuleViolation) as caught:
            rm_next(state, action)
        assert caught.value.rule == f"rm-{action}"
        assert RM(state).label in caught.value.message


# --- Allowed transitions, through the actions -------------------------------------------------------


def test_receive_start_to_received_writes_one_event(world):
    mark = last_event_pk()
    report = new_report(world)
    assert report.state == RM.RECEIVED
    [event] = events_since(mark)
    assert event.kind == "report.received"
    assert (event.data["old"], event.data["new"]) == (RM.START, RM.RECEIVED)
    assert event.report == report and event.actor == world.reporter


ALLOWED = [
    ("received", "validate", RM.VALID),
    ("received", "invalidate", RM.INVALID),
    ("invalid", "validate", RM.VALID),
    ("valid", "accept", RM.ACCEPTED),
    ("deferred", "accept", RM.ACCEPTED),
    ("deferred-after-accept", "accept", RM.ACCEPTED),
    ("valid", "defer", RM.DEFERRED),
    ("accepted", "defer", RM.DEFERRED),
    ("accepted", "close", RM.CLOSED),
    ("deferred", "close", RM.CLOSED),
    ("deferred-after-accept", "close", RM.CLOSED),
    ("invalid", "close", RM.CLOSED),
]


@pytest.mark.parametrize(("start", "action", "to"), ALLOWED)
def test_every_allowed_transition_writes_one_event_with_old_and_new(world, start, action, to):
    report = report_in(world, start)
    old = report.state
    mark = last_event_pk()
    act(report, action, world.analyst)
    report.refresh_from_db()
    assert report.state == to
    [event] = events_since(mark)
    assert event.kind == f"report.{action}"
    assert (event.data["old"], event.data["new"]) == (old, to)
    assert event.report_id == report.pk
    assert event.actor == world.analyst


FORBIDDEN = [
    (start, action)
    for start in PATHS
    for action in ("validate", "invalidate", "accept", "defer", "close")
    if (start.split("-")[0], action) not in PROCESS_RM
    # Accepting a Received report is allowed: it is validated first (process.md, issue 3).
    and not (start == "received" and action == "accept")
]


@pytest.mark.parametrize(("start", "action"), FORBIDDEN)
def test_every_forbidden_transition_is_refused_and_changes_nothing(world, start, action):
    report = report_in(world, start)
    rows: list[Any] = [report]
    if report.case_id:
        rows += [report.case, *report.case.participants.all()]
    assert_refused(lambda: act(report, action, world.analyst), f"rm-{action}", *rows)


def test_a_valid_report_is_not_closed_straight_away(world):
    report = report_in(world, "valid")
    error = assert_refused(lambda: actions.close_report(report, by=world.analyst), "rm-close", report)
    assert "accepted or deferred" in str(error)


# --- Accepting ----------------------------------------------------------------------------------------


def test_accepting_a_received_report_validates_first_and_records_both(world):
    report = new_report(world, product="Gizmo", version="7.2", description="SQL injection in login.")
    mark = last_event_pk()
    case = actions.accept_report(report, by=world.analyst)
    report.refresh_from_db()
    assert report.state == RM.ACCEPTED and report.case == case
    validate, accept = events_since(mark)
    assert validate.kind == "report.validate"
    assert (validate.data["old"], validate.data["new"]) == (RM.RECEIVED, RM.VALID)
    assert accept.kind == "report.accept"
    assert (accept.data["old"], accept.data["new"]) == (RM.VALID, RM.ACCEPTED)
    assert accept.case == case and accept.data["case_number"] == case.number


def test_accepting_creates_the_case_with_vulnerability_1_and_its_participants(world):
    report = new_report(world, product="Gizmo", version="7.2", description="SQL injection in login.")
    case = actions.accept_report(report, by=world.analyst)
    assert 100000 <= case.number <= 999999
    [vulnerability] = case.vulnerabilities.all()
    assert vulnerability.seq == 1
    assert vulnerability.label == f"VU#{case.number}.1"
    assert vulnerability.description == "SQL injection in login."
    [product] = vulnerability.products.all()
    assert (product.name, product.version_range) == ("Gizmo", "7.2")
    coordinator = case.participants.get(kind=Participant.Kind.COORDINATOR)
    assert coordinator.rm_state == RM.ACCEPTED
    assert coordinator.organization == world.coordinator
    reporter = case.participants.get(kind=Participant.Kind.REPORTER)
    assert reporter.user == world.reporter
    assert case.owner == world.analyst and world.analyst in case.analysts.all()
    # Nothing about disclosure happens yet.
    assert case.embargo_state == EM.NONE and case.target_publication_at is None


def test_accepting_an_anonymous_report_still_makes_a_reporter_participant(world):
    report, _ = actions.submit_report(
        ReportInput(product="Gadget", version="1", description="x", reporter_name="Anon"), by=None
    )
    case = actions.accept_report(report, by=world.analyst)
    reporter = case.participants.get(kind=Participant.Kind.REPORTER)
    assert reporter.user is None and reporter.alias == "Reporter"


def test_accepting_again_after_deferring_resumes_the_same_case(world):
    """Reading: Deferred -> accept is in the table; for a report deferred after it was accepted it
    resumes the report's own case (no second case)."""
    report = world.report
    case = world.case
    actions.defer_report(report, by=world.analyst)
    cases = Case.objects.count()
    assert actions.accept_report(report, by=world.analyst) == case
    assert Case.objects.count() == cases
    report.refresh_from_db()
    assert report.state == RM.ACCEPTED and report.case == case


def test_the_report_flags_become_claims_not_facts(world):
    report = new_report(
        world,
        is_public=True,
        public_references="https://blog.example/poc",
        is_exploited=True,
        exploited_references="seen in the wild",
    )
    mark = last_event_pk()
    case = actions.accept_report(report, by=world.analyst)
    assert (case.p_at, case.x_at, case.a_at) == (None, None, None)
    claims = {claim.fact: claim for claim in FactReport.objects.filter(case=case)}
    assert set(claims) == {"P", "A"}
    assert all(claim.is_open for claim in claims.values())
    assert claims["P"].evidence == "https://blog.example/poc"
    assert claims["A"].evidence == "seen in the wild"
    assert claims["P"].reported_by == world.reporter
    assert claims["P"].participant == case.participants.get(kind=Participant.Kind.REPORTER)
    accept = events_since(mark)[-1]
    assert accept.kind == "report.accept" and accept.data["claims"] == ["P", "A"]
    # A claim is not a fact: an embargo can still be agreed.
    case = actions.propose_embargo(case, dt.datetime.now(dt.UTC) + dt.timedelta(days=30), by=world.analyst)
    assert actions.accept_embargo(case, by=world.analyst).embargo_state == EM.ACTIVE


def test_a_report_with_a_case_is_not_accepted_twice(world):
    assert_refused(lambda: actions.accept_report(world.report, by=world.analyst), "rm-accept", world.report)


# --- Duplicates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("start", ["received", "invalid", "valid"])
def test_a_duplicate_becomes_valid_and_links_to_the_case(world, start):
    report = report_in(world, start)
    old = report.state
    mark = last_event_pk()
    actions.mark_duplicate(report, world.case, by=world.analyst)
    report.refresh_from_db()
    assert report.state == RM.VALID  # never Invalid
    assert report.case == world.case and report.is_duplicate
    [event] = events_since(mark)
    assert event.kind == "report.duplicate"
    assert (event.data["old"], event.data["new"]) == (old, RM.VALID)
    assert event.case == world.case and event.data["case_number"] == world.case.number


@pytest.mark.parametrize(
    "start", ["accepted", "deferred", "deferred-after-accept", "closed", "closed-after-accept"]
)
def test_a_report_past_triage_is_not_marked_duplicate(world, start):
    report = report_in(world, start)
    assert_refused(
        lambda: actions.mark_duplicate(report, world.case, by=world.analyst), "rm-duplicate", report
    )


def test_the_accepted_report_of_a_case_is_not_a_duplicate(world):
    other = report_in(world, "accepted")
    assert_refused(
        lambda: actions.mark_duplicate(world.report, other.case, by=world.analyst),
        "rm-duplicate",
        world.report,
        other,
    )


def test_a_duplicate_is_not_marked_twice_nor_accepted_into_a_new_case(world):
    report = new_report(world)
    actions.mark_duplicate(report, world.case, by=world.analyst)
    other = report_in(world, "accepted")
    assert_refused(
        lambda: actions.mark_duplicate(report, other.case, by=world.analyst), "report-has-case", report
    )
    assert_refused(lambda: actions.accept_report(report, by=world.analyst), "report-has-case", report)


# --- Bringing others in -----------------------------------------------------------------------------


@pytest.fixture
def other_cert(world):
    return account_actions.create_organization("Other CERT", "coordinator", by=world.admin)


def test_an_accepted_coordinator_brings_another_coordinator_in(world, other_cert):
    mark = last_event_pk()
    participant = actions.add_coordinator(world.case, other_cert, by=world.analyst)
    assert participant.kind == Participant.Kind.COORDINATOR
    assert participant.organization == other_cert
    [event] = events_since(mark)
    assert event.kind == "participant.added" and event.participant == participant


@pytest.mark.parametrize("rm_state", [s for s in RM if s != RM.ACCEPTED])
def test_only_a_participant_in_accepted_brings_others_in(world, other_cert, rm_state):
    ours = world.case.participants.get(kind=Participant.Kind.COORDINATOR)
    Participant.objects.filter(pk=ours.pk).update(rm_state=rm_state)
    assert_refused(
        lambda: actions.add_coordinator(world.case, other_cert, by=world.analyst),
        "rm-accepted-brings-others",
        world.case,
        ours,
    )


@pytest.mark.parametrize("action", ["defer", "close"])
def test_deferring_or_closing_the_case_report_stops_bringing_others_in(world, other_cert, action):
    """Reading: the case's own report carries the coordinator's RM state in that case, so the
    coordinator participant follows it (and a deferred coordinator notifies no one)."""
    actions.defer_report(world.report, by=world.analyst)
    if action == "close":
        actions.close_report(world.report, by=world.analyst, reason="Published.")
    ours = world.case.participants.get(kind=Participant.Kind.COORDINATOR)
    assert ours.rm_state == (RM.DEFERRED if action == "defer" else RM.CLOSED)
    assert_refused(
        lambda: actions.add_coordinator(world.case, other_cert, by=world.analyst),
        "rm-accepted-brings-others",
        world.case,
    )


def test_a_coordinator_is_not_brought_in_twice(world, other_cert):
    actions.add_coordinator(world.case, other_cert, by=world.analyst)
    assert_refused(
        lambda: actions.add_coordinator(world.case, other_cert, by=world.analyst),
        "one-participation",
        world.case,
    )


def test_only_coordinators_are_added_as_coordinators(world):
    assert_refused(
        lambda: actions.add_coordinator(world.case, world.other_vendor_org, by=world.analyst),
        InvalidInput,
        world.case,
        field="organization",
    )


# --- Closing or deferring leaves the embargo alone --------------------------------------------------


@pytest.mark.parametrize("steps", [["defer"], ["defer", "close"], ["close"]])
def test_closing_or_deferring_your_own_report_does_not_end_the_embargo(world, steps):
    case = actions.record_contact_attempt(world.case, by=world.analyst)
    assert case.embargo_state == EM.ACTIVE
    ends = case.embargo_ends_at
    for step in steps:
        act(world.report, step, world.analyst)
    world.report.refresh_from_db()
    assert world.report.state == (RM.CLOSED if "close" in steps else RM.DEFERRED)
    case.refresh_from_db()
    assert case.embargo_state == EM.ACTIVE
    assert case.embargo_ends_at == ends == case.target_publication_at
    kinds = set(CaseEvent.objects.filter(case=case).values_list("kind", flat=True))
    assert not any(kind.startswith("embargo.") for kind in kinds)


# --- Who triages ----------------------------------------------------------------------------------------

TRIAGE_VALUES = {
    "report_public": "no",
    "supplier_contacted": "yes",
    "report_credibility": "credible",
    "supplier_cardinality": "one",
    "supplier_engagement": "active",
    "utility": "efficient",
    "public_safety_impact": "minimal",
}

TRIAGE_ACTIONS: dict[str, Callable[[World, Report, Any], Any]] = {
    "validate": lambda w, r, by: actions.validate_report(r, by=by),
    "invalidate": lambda w, r, by: actions.invalidate_report(r, by=by),
    "defer": lambda w, r, by: actions.defer_report(r, by=by),
    "close": lambda w, r, by: actions.close_report(r, by=by),
    "accept": lambda w, r, by: actions.accept_report(r, by=by),
    "duplicate": lambda w, r, by: actions.mark_duplicate(r, w.case, by=by),
    "assign": lambda w, r, by: actions.assign_report(r, w.analyst, by=by),
    "note": lambda w, r, by: write_to_reporter(r, "hello", by=by),
    "request": lambda w, r, by: write_to_reporter(r, "Which build?", by=by, request=True),
    "triage": lambda w, r, by: actions.record_triage(r, TRIAGE_VALUES, "coordinate", by=by),
}


@pytest.mark.parametrize("persona", ["vendor", "other_vendor", "reporter", "outsider"])
@pytest.mark.parametrize("action", TRIAGE_ACTIONS)
def test_non_analysts_cannot_triage(world, persona, action):
    report = new_report(world)
    assert_refused(
        lambda: TRIAGE_ACTIONS[action](world, report, world.persona(persona)), "analyst-only", report
    )


@pytest.mark.parametrize("persona", ["analyst", "publisher", "admin"])
def test_every_coordinator_staff_role_triages(world, persona):
    report = new_report(world)
    actions.validate_report(report, by=world.persona(persona))
    assert Report.objects.get(pk=report.pk).state == RM.VALID


# --- SSVC coordinator triage is recorded ---------------------------------------------------------------


def test_record_triage_stores_values_outcome_and_the_analysts_own_choice(world):
    report = new_report(world)
    values, outcome = next(
        (values, outcome)
        for values, outcome in ssvc.table_rows(ssvc.COORDINATOR_TRIAGE)
        if outcome == "track"
    )
    mark = last_event_pk()
    decision = actions.record_triage(report, values, "coordinate", by=world.analyst, rationale="ICS")
    decision = SsvcDecision.objects.get(pk=decision.pk)
    assert decision.table == SsvcDecision.Table.TRIAGE
    assert decision.values == values
    assert decision.outcome == outcome == ssvc.triage_outcome(values)
    assert decision.chosen == "coordinate"  # advice, not a verdict
    assert decision.decided_by == world.analyst and decision.report == report
    [event] = events_since(mark)
    assert event.kind == "ssvc.triage"
    assert event.data == {"values": values, "outcome": "track", "chosen": "coordinate"}


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({**TRIAGE_VALUES, "utility": "very"}, "utility"),
        ({k: v for k, v in TRIAGE_VALUES.items() if k != "public_safety_impact"}, "public_safety_impact"),
        ({**TRIAGE_VALUES, "report_public": "YES"}, "report_public"),
        ({**TRIAGE_VALUES, "colour": "red"}, "values"),
    ],
)
def test_bad_triage_values_are_refused_naming_the_decision_point(world, values, field):
    report = new_report(world)
    error = assert_refused(
        lambda: actions.record_triage(report, values, "track", by=world.analyst),
        InvalidInput,
        report,
        field=field,
    )
    if field != "values":
        assert field in str(error)


def test_a_triage_choice_outside_the_outcomes_is_refused(world):
    report = new_report(world)
    assert_refused(
        lambda: actions.record_triage(report, TRIAGE_VALUES, "ignore", by=world.analyst),
        InvalidInput,
        report,
        field="chosen",
    )

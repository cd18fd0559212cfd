"""process.md "Case state": six facts that each flip once, their order, who may set them, and
claims that take effect only when an analyst confirms them."""

from __future__ import annotations

import pytest

from accord.cases import actions
from accord.cases.models import Case, CaseEvent, FactReport, Participant
from accord.cases.states import EM, Fact
from accord.core.actors import SYSTEM
from accord.lib.errors import InvalidInput
from accord.mailgate.models import OutboundMessage
from accord.testing import add_vendor, join_embargo
from tests.rule_helpers import assert_refused, events_since, last_event_pk

FIELD = {"P": "p_at", "X": "x_at", "A": "a_at"}


@pytest.fixture
def active(world):
    """world.case with Accord's default embargo, Active since the first contact."""
    case = actions.record_contact_attempt(world.case, by=world.analyst)
    assert case.embargo_state == EM.ACTIVE
    join_embargo(world)  # the vendors joined it: they may claim facts and negotiate
    return case


def vendor_of(world) -> Participant:
    return world.case.participants.get(organization=world.vendor_org)


# --- P, X and A flip once -------------------------------------------------------------------------


@pytest.mark.parametrize("fact", ["P", "X", "A"])
def test_an_analysts_report_takes_effect_at_once(world, fact):
    mark = last_event_pk()
    claim = actions.report_fact(world.case, fact, "https://example.org/advisory", by=world.analyst)
    case = Case.objects.get(pk=world.case.pk)
    assert getattr(case, FIELD[fact]) is not None
    assert claim.confirmed_at == getattr(case, FIELD[fact]) and claim.confirmed_by == world.analyst
    [event] = events_since(mark)
    assert event.kind == "fact.set" and event.data["fact"] == fact
    assert event.data["evidence"] == "https://example.org/advisory"


@pytest.mark.parametrize("fact", ["P", "X", "A"])
def test_each_shared_fact_flips_once(world, fact):
    actions.report_fact(world.case, fact, "first", by=world.analyst)
    assert_refused(
        lambda: actions.report_fact(world.case, fact, "again", by=world.analyst), "fact-once", world.case
    )


def test_marking_x_also_marks_p(world):
    mark = last_event_pk()
    actions.report_fact(world.case, "X", "https://exploit-db.example/1", by=world.analyst)
    case = Case.objects.get(pk=world.case.pk)
    assert case.x_at is not None and case.p_at == case.x_at
    [event] = events_since(mark)
    assert event.data["facts"] == ["X", "P"]


def test_x_after_p_sets_only_x_and_p_after_x_is_refused(world):
    actions.report_fact(world.case, "P", "blog", by=world.analyst)
    p_at = Case.objects.get(pk=world.case.pk).p_at
    mark = last_event_pk()
    actions.report_fact(world.case, "X", "exploit", by=world.analyst)
    case = Case.objects.get(pk=world.case.pk)
    assert case.p_at == p_at and case.x_at is not None  # P never flips again
    assert events_since(mark)[0].data["facts"] == ["X"]
    assert_refused(lambda: actions.report_fact(case, "P", "again", by=world.analyst), "fact-once", case)


def test_marking_a_does_not_mark_p(world):
    actions.report_fact(world.case, "A", "honeypot logs", by=world.analyst)
    case = Case.objects.get(pk=world.case.pk)
    assert case.a_at is not None
    assert case.p_at is None and case.x_at is None


@pytest.mark.parametrize(
    ("fact", "evidence", "field"),
    [
        ("V", "x", "fact"),
        ("F", "x", "fact"),
        ("Q", "x", "fact"),
        ("P", "   ", "evidence"),
        ("P", "", "evidence"),
    ],
)
def test_bad_fact_reports_are_refused(world, fact, evidence, field):
    assert_refused(
        lambda: actions.report_fact(world.case, fact, evidence, by=world.analyst),
        InvalidInput,
        world.case,
        field=field,
    )


# --- Claims ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["vendor", "reporter"])
@pytest.mark.parametrize("fact", ["P", "X", "A"])
def test_a_participants_report_is_a_claim_until_confirmed(world, active, persona, fact):
    user = world.persona(persona)
    ends = active.embargo_ends_at
    mark = last_event_pk()
    claim = actions.report_fact(active, fact, "https://paste.example/abc", by=user)
    case = Case.objects.get(pk=active.pk)
    assert getattr(case, FIELD[fact]) is None  # not a fact yet
    assert case.embargo_state == EM.ACTIVE and case.embargo_ends_at == ends
    assert claim.is_open and claim.reported_by == user
    assert claim.participant is not None  # the claim names the participant who made it
    [event] = events_since(mark)
    assert event.kind == "fact.claimed" and event.data["fact"] == fact and event.actor == user

    mark = last_event_pk()
    actions.confirm_fact(claim, by=world.analyst)
    case = Case.objects.get(pk=active.pk)
    assert getattr(case, FIELD[fact]) is not None
    [event] = events_since(mark)
    assert event.kind == "fact.confirmed" and event.actor == world.analyst
    # ... and now the embargo consequences follow (A: exit by the default policy).
    assert case.embargo_state == EM.EXITED
    assert event.data["embargo"] == {"old": EM.ACTIVE, "new": EM.EXITED}


def test_a_claim_goes_to_the_analysts_at_once(world):
    actions.assign_analysts(world.case, [world.analyst, world.publisher], by=world.analyst)
    OutboundMessage.objects.all().delete()
    actions.report_fact(world.case, "X", "https://exploit.example/widget-server", by=world.vendor)
    messages = list(OutboundMessage.objects.order_by("pk"))
    assert [m.to_email for m in messages] == [world.analyst.email, world.publisher.email]
    for message in messages:
        assert message.subject.startswith(f"[{world.case.label}] ")
        assert "exploit.example" not in message.body_text and world.case.title not in message.body_text
    # An analyst's own report is no claim: nobody is asked to confirm it.
    OutboundMessage.objects.all().delete()
    actions.report_fact(world.case, "A", "honeypot", by=world.analyst)
    assert not OutboundMessage.objects.exists()


def test_a_dismissed_claim_leaves_the_fact_unset(world, active):
    claim = actions.report_fact(active, "P", "rumour", by=world.vendor)
    mark = last_event_pk()
    actions.dismiss_fact(claim, by=world.analyst, reason="not about this product")
    case = Case.objects.get(pk=active.pk)
    assert case.p_at is None and case.embargo_state == EM.ACTIVE
    [event] = events_since(mark)
    assert event.kind == "fact.dismissed"
    claim.refresh_from_db()
    assert_refused(lambda: actions.confirm_fact(claim, by=world.analyst), "claim-open", claim, case)


def test_a_claim_is_confirmed_once(world):
    claim = actions.report_fact(world.case, "P", "blog", by=world.vendor)
    actions.confirm_fact(claim, by=world.analyst)
    assert_refused(lambda: actions.confirm_fact(claim, by=world.analyst), "claim-open", claim, world.case)
    assert_refused(lambda: actions.dismiss_fact(claim, by=world.analyst), "claim-open", claim, world.case)


def test_confirming_a_claim_of_a_fact_already_set_is_refused(world):
    claim = actions.report_fact(world.case, "P", "blog", by=world.vendor)
    actions.report_fact(world.case, "P", "advisory", by=world.analyst)
    assert_refused(lambda: actions.confirm_fact(claim, by=world.analyst), "fact-once", claim, world.case)


@pytest.mark.parametrize("persona", ["vendor", "reporter", "other_vendor", "outsider"])
def test_only_analysts_confirm_or_dismiss(world, persona):
    claim = actions.report_fact(world.case, "A", "logs", by=world.vendor)
    user = world.persona(persona)
    assert_refused(lambda: actions.confirm_fact(claim, by=user), "analyst-confirms-claims", claim, world.case)
    assert_refused(lambda: actions.dismiss_fact(claim, by=user), "analyst-confirms-claims", claim, world.case)


@pytest.mark.parametrize("persona", ["other_vendor", "outsider"])
def test_only_participants_report_facts(world, persona):
    """ "Any participant may report P, X or A": someone outside the case may not."""
    assert_refused(
        lambda: actions.report_fact(world.case, "P", "https://x", by=world.persona(persona)),
        "participants-report",
        world.case,
    )


def test_claims_wait_for_the_analysts(world):
    """The dashboard's "claims waiting for confirmation" are the open FactReports."""
    actions.report_fact(world.case, "P", "one", by=world.vendor)
    actions.report_fact(world.case, "X", "two", by=world.reporter)
    confirmed = actions.report_fact(world.case, "A", "three", by=world.vendor)
    actions.confirm_fact(confirmed, by=world.analyst)
    waiting = FactReport.objects.filter(case=world.case, confirmed_at=None, dismissed_at=None)
    assert sorted(claim.fact for claim in waiting) == ["P", "X"]


# --- V, F and D per vendor -------------------------------------------------------------------------


def test_vendor_facts_in_order_each_once(world):
    vendor = vendor_of(world)
    for fact, field in (("V", "v_at"), ("F", "f_at"), ("D", "d_at")):
        mark = last_event_pk()
        actions.set_vendor_fact(vendor, fact, by=world.vendor)
        vendor.refresh_from_db()
        assert getattr(vendor, field) is not None
        [event] = events_since(mark)
        assert event.kind == "fact.vendor" and event.data["fact"] == fact and event.participant == vendor
        assert_refused(
            lambda fact=fact: actions.set_vendor_fact(vendor, fact, by=world.vendor), "fact-once", vendor
        )


def test_f_needs_v_first(world):
    vendor = vendor_of(world)
    assert_refused(lambda: actions.set_vendor_fact(vendor, "F", by=world.analyst), "fact-order", vendor)


def test_d_needs_f_first(world):
    vendor = vendor_of(world)
    actions.set_vendor_fact(vendor, "V", by=world.analyst)
    assert_refused(lambda: actions.set_vendor_fact(vendor, "D", by=world.analyst), "fact-order", vendor)


def test_an_analyst_sets_vendor_facts_on_its_behalf(world):
    vendor = vendor_of(world)
    for fact in "VFD":
        actions.set_vendor_fact(vendor, fact, by=world.analyst)
    vendor.refresh_from_db()
    assert vendor.v_at and vendor.f_at and vendor.d_at


def test_accord_itself_may_record_v_when_the_notification_leaves(world):
    vendor = vendor_of(world)
    actions.set_vendor_fact(vendor, "V", by=SYSTEM)
    vendor.refresh_from_db()
    assert vendor.v_at is not None
    event = CaseEvent.objects.filter(kind="fact.vendor").latest("id")
    assert event.by_system and event.actor is None
    assert_refused(lambda: actions.set_vendor_fact(vendor, "F", by=SYSTEM), "vendor-sets-own-facts", vendor)
    # No actor is not Accord: a missing user may not set anything.
    assert_refused(lambda: actions.set_vendor_fact(vendor, "F", by=None), "vendor-sets-own-facts", vendor)


@pytest.mark.parametrize("persona", ["other_vendor", "reporter", "outsider"])
@pytest.mark.parametrize("fact", ["V", "F", "D"])
def test_only_that_vendor_or_an_analyst_sets_its_facts(world, persona, fact):
    """Reading: process.md says so for F and D; V (vendor aware) is about the same vendor, so
    another participant may not set it either (Accord itself may, when it notifies)."""
    vendor = vendor_of(world)
    for earlier in "VF"[: "VFD".index(fact)]:
        actions.set_vendor_fact(vendor, earlier, by=world.analyst)
    assert_refused(
        lambda: actions.set_vendor_fact(vendor, fact, by=world.persona(persona)),
        "vendor-sets-own-facts",
        vendor,
    )


def test_another_vendor_sets_its_own_facts_only(world):
    theirs = add_vendor(world.case, world.other_vendor_org)
    actions.set_vendor_fact(theirs, "V", by=world.other_vendor)
    actions.set_vendor_fact(theirs, "F", by=world.other_vendor)
    vendor = vendor_of(world)
    actions.set_vendor_fact(vendor, "V", by=world.vendor)
    assert_refused(
        lambda: actions.set_vendor_fact(vendor, "F", by=world.other_vendor), "vendor-sets-own-facts", vendor
    )


@pytest.mark.parametrize("kind", ["reporter", "coordinator"])
@pytest.mark.parametrize("fact", ["V", "F", "D"])
def test_vendor_facts_belong_to_vendors(world, kind, fact):
    participant = world.case.participants.get(kind=kind)
    assert_refused(
        lambda: actions.set_vendor_fact(participant, fact, by=world.analyst), "vendor-facts", participant
    )


@pytest.mark.parametrize("fact", ["P", "X", "A", "Z"])
def test_shared_facts_are_not_vendor_facts(world, fact):
    vendor = vendor_of(world)
    assert_refused(
        lambda: actions.set_vendor_fact(vendor, fact, by=world.analyst), InvalidInput, vendor, field="fact"
    )


def test_vendor_facts_are_per_vendor(world):
    theirs = add_vendor(world.case, world.other_vendor_org)
    actions.set_vendor_fact(vendor_of(world), "V", by=world.analyst)
    theirs.refresh_from_db()
    assert theirs.v_at is None


def test_facts_have_no_way_back():
    """No action clears a fact: "never flips back"."""
    names = [name for name in dir(actions) if not name.startswith("_")]
    assert not [name for name in names if any(word in name for word in ("unset", "clear", "revert"))]
    assert set(Fact.values) == {"V", "F", "D", "P", "X", "A"}


def test_p_while_a_vendor_is_unaware_makes_notifying_it_next(world):
    """P set while a vendor is not yet aware: the dashboard lists the case until that vendor is notified."""
    from django.test import Client

    from accord.cases.actions.participants import notify_vendors
    from accord.testing import login
    from accord.vendors import actions as vendor_actions

    vendor_actions.add_contact(world.vendor_org, "psirt@vendor-one.test", role="to", by=world.analyst)
    vendor_actions.add_contact(world.co_vendor_org, "psirt@vendor-three.test", role="to", by=world.analyst)
    vendor_actions.add_contact(
        world.invited_vendor_org, "psirt@vendor-four.test", role="to", by=world.analyst
    )
    client = login(Client(), world.analyst)
    assert (
        world.case.label
        not in client.get("/dashboard/").content.decode().split('id="dash-notify"')[1].split("</section>")[0]
    )
    actions.report_fact(world.case, "P", "https://example.org/advisory", by=world.analyst)
    section = client.get("/dashboard/").content.decode().split('id="dash-notify"')[1].split("</section>")[0]
    assert world.case.label in section
    notify_vendors(world.case, list(world.case.participants.filter(kind="vendor")), by=world.analyst)
    section = client.get("/dashboard/").content.decode().split('id="dash-notify"')[1].split("</section>")[0]
    assert world.case.label not in section

"""Vendor answers: statuses, verbatim statements with honest signature states, report-state moves."""

import datetime

import pytest

from accord.answers import actions
from accord.answers.actions import AnswerInput, StatementInput, StatusInput
from accord.answers.models import Statement, Status
from accord.cases.models import CaseEvent, Participant
from accord.cases.presenter import Viewer
from accord.cases.states import RM
from accord.conversation import actions as conversation
from accord.conversation.models import Message
from accord.lib.errors import InvalidInput, RuleViolation
from accord.testing import open_requests_of, write_privately
from accord.vendors import actions as vendor_actions
from tests.pgp_keys import make_key

TRICKY = (
    b"Vendor statement\r\nline with trailing spaces   \r\n\ttabbed line\r\n"
    + "non-ASCII: é ü 中文\r\n".encode()
    + b"<script>alert(1)</script> **not bold** [link](javascript:x)\r\n\r\n"
)


def label(stored, *, privileged: bool) -> str:
    """The signature label as the vendor's own members (privileged) or a co-participant see it."""
    viewer = Viewer(False, own_ids=frozenset({stored.participant_id} if privileged else set()))
    return viewer.signature_label(stored, stored.participant)


@pytest.fixture(scope="session")
def vendor_key(tmp_path_factory):  # type: ignore[no-untyped-def]
    return make_key(tmp_path_factory.mktemp("vendor-key"), "psirt@vendor-one.test")


@pytest.fixture(scope="session")
def stranger_key(tmp_path_factory):  # type: ignore[no-untyped-def]
    return make_key(tmp_path_factory.mktemp("stranger-key"), "someone@elsewhere.test")


@pytest.fixture
def vendor_participant(world, vendor_key):  # type: ignore[no-untyped-def]
    vendor_actions.upload_key(world.vendor_org, vendor_key.public, by=world.analyst)
    participant = Participant.objects.get(case=world.case, organization=world.vendor_org)
    participant.rm_state = RM.RECEIVED
    participant.save()
    return participant


def statement(participant: Participant) -> Statement:
    return participant.statements.order_by("-version").first()  # type: ignore[return-value]


def test_statement_bytes_survive_exactly(world, vendor_participant):
    actions.submit_answer(vendor_participant, AnswerInput(statement=StatementInput(TRICKY)), by=world.vendor)
    stored = statement(vendor_participant)
    stored.refresh_from_db()
    assert stored.text_bytes == TRICKY
    assert stored.verification == Statement.Verification.UNSIGNED


def test_clearsigned_statement_by_pinned_key_is_verified(world, vendor_participant, vendor_key):
    signed = vendor_key.clearsign(TRICKY)
    actions.submit_answer(vendor_participant, AnswerInput(statement=StatementInput(signed)), by=world.vendor)
    stored = statement(vendor_participant)
    assert stored.text_bytes == signed
    assert stored.verification == Statement.Verification.VERIFIED
    assert stored.fingerprint == vendor_key.fingerprint
    assert label(stored, privileged=True) == f"verified by {vendor_key.fingerprint}"


def test_valid_signature_by_an_unpinned_key_did_not_verify(world, vendor_participant, stranger_key):
    signed = stranger_key.clearsign(b"We are not affected.\n")
    actions.submit_answer(vendor_participant, AnswerInput(statement=StatementInput(signed)), by=world.vendor)
    stored = statement(vendor_participant)
    assert stored.verification == Statement.Verification.FAILED
    assert label(stored, privileged=True) == (
        "signature did not verify: it was made by a key that is not one of your organisation's "
        "approved OpenPGP keys"
    )
    assert label(stored, privileged=False) == "signature did not verify"  # why is not for others


def test_tampered_clearsigned_text_did_not_verify(world, vendor_participant, vendor_key):
    signed = vendor_key.clearsign(b"We will fix this in 2.2.\n").replace(b"2.2", b"9.9")
    actions.submit_answer(vendor_participant, AnswerInput(statement=StatementInput(signed)), by=world.vendor)
    assert statement(vendor_participant).verification == Statement.Verification.FAILED


def test_detached_signature_over_exact_bytes(world, vendor_participant, vendor_key):
    signature = vendor_key.detach_sign(TRICKY)
    actions.submit_answer(
        vendor_participant,
        AnswerInput(statement=StatementInput(TRICKY, signature=signature)),
        by=world.vendor,
    )
    assert statement(vendor_participant).verification == Statement.Verification.VERIFIED
    changed = TRICKY.replace(b"\r\n", b"\n", 1)  # one newline converted: no longer what was signed
    actions.submit_answer(
        vendor_participant,
        AnswerInput(statement=StatementInput(changed, signature=signature)),
        by=world.vendor,
    )
    latest = statement(vendor_participant)
    assert latest.version == 2
    assert latest.verification == Statement.Verification.FAILED


def test_anonymous_vendor_signature_shows_no_fingerprint_to_others(world, vendor_participant, vendor_key):
    vendor_participant.anonymous = True
    vendor_participant.save()
    actions.submit_answer(
        vendor_participant,
        AnswerInput(statement=StatementInput(vendor_key.clearsign(b"ok\n"))),
        by=world.vendor,
    )
    stored = statement(vendor_participant)
    assert label(stored, privileged=False) == "signed; verified by the coordinator"
    assert vendor_key.fingerprint not in label(stored, privileged=False)


def test_same_text_is_not_a_new_version_and_every_version_is_kept(world, vendor_participant):
    for text in (b"first\n", b"first\n", b"second\n"):
        actions.submit_answer(
            vendor_participant, AnswerInput(statement=StatementInput(text)), by=world.vendor
        )
    versions = list(vendor_participant.statements.order_by("version").values_list("version", "text"))
    assert [(v, bytes(t)) for v, t in versions] == [(1, b"first\n"), (2, b"second\n")]


def test_statement_over_the_size_limit_is_refused_and_nothing_stored(world, vendor_participant, settings):
    settings.STATEMENT_MAX_BYTES = 2048
    events = CaseEvent.objects.count()
    with pytest.raises(InvalidInput) as refused:
        actions.submit_answer(
            vendor_participant, AnswerInput(statement=StatementInput(b"x" * 2049)), by=world.vendor
        )
    assert refused.value.field == "statement.text"
    assert not vendor_participant.statements.exists()
    assert CaseEvent.objects.count() == events


def test_analyst_records_on_behalf_never_as_signed(world, vendor_participant, vendor_key):
    signed = vendor_key.clearsign(b"told us by phone\n")
    actions.submit_answer(vendor_participant, AnswerInput(statement=StatementInput(signed)), by=world.analyst)
    stored = statement(vendor_participant)
    assert stored.on_behalf and stored.verification == Statement.Verification.UNSIGNED
    assert label(stored, privileged=False).startswith("recorded by ")


def test_not_affected_needs_a_justification_or_an_impact_statement(world, vendor_participant):
    with pytest.raises(InvalidInput) as refused:
        actions.submit_answer(
            vendor_participant, AnswerInput(statuses=[StatusInput("1", "not_affected")]), by=world.vendor
        )
    assert refused.value.field == "statuses[0].justification"
    assert not Status.objects.exists()


@pytest.mark.parametrize(
    ("statuses", "state"),
    [
        ([StatusInput("1", "affected")], RM.VALID),
        ([StatusInput("1", "not_affected", justification="component_not_present")], RM.INVALID),
        ([StatusInput("1", "fixed", fixed_version="2.2")], RM.ACCEPTED),
        ([StatusInput("1", "affected", expected_fix_date=datetime.date(2027, 1, 1))], RM.ACCEPTED),
        ([StatusInput("1", "affected", will_not_fix=True)], RM.DEFERRED),
        ([StatusInput("1", "under_investigation")], RM.RECEIVED),
    ],
)
def test_each_answer_moves_the_vendors_report_state(world, vendor_participant, statuses, state):
    actions.submit_answer(vendor_participant, AnswerInput(statuses=statuses), by=world.vendor)
    vendor_participant.refresh_from_db()
    assert vendor_participant.rm_state == state


def test_statuses_replace_the_earlier_ones_and_fixed_sets_f(world, vendor_participant):
    actions.submit_answer(
        vendor_participant, AnswerInput(statuses=[StatusInput("1", "affected")]), by=world.vendor
    )
    label = f"{world.case.label}.1"
    actions.submit_answer(
        vendor_participant,
        AnswerInput(statuses=[StatusInput(label, "fixed", fixed_version="2.2")]),
        by=world.vendor,
    )
    assert list(vendor_participant.statuses.values_list("status", flat=True)) == ["fixed"]
    vendor_participant.refresh_from_db()
    assert vendor_participant.f_at is not None


def test_another_vendor_cannot_answer_for_this_one(world, vendor_participant):
    with pytest.raises(RuleViolation) as refused:
        actions.submit_answer(
            vendor_participant, AnswerInput(statuses=[StatusInput("1", "affected")]), by=world.other_vendor
        )
    assert refused.value.rule == "vendor-answers-own"


def test_a_vulnerability_of_another_case_is_refused(world, vendor_participant):
    with pytest.raises(InvalidInput):
        actions.submit_answer(
            vendor_participant, AnswerInput(statuses=[StatusInput("VU#1.1", "affected")]), by=world.vendor
        )


def test_need_more_information_opens_a_request_the_analyst_answers(world, vendor_participant):
    actions.submit_answer(
        vendor_participant, AnswerInput(need_more_information="Which build?"), by=world.vendor
    )
    [request] = open_requests_of(vendor_participant)
    assert request.body == "Which build?" and request.author_participant == vendor_participant
    # The analyst's reply to it answers it; an analyst then closes it, once only.
    write_privately(vendor_participant, "Build 2.1.7", by=world.analyst, reply_to=request)
    request.refresh_from_db()
    assert request.request == Message.Request.ANSWERED and not open_requests_of(vendor_participant)
    conversation.close_request(request, by=world.analyst)
    request.refresh_from_db()
    assert request.request == Message.Request.CLOSED and request.closed_by == world.analyst
    with pytest.raises(RuleViolation):
        conversation.close_request(request, by=world.analyst)


def test_addendum_is_the_coordinators(world, vendor_participant):
    addendum = actions.add_addendum(vendor_participant, "CERT notes the fix is partial.", by=world.analyst)
    assert addendum.author == world.analyst
    with pytest.raises(RuleViolation):
        actions.add_addendum(vendor_participant, "mine", by=world.vendor)


def test_each_answer_writes_one_event(world, vendor_participant):
    before = CaseEvent.objects.count()
    actions.submit_answer(
        vendor_participant,
        AnswerInput(statuses=[StatusInput("1", "affected")], statement=StatementInput(b"x\n"), share=True),
        by=world.vendor,
    )
    assert CaseEvent.objects.count() == before + 1


@pytest.mark.parametrize(
    "field",
    [("addendum", "text"), ("info", "body"), ("question", "need_more_information")],
    ids=lambda f: f[0],
)
def test_text_with_a_nul_character_is_refused_naming_the_field(world, vendor_participant, field):
    from accord.answers.actions import add_addendum

    kind, name = field
    actions.submit_answer(
        vendor_participant, AnswerInput(need_more_information="Which build?"), by=world.vendor
    )
    [request] = open_requests_of(vendor_participant)
    with pytest.raises(InvalidInput) as refused:
        if kind == "addendum":
            add_addendum(vendor_participant, "bad\x00text", by=world.analyst)
        elif kind == "info":
            write_privately(vendor_participant, "bad\x00", by=world.analyst, reply_to=request)
        else:
            actions.submit_answer(
                vendor_participant, AnswerInput(need_more_information="a\x00b"), by=world.vendor
            )
    assert refused.value.field == name
    assert list(open_requests_of(vendor_participant)) == [request]  # nothing was answered or asked

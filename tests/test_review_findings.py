"""Issue 7's review findings 1-4 and 9, each reproduced as it was reported.

Every test here failed on commit 633bd74 (before the gate returned the caller's standing and
the presenter decided what each viewer sees). They build their state through actions only, so
they read the same on that commit. Findings 5-8 have their tests beside the code they concern:
tests/test_vendors_io.py (5), tests/test_crafted_input.py and tests/test_api_conventions.py (6,
7), tests/test_participants.py, tests/test_vendors_discovery.py, tests/test_client_ip.py (8).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess

import pytest
from django.test import Client
from django.utils import timezone

from accord.answers.actions import AnswerInput, StatementInput, StatusInput, submit_answer
from accord.cases import actions
from accord.cases.actions.participants import answer_embargo, notify_vendors
from accord.cases.models import Case, CaseEvent, Participant
from accord.cases.states import EM
from accord.lib.errors import RuleViolation
from accord.testing import World, login, make_user
from accord.vendors import actions as vendor_actions
from tests.pgp_keys import TestKey as SigningKey
from tests.pgp_keys import make_key

pytestmark = pytest.mark.django_db

ARMOUR = re.compile(r"-----BEGIN PGP [A-Z ]+-----.*?-----END PGP [A-Z ]+-----", re.DOTALL)


def under_embargo(world: World) -> Case:
    """The world's case after its first contact: Accord's default embargo is Active, and no
    vendor has accepted it yet."""
    assert world.case is not None
    case = actions.record_contact_attempt(world.case, by=world.analyst, outside=True)
    assert case.embargo_state == EM.ACTIVE
    return case


def api(client: Client, method: str, path: str, body: object = None):  # type: ignore[no-untyped-def]
    data = json.dumps(body if body is not None else {})
    return getattr(client, method.lower())(path, data=data, content_type="application/json")


@pytest.fixture(scope="module")
def vendor_key(tmp_path_factory: pytest.TempPathFactory) -> SigningKey:
    return make_key(tmp_path_factory.mktemp("findings-key"), "psirt@vendor-one.test")


# --- Finding 1: an invited vendor gets the terms, accept and decline, and nothing else ----------------


def test_finding1_an_invited_vendor_cannot_propose_and_gets_no_case_back(world: World) -> None:
    case = under_embargo(world)
    client = login(Client(), world.vendor)
    ends = (timezone.now() + dt.timedelta(days=90)).replace(microsecond=0)
    response = api(
        client, "POST", f"/api/v1/cases/{case.url_ref}/embargo/propose", {"ends_at": ends.isoformat()}
    )
    assert response.status_code == 409
    assert "embargo-accept-first" in response.json()["detail"]
    assert case.title not in response.content.decode() and "Heap overflow" not in response.content.decode()
    case.refresh_from_db()
    assert case.embargo_state == EM.ACTIVE and case.embargo_proposed_ends_at is None  # no Revise
    # The web form refuses the same way.
    page = client.post(
        f"/cases/{case.url_ref}/embargo/propose/", {"ends_at": "2099-01-01T00:00", "reason": "x"}
    )
    assert page.status_code == 409 and case.title not in page.content.decode()
    case.refresh_from_db()
    assert case.embargo_state == EM.ACTIVE


def test_finding1_an_invited_vendor_files_no_claims_and_sets_no_vendor_facts(world: World) -> None:
    case = under_embargo(world)
    participant = case.participants.get(organization=world.vendor_org)
    client = login(Client(), world.vendor)
    claim = api(client, "POST", f"/api/v1/cases/{case.url_ref}/facts", {"fact": "P", "evidence": "https://x"})
    assert claim.status_code == 409 and "embargo-accept-first" in claim.json()["detail"]
    vfd = api(
        client, "POST", f"/api/v1/cases/{case.url_ref}/participants/{participant.pk}/facts", {"fact": "V"}
    )
    assert vfd.status_code == 409
    page = client.post(f"/cases/{case.url_ref}/facts/", {"fact": "P", "evidence": "https://x"})
    assert page.status_code == 409
    with pytest.raises(RuleViolation):
        actions.report_fact(case, "P", "https://x", by=world.vendor)
    with pytest.raises(RuleViolation):
        actions.set_vendor_fact(participant, "V", by=world.vendor)
    assert not case.fact_reports.exists()
    participant.refresh_from_db()
    assert participant.v_at is None
    # Accepting opens the case to it.
    answer_embargo(participant, accept=True, by=world.vendor)
    assert (
        api(client, "POST", f"/api/v1/cases/{case.url_ref}/facts", {"fact": "P", "evidence": "x"}).status_code
        == 201
    )


# --- Finding 2: a clearsigned statement shows others only its signed body ----------------------------


def _list_packets(armoured: str) -> str:
    done = subprocess.run(
        ["gpg", "--batch", "--list-packets"], input=armoured.encode(), capture_output=True, timeout=30
    )
    return done.stdout.decode(errors="replace") + done.stderr.decode(errors="replace")


def test_finding2_others_read_the_signed_body_never_the_signature(
    world: World, vendor_key: SigningKey
) -> None:
    case = under_embargo(world)
    participant = case.participants.get(organization=world.vendor_org)
    assert participant.anonymous
    co_participant = case.participants.get(organization=world.co_vendor_org)
    answer_embargo(participant, accept=True, by=world.vendor)
    answer_embargo(co_participant, accept=True, by=world.co_vendor)
    vendor_actions.upload_key(world.vendor_org, vendor_key.public, by=world.analyst)
    body = b"We are not affected.\n- Dashes stay.\n"
    submit_answer(
        participant,
        AnswerInput(
            statuses=[StatusInput("1", "not_affected", justification="component_not_present")],
            statement=StatementInput(vendor_key.clearsign(body)),
            share=True,
        ),
        by=world.vendor,
    )
    assert participant.statements.get().verification == "verified"
    co = login(Client(), world.co_vendor)
    answers = co.get(f"/api/v1/cases/{case.url_ref}/answers").json()["items"]
    shared = next(a for a in answers if a["alias"] == participant.alias)
    assert shared["statement"]["text"] == body.decode()
    page = co.get(f"/cases/{case.url_ref}/").content.decode()
    for output in (json.dumps(answers), page):
        assert "BEGIN PGP" not in output
        assert vendor_key.fingerprint not in output and "psirt@vendor-one.test" not in output
        for block in ARMOUR.findall(output):
            packets = _list_packets(block)
            assert vendor_key.fingerprint[-16:].lower() not in packets.lower()
            assert "vendor-one" not in packets
    # The vendor's own members and the coordinator still get the exact bytes, signature and all.
    own = login(Client(), world.vendor).get(f"/api/v1/cases/{case.url_ref}/answer").json()
    assert "-----BEGIN PGP SIGNATURE-----" in own["statement"]["text"]


# --- Finding 3: coordinator rights come from the staff role only ---------------------------------------


@pytest.mark.parametrize("how", ["plain member", "role removed"])
def test_finding3_the_coordinator_organisation_alone_grants_nothing(world: World, how: str) -> None:
    case = under_embargo(world)
    if how == "plain member":
        user = make_user("intern@coordinator.test", org=world.coordinator)
    else:
        user = world.publisher
        user.staff_role = ""
        user.save(update_fields=["staff_role"])
    client = login(Client(), user)
    assert client.get(f"/api/v1/cases/{case.url_ref}").status_code == 404
    assert client.get("/api/v1/cases").json()["items"] == []
    assert client.get(f"/cases/{case.url_ref}/").status_code == 404
    assert client.get(f"/api/v1/cases/{case.url_ref}/events").status_code == 404


# --- Finding 4: an answer not shared stays hidden, including what tells it -------------------------------


@pytest.mark.parametrize("status", ["not_affected", "fixed"])
def test_finding4_an_unshared_answer_shows_in_no_state_and_no_fact(world: World, status: str) -> None:
    case = under_embargo(world)
    participant = case.participants.get(organization=world.vendor_org)
    co_participant = case.participants.get(organization=world.co_vendor_org)
    answer_embargo(participant, accept=True, by=world.vendor)
    answer_embargo(co_participant, accept=True, by=world.co_vendor)
    details = (
        {"justification": "component_not_present"} if status == "not_affected" else {"fixed_version": "2"}
    )
    submit_answer(
        participant, AnswerInput(statuses=[StatusInput("1", status, **details)], share=False), by=world.vendor
    )
    participant.refresh_from_db()
    assert participant.rm_state in ("invalid", "accepted")
    co = login(Client(), world.co_vendor)
    listed = co.get(f"/api/v1/cases/{case.url_ref}/participants").json()["items"]
    seen = next(p for p in listed if p["id"] == participant.pk)
    assert seen["rm_state"] is None and seen["f_at"] is None and seen["d_at"] is None
    whole = co.get(f"/api/v1/cases/{case.url_ref}").json()
    seen = next(p for p in whole["participants"] if p["id"] == participant.pk)
    assert seen["rm_state"] is None and seen["f_at"] is None
    # The case's vendor table (the case page's participants list, later its Vendors tab).
    pages = [co.get(f"/cases/{case.url_ref}/{tab}").content.decode() for tab in ("", "vendors/")]
    rows = [
        line for page in pages for line in page.splitlines() if participant.alias in line and "<td" in line
    ]
    hidden = ("invalid", "accepted", "fixed", "not affected", "not_affected")
    assert rows and not any(word in row.lower() for row in rows for word in hidden)
    # The vendor itself and the coordinator see its state.
    own = login(Client(), world.vendor).get(f"/api/v1/cases/{case.url_ref}/participants").json()["items"]
    assert next(p for p in own if p["id"] == participant.pk)["rm_state"] == participant.rm_state


# --- Finding 9: a notification that reached nobody; a proposal pending at the first contact -----------


def test_finding9a_a_notification_that_reached_nobody_starts_nothing(world: World) -> None:
    case = world.case
    assert case is not None
    vendors = list(case.participants.filter(kind=Participant.Kind.VENDOR))  # none has a contact address
    result = notify_vendors(case, vendors, by=world.analyst)
    assert result["notified"] == [] and len(result["unreachable"]) == len(vendors)
    case.refresh_from_db()
    assert case.first_contact_at is None and case.target_publication_at is None
    assert case.embargo_state == EM.NONE
    assert not CaseEvent.objects.filter(case=case, kind__in=["vendors.notified", "contact.attempt"]).exists()
    response = api(login(Client(), world.analyst), "POST", f"/api/v1/cases/{case.url_ref}/notify", {})
    assert response.status_code == 200 and response.json()["notified"] == []
    assert (
        login(Client(), world.analyst).get(f"/api/v1/cases/{case.url_ref}").json()["target_publication_at"]
        is None
    )


@pytest.mark.parametrize("days, state", [(20, EM.ACTIVE), (80, EM.REVISE)])
def test_finding9b_a_pending_proposal_meets_the_first_contact(world: World, settings, days, state) -> None:  # type: ignore[no-untyped-def]
    case = world.case
    assert case is not None
    proposed = (timezone.now() + dt.timedelta(days=days)).replace(microsecond=0)
    case = actions.propose_embargo(case, proposed, by=world.analyst, reason="the reporter's date")
    assert case.embargo_state == EM.PROPOSED
    vendor_actions.add_contact(world.co_vendor_org, "psirt@vendor-three.test", role="to", by=world.analyst)
    co_participant = case.participants.get(organization=world.co_vendor_org)
    notify_vendors(case, [co_participant], by=world.analyst)
    case.refresh_from_db()
    policy_end = case.first_contact_at + dt.timedelta(days=settings.DISCLOSURE_DAYS)  # type: ignore[operator]
    # The vendor is never notified into a case without an embargo in force: the shorter end wins.
    assert case.embargo_state == state
    assert case.embargo_ends_at == min(proposed, policy_end) == case.target_publication_at
    if state == EM.REVISE:
        assert case.embargo_proposed_ends_at == proposed  # the longer end waits for the analysts
    else:
        assert case.embargo_proposed_ends_at is None
    # The vendor meets the terms, and only the terms, until it accepts.
    terms = login(Client(), world.co_vendor).get(f"/api/v1/cases/{case.url_ref}").json()
    assert terms.get("needs_embargo_answer") is True and "title" not in terms


def test_finding9_attacks_make_a_proposed_embargo_none(world: World) -> None:
    case = world.case
    assert case is not None
    case = actions.propose_embargo(case, timezone.now() + dt.timedelta(days=30), by=world.analyst)
    actions.report_fact(case, "A", "honeypot logs", by=world.analyst)
    case.refresh_from_db()
    assert case.embargo_state == EM.NONE and case.embargo_proposed_ends_at is None

"""Anonymity holds on every route (process.md "Anonymity in multiparty cases").

In the world, Vendor One participates anonymously. It pins a key and submits a verified,
clearsigned statement that it shares, so there is something to leak. Every GET route (pages
and API) is then requested as the co-participant (Vendor Three) and as a vendor outside the
case, and no answer may contain Vendor One's name, its members' emails or its key's fingerprint.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from accord.answers.actions import AnswerInput, StatementInput, StatusInput, submit_answer
from accord.cases import actions
from accord.cases.actions.participants import answer_embargo
from accord.core.routes import all_routes
from accord.testing import World, login
from accord.vendors import actions as vendor_actions
from tests.pgp_keys import TestKey as SigningKey
from tests.pgp_keys import make_key
from tests.test_authorization_matrix import PARAM, expand, samples

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def vendor_key(tmp_path_factory: pytest.TempPathFactory) -> SigningKey:
    return make_key(tmp_path_factory.mktemp("anonymity-key"), "psirt@vendor-one.test")


@pytest.fixture
def leaky_world(world: World, vendor_key: SigningKey) -> World:
    """Vendor One (anonymous) has joined the embargo, answered and shared a verified statement."""
    case = world.case
    assert case is not None
    case = actions.record_contact_attempt(
        case, by=world.analyst, at=timezone.now() - dt.timedelta(hours=1), outside=True
    )
    world.case = case
    participant = case.participants.get(organization=world.vendor_org)
    co_participant = case.participants.get(organization=world.co_vendor_org)
    assert participant.anonymous and not co_participant.anonymous
    answer_embargo(participant, accept=True, by=world.vendor)
    answer_embargo(co_participant, accept=True, by=world.co_vendor)
    vendor_actions.upload_key(world.vendor_org, vendor_key.public, by=world.analyst)
    answer = submit_answer(
        participant,
        AnswerInput(
            statuses=[StatusInput("1", "fixed", fixed_version="2.2")],
            statement=StatementInput(vendor_key.clearsign(b"Fixed in 2.2.\n")),
            share=True,
        ),
        by=world.vendor,
    )
    statement = participant.statements.get()
    assert statement.verification == "verified" and statement.fingerprint == vendor_key.fingerprint
    assert answer.share
    actions.set_vendor_fact(participant, "D", by=world.vendor)
    return world


def secrets_of(world: World, key: SigningKey) -> list[str]:
    emails = list(world.vendor_org.memberships.values_list("user__email", flat=True))
    assert "psirt@vendor-one.test" in emails
    return ["Vendor One", key.fingerprint, key.fingerprint.lower(), *emails]


def get_routes(values: dict[str, str]) -> list[tuple[str, str]]:
    """(kind, url) of every GET route whose parameters all have sample values."""
    found = []
    for route in all_routes():
        if "GET" not in route.methods or route.name == "admin":
            continue
        names = {m.group("name") for m in PARAM.finditer(route.pattern)}
        if names - set(values):
            continue
        if "token" in names:
            continue  # an invitation's secret link names the organisation it invites to, by design
        found.append((route.kind, expand(route, values)))
    return found


@pytest.mark.parametrize("persona", ["co_vendor", "other_vendor"])
def test_no_route_unmasks_the_anonymous_vendor(
    leaky_world: World, vendor_key: SigningKey, persona: str
) -> None:
    world = leaky_world
    values = samples(world)
    secrets = secrets_of(world, vendor_key)
    client = login(Client(), world.persona(persona))
    routes = get_routes(values)
    assert len(routes) > 20
    leaks = []
    ok = 0
    for kind, url in routes:
        response = client.get(url)
        assert response.status_code < 500, f"{url}: {response.status_code}"
        ok += response.status_code == 200
        body = b"".join(response.streaming_content) if response.streaming else response.content
        text = body.decode("utf-8", errors="replace")
        for secret in secrets:
            if secret in text:
                leaks.append(f"{kind} {url} ({response.status_code}) shows {secret!r}")
    assert ok > 5
    assert not leaks, "\n".join(leaks)


def test_the_events_and_answers_name_the_anonymous_vendor_by_alias(
    leaky_world: World, vendor_key: SigningKey
) -> None:
    world = leaky_world
    case = world.case
    assert case is not None
    alias = case.participants.get(organization=world.vendor_org).alias
    client = login(Client(), world.co_vendor)
    events = client.get(f"/api/v1/cases/{case.url_ref}/events?limit=500")
    assert events.status_code == 200
    items = events.json()["items"]
    about = [e for e in items if e["kind"] in ("embargo.joined", "answer.submitted", "case.vendor_fact")]
    assert about and alias in {e["participant"] for e in about}
    answers = client.get(f"/api/v1/cases/{case.url_ref}/answers").json()["items"]
    shared = next(a for a in answers if a["alias"] == alias)
    assert shared["name"] is None
    assert shared["statement"]["label"] == "signed; verified by the coordinator"
    assert shared["statement"]["fingerprint"] is None
    case_page = [
        u for k, u in get_routes(samples(world)) if k == "page" and re.search(r"/events|timeline", u)
    ]
    for url in case_page:
        page = client.get(url)
        assert page.status_code in (200, 302, 404)
        assert "Vendor One" not in page.content.decode()
    # The coordinator and Vendor One's own members see the name and the fingerprint.
    for user in (world.analyst, world.vendor):
        own = login(Client(), user).get(f"/api/v1/cases/{case.url_ref}/answers").json()["items"]
        mine = next(a for a in own if a["alias"] == alias)
        assert mine["name"] == "Vendor One"
        assert mine["statement"]["fingerprint"] == vendor_key.fingerprint


def test_another_vendors_own_events_and_details_stay_private(world):
    """A vendor's tracking id, its answers and the coordinator's notes stay off co-participants' timelines."""
    from django.test import Client

    from accord.answers.actions import AnswerInput, StatusInput, submit_answer
    from accord.cases.actions import participants
    from accord.cases.models import Participant
    from accord.testing import login

    mine = Participant.objects.get(case=world.case, organization=world.vendor_org)
    mine.embargo_answer = Participant.EmbargoAnswer.ACCEPTED
    mine.save()
    participants.set_tracking_id(mine, "PSIRT-SECRET-4711", by=world.vendor)
    submit_answer(mine, AnswerInput(statuses=[StatusInput("1", "affected")]), by=world.vendor)
    from accord.cases import actions

    actions.record_contact_attempt(
        world.case, by=world.analyst, outside=True, note="phoned their CTO privately"
    )
    theirs = Participant.objects.get(case=world.case, organization__memberships__user=world.co_vendor)
    theirs.embargo_answer = Participant.EmbargoAnswer.ACCEPTED
    theirs.save()
    for client in (login(Client(), world.co_vendor),):
        api = client.get(f"/api/v1/cases/{world.case.url_ref}/events?limit=500").content.decode()
        page = client.get(f"/cases/{world.case.url_ref}/").content.decode()
        for body in (api, page):
            assert "PSIRT-SECRET-4711" not in body
            assert "phoned their CTO" not in body
            assert "answer.submitted" not in body
    own = login(Client(), world.vendor).get(f"/api/v1/cases/{world.case.url_ref}/events?limit=500").json()
    assert any(item["kind"] == "participant.tracking_id" for item in own["items"])

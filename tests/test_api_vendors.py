"""API parity for vendors: adding and notifying vendors, joining the embargo, the four-question
answer with its verbatim statement, and constant query counts with 2,000 vendors."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accord.accounts.models import Membership, Organization
from accord.answers.actions import AnswerInput, StatementInput, StatusInput, submit_answer
from accord.answers.models import Statement
from accord.cases import actions
from accord.cases.actions.participants import answer_embargo, set_member_access
from accord.cases.actions.reports import ReportInput
from accord.cases.models import Case, CaseEvent, Participant
from accord.cases.states import RM
from accord.testing import World, login, make_user
from accord.vendors import actions as vendor_actions
from tests.pgp_keys import TestKey as SigningKey
from tests.pgp_keys import make_key
from tests.test_api_reports import call

pytestmark = pytest.mark.django_db


def url(case: Case, rest: str = "") -> str:
    return f"/api/v1/cases/VU{case.number}{rest}"


def analyst(world: World) -> Client:
    return login(Client(), world.analyst)


def the_case(world: World) -> Case:
    assert world.case is not None
    return world.case


def vendor_participant(world: World) -> Participant:
    return the_case(world).participants.get(organization=world.vendor_org)


def activate_embargo(world: World) -> Case:
    """The first contact attempt starts the default embargo, Active at once."""
    return actions.record_contact_attempt(
        the_case(world), by=world.analyst, at=timezone.now() - dt.timedelta(hours=1), outside=True
    )


def accept(world: World, org: Organization, user: Any) -> None:
    answer_embargo(the_case(world).participants.get(organization=org), accept=True, by=user)


@pytest.fixture(scope="module")
def vendor_key(tmp_path_factory: pytest.TempPathFactory) -> SigningKey:
    return make_key(tmp_path_factory.mktemp("api-vendor-key"), "psirt@vendor-one.test")


# --- Adding vendors -----------------------------------------------------------------------------


def vendors(*names: str) -> list[Organization]:
    return [Organization.objects.create(name=n, kind="vendor") for n in names]


def test_add_vendors_by_id_and_by_name(world: World) -> None:
    case = the_case(world)
    a, b = vendors("Acme Corp", "Beta Systems")
    response = call(
        analyst(world), "POST", url(case, "/participants"), {"organizations": [a.pk, "BETA systems"]}
    )
    assert response.status_code == 201, response.content
    added = response.json()["participants"]
    assert [p["name"] for p in added] == ["Acme Corp", "Beta Systems"]
    assert [p["organization"] for p in added] == [a.pk, b.pk]
    assert all(p["alias"].startswith("Vendor ") for p in added)
    assert len({p.alias for p in case.participants.all()}) == case.participants.count()
    assert case.participants.filter(organization__in=[a, b], anonymous=False).count() == 2


def test_add_vendors_anonymously(world: World) -> None:
    case = the_case(world)
    (a,) = vendors("Hidden Inc")
    response = call(
        analyst(world),
        "POST",
        url(case, "/participants"),
        {"organizations": ["hidden inc"], "anonymous": True},
    )
    assert response.status_code == 201, response.content
    assert case.participants.get(organization=a).anonymous
    listed = call(login(Client(), world.co_vendor), "GET", url(case, "/participants")).json()["items"]
    hidden = next(p for p in listed if p["id"] == response.json()["participants"][0]["id"])
    assert hidden["name"] is None and hidden["organization"] is None
    assert "Hidden Inc" not in json.dumps(listed)


def test_unknown_and_ambiguous_names_are_all_listed_and_nothing_is_added(world: World) -> None:
    case = the_case(world)
    vendors("Twin", "TWIN", "Single")
    Organization.objects.create(name="A Coordinator", kind="coordinator")
    before = case.participants.count()
    events = CaseEvent.objects.count()
    response = call(
        analyst(world),
        "POST",
        url(case, "/participants"),
        {"organizations": ["Single", "Nobody", "twin", 999999, "A Coordinator"]},
    )
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["detail"]
    assert body["errors"] == [
        {"field": "organizations[1]", "message": "no organisation named 'Nobody'"},
        {"field": "organizations[2]", "message": "'twin' matches 2 organisations"},
        {"field": "organizations[3]", "message": "no vendor organisation with id 999999"},
        {"field": "organizations[4]", "message": "no organisation named 'A Coordinator'"},
    ]
    assert case.participants.count() == before
    assert CaseEvent.objects.count() == events


def test_adding_a_vendor_twice_is_refused(world: World) -> None:
    response = call(
        analyst(world), "POST", url(the_case(world), "/participants"), {"organizations": ["Vendor One"]}
    )
    assert response.status_code == 409
    assert "rule: one-participation" in response.json()["detail"]


def test_adding_vendors_is_for_analysts(world: World) -> None:
    body = {"organizations": ["Vendor Two"]}
    assert (
        call(login(Client(), world.vendor), "POST", url(the_case(world), "/participants"), body).status_code
        == 403
    )
    for bad in ({"organizations": []}, {"organizations": ["x"], "bogus": 1}, {}):
        response = call(analyst(world), "POST", url(the_case(world), "/participants"), bad)
        assert response.status_code == 400, bad
    too_many = {"organizations": list(range(1, 2002))}
    response = call(analyst(world), "POST", url(the_case(world), "/participants"), too_many)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "organizations"


def test_two_thousand_vendors_in_one_request(world: World) -> None:
    case = the_case(world)
    orgs = Organization.objects.bulk_create(
        [Organization(name=f"Bulk Vendor {i:04}", kind="vendor") for i in range(2000)]
    )
    names = [o.name.upper() if i % 2 else o.pk for i, o in enumerate(orgs)]
    client = analyst(world)
    with CaptureQueriesContext(connection) as queries:
        response = call(client, "POST", url(case, "/participants"), {"organizations": names})
    assert response.status_code == 201, response.content[:500]
    assert len(response.json()["participants"]) == 2000
    assert case.participants.filter(kind="vendor").count() == 2003
    lookups = [
        q["sql"] for q in queries.captured_queries if "LOWER" in q["sql"].upper() and "IN (" in q["sql"]
    ]
    assert len(lookups) == 1  # the names are resolved in one query
    # One unknown name among 2,000 adds nothing and names the entry.
    case2 = actions.accept_report(
        actions.submit_report(ReportInput(product="P", version="1", description="d", credit=False), by=None)[
            0
        ],
        by=world.analyst,
    )
    refused = call(client, "POST", url(case2, "/participants"), {"organizations": [*names[:1999], "Nope"]})
    assert refused.status_code == 400
    assert refused.json()["errors"] == [
        {"field": "organizations[1999]", "message": "no organisation named 'Nope'"}
    ]
    assert not case2.participants.filter(kind="vendor").exists()


# --- Notifying ----------------------------------------------------------------------------------


def test_notify_all_not_yet_notified_then_some(world: World) -> None:
    case = the_case(world)
    vendor_actions.add_contact(world.vendor_org, "security@vendor-one.test", by=world.analyst)
    client = analyst(world)
    response = call(client, "POST", url(case, "/notify"), {})
    assert response.status_code == 200, response.content
    body = response.json()
    assert [p["name"] for p in body["notified"]] == ["Vendor One"]
    assert [p["name"] for p in body["unreachable"]] == ["Vendor Three", "Vendor Four"]
    participant = vendor_participant(world)
    assert participant.rm_state == RM.RECEIVED and participant.first_contact_at is not None
    case.refresh_from_db()
    assert case.first_contact_at is not None
    again = call(client, "POST", url(case, "/notify"), {"participants": [participant.pk]})
    assert again.status_code == 200
    bad = call(client, "POST", url(case, "/notify"), {"participants": [999999]})
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "participants"
    assert call(login(Client(), world.vendor), "POST", url(case, "/notify"), {}).status_code == 403


# --- Joining the embargo ------------------------------------------------------------------------


def test_a_vendor_sees_only_the_terms_until_it_accepts(world: World) -> None:
    case = activate_embargo(world)
    client = login(Client(), world.vendor)
    terms = call(client, "GET", url(case))
    assert terms.status_code == 200
    assert set(terms.json()) == {"id", "embargo", "target_publication_at", "needs_embargo_answer"}
    assert terms.json()["needs_embargo_answer"] is True
    assert "Widget" not in terms.content.decode()
    for method, rest in (("GET", "/answer"), ("GET", "/events"), ("GET", "/participants")):
        refused = call(client, method, url(case, rest))
        assert refused.status_code == 409, rest
        assert "rule: embargo-accept-first" in refused.json()["detail"]
    put = call(client, "PUT", url(case, "/answer"), {"need_more_information": "?"})
    assert put.status_code == 409 and "embargo-accept-first" in put.json()["detail"]
    listed = call(client, "GET", "/api/v1/cases").json()["items"]
    assert [(c["id"], c["needs_embargo_answer"], "title" in c) for c in listed] == [(case.label, True, False)]
    accepted = call(client, "POST", url(case, "/embargo/accept"))
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["title"] == case.title
    assert vendor_participant(world).embargo_answer == "accepted"
    assert CaseEvent.objects.filter(case=case, kind="embargo.joined").count() == 1
    assert call(client, "GET", url(case)).json()["title"] == case.title
    again = call(client, "POST", url(case, "/embargo/accept"))
    assert again.status_code == 409 and "embargo-answer-once" in again.json()["detail"]
    # The analyst still sees everything, and the analyst's accept means accepting a proposal.
    assert "title" in call(analyst(world), "GET", url(case)).json()
    refused = call(analyst(world), "POST", url(case, "/embargo/accept"))
    assert refused.status_code == 409


def test_declining_hides_the_case(world: World) -> None:
    case = activate_embargo(world)
    client = login(Client(), world.co_vendor)
    declined = call(client, "POST", url(case, "/embargo/decline"))
    assert declined.status_code == 200, declined.content
    assert declined.json()["embargo_answer"] == "declined"
    assert call(client, "GET", url(case)).status_code == 404
    assert call(client, "GET", "/api/v1/cases").json()["items"] == []
    refused = call(analyst(world), "POST", url(case, "/embargo/decline"))
    assert refused.status_code == 409 and "rule:" in refused.json()["detail"]
    reporter = call(login(Client(), world.reporter), "POST", url(case, "/embargo/decline"))
    assert reporter.status_code == 409


def test_declining_without_an_active_embargo_is_refused(world: World) -> None:
    response = call(login(Client(), world.vendor), "POST", url(the_case(world), "/embargo/decline"))
    assert response.status_code == 409 and "rule: embargo-active" in response.json()["detail"]


def test_list_cases_respects_member_access_and_declines(world: World) -> None:
    case = the_case(world)
    colleague = make_user("colleague@vendor-one.test", org=world.vendor_org)
    assert [c["id"] for c in call(login(Client(), colleague), "GET", "/api/v1/cases").json()["items"]] == [
        case.label
    ]
    set_member_access(vendor_participant(world), [world.vendor], by=world.vendor)
    assert call(login(Client(), colleague), "GET", "/api/v1/cases").json()["items"] == []
    assert call(login(Client(), colleague), "GET", url(case)).status_code == 404
    assert len(call(login(Client(), world.vendor), "GET", "/api/v1/cases").json()["items"]) == 1
    assert Membership.objects.filter(user=colleague).exists()


# --- Answers ------------------------------------------------------------------------------------

TRICKY = "Line one\r\nTrailing spaces   \n\tTabbed\n<b>not bold</b> *not em* — ünïcödé\r\n\n"


def test_put_and_get_answer_keeps_the_statement_exact(world: World) -> None:
    case = the_case(world)
    client = login(Client(), world.vendor)
    body = {
        "statuses": [
            {
                "vulnerability": f"{case.label}.1",
                "status": "fixed",
                "fixed_version": "2.2",
                "release_reference": "https://vendor.test/2.2",
                "expected_fix_date": "2026-12-01",
            },
        ],
        "statement": {"text": TRICKY, "share": True, "references": "https://vendor.test/advisory"},
        "need_more_information": "Which build did you test?",
    }
    response = call(client, "PUT", url(case, "/answer"), body)
    assert response.status_code == 200, response.content
    answer = response.json()
    assert answer["statuses"][0]["status"] == "fixed"
    assert answer["statuses"][0]["fixed_version"] == "2.2"
    assert answer["statuses"][0]["expected_fix_date"] == "2026-12-01"
    assert answer["statement"]["text"] == TRICKY
    assert answer["statement"]["text_base64"] is None
    assert answer["statement"]["verification"] == "unsigned"
    assert answer["statement"]["version"] == 1
    assert answer["share"] is True
    [request] = answer["open_info_requests"]  # a message in the vendor's private thread
    assert request["text"] == "Which build did you test?" and request["asked_by"] == "participant"
    stored = Statement.objects.get(participant=vendor_participant(world))
    assert stored.text_bytes == TRICKY.encode("utf-8")
    assert call(client, "GET", url(case, "/answer")).json() == answer
    # The same text again is no new version; a different one is.
    call(client, "PUT", url(case, "/answer"), {"statement": {"text": TRICKY}})
    assert Statement.objects.filter(participant=vendor_participant(world)).count() == 1
    changed = call(client, "PUT", url(case, "/answer"), {"statement": {"text": TRICKY + " "}}).json()
    assert changed["statement"]["version"] == 2 and changed["statement_versions"] == 2
    # Statuses replace the earlier ones.
    replaced = call(
        client,
        "PUT",
        url(case, "/answer"),
        {
            "statuses": [
                {"vulnerability": "1", "status": "not_affected", "justification": "component_not_present"}
            ]
        },
    ).json()
    assert [s["status"] for s in replaced["statuses"]] == ["not_affected"]


def test_bad_status_and_bad_bodies_answer_400(world: World) -> None:
    case = the_case(world)
    client = login(Client(), world.vendor)
    bad = call(
        client, "PUT", url(case, "/answer"), {"statuses": [{"vulnerability": "1", "status": "vulnerable"}]}
    )
    assert bad.status_code == 400
    assert [e["field"] for e in bad.json()["errors"]] == ["statuses[0].status"]
    missing = call(
        client, "PUT", url(case, "/answer"), {"statuses": [{"vulnerability": "1", "status": "fixed"}]}
    )
    assert missing.status_code == 400 and missing.json()["errors"][0]["field"] == "statuses[0].fixed_version"
    unknown = call(
        client, "PUT", url(case, "/answer"), {"statuses": [{"vulnerability": "9", "status": "affected"}]}
    )
    assert unknown.status_code == 400 and unknown.json()["errors"][0]["field"] == "statuses[0].vulnerability"
    extra = call(client, "PUT", url(case, "/answer"), {"statement": {"text": "x", "bogus": 1}})
    assert extra.status_code == 400
    surrogate = call(client, "PUT", url(case, "/answer"), '{"statement": {"text": "\\ud800"}}')
    assert surrogate.status_code == 400 and surrogate.json()["errors"][0]["field"] == "statement.text"
    assert not Statement.objects.exists()


def test_a_signed_statement_shows_its_verification(world: World, vendor_key: SigningKey) -> None:
    case = the_case(world)
    vendor_actions.upload_key(world.vendor_org, vendor_key.public, by=world.analyst)
    text = "We fixed it in 2.2.\r\n"
    signature = vendor_key.detach_sign(text.encode())
    client = login(Client(), world.vendor)
    answer = call(
        client, "PUT", url(case, "/answer"), {"statement": {"text": text, "signature": signature}}
    ).json()
    assert answer["statement"]["verification"] == "verified"
    assert answer["statement"]["fingerprint"] == vendor_key.fingerprint
    assert answer["statement"]["label"] == f"verified by {vendor_key.fingerprint}"
    assert answer["statement"]["signature"] == signature
    tampered = call(
        client, "PUT", url(case, "/answer"), {"statement": {"text": text + "x", "signature": signature}}
    ).json()
    assert tampered["statement"]["verification"] == "failed"
    assert tampered["statement"]["label"] == (
        "signature did not verify: the text was changed after it was signed"
    )


def test_analysts_answer_on_behalf_naming_the_vendor(world: World) -> None:
    case = the_case(world)
    client = analyst(world)
    missing = call(client, "GET", url(case, "/answer"))
    assert missing.status_code == 400 and missing.json()["errors"][0]["field"] == "organization"
    assert call(client, "GET", url(case, "/answer?organization=Nobody")).status_code == 400
    put = call(
        client,
        "PUT",
        url(case, "/answer?organization=vendor one"),
        {"statuses": [{"vulnerability": "1", "status": "affected"}], "statement": {"text": "By phone."}},
    )
    assert put.status_code == 200, put.content
    assert put.json()["statuses"][0]["on_behalf"] is True
    assert put.json()["statement"]["on_behalf"] is True
    assert put.json()["statement"]["verification"] == "unsigned"
    by_id = call(client, "GET", url(case, f"/answer?organization={world.vendor_org.pk}")).json()
    assert by_id == put.json()
    assert by_id["name"] == "Vendor One"


def test_an_answer_that_is_not_valid_utf8_comes_with_base64(world: World) -> None:
    raw = b"Caf\xe9 \xff\r\n"
    submit_answer(vendor_participant(world), AnswerInput(statement=StatementInput(raw)), by=world.vendor)
    answer = call(login(Client(), world.vendor), "GET", url(the_case(world), "/answer")).json()
    assert base64.b64decode(answer["statement"]["text_base64"]) == raw
    assert "\ufffd" in answer["statement"]["text"]


def test_a_co_participant_sees_shared_answers_only_and_anonymously(
    world: World, vendor_key: SigningKey
) -> None:
    case = the_case(world)
    vendor_actions.upload_key(world.vendor_org, vendor_key.public, by=world.analyst)
    participant = vendor_participant(world)
    signed = vendor_key.clearsign(b"We are not affected.\n")
    submit_answer(
        participant,
        AnswerInput(
            statuses=[StatusInput("1", "not_affected", justification="component_not_present")],
            statement=StatementInput(signed),
        ),
        by=world.vendor,
    )
    co = login(Client(), world.co_vendor)
    listed = call(co, "GET", url(case, "/answers")).json()["items"]
    assert [i["name"] for i in listed] == ["Vendor Three"]  # its own only: Vendor One did not share
    submit_answer(participant, AnswerInput(share=True), by=world.vendor)
    items = [i for i in call(co, "GET", url(case, "/answers")).json()["items"] if i["name"] != "Vendor Three"]
    assert len(items) == 1
    seen = items[0]
    assert seen["name"] is None and seen["alias"] == participant.alias
    assert seen["statement"]["label"] == "signed; verified by the coordinator"
    assert seen["statement"]["fingerprint"] is None
    assert seen["statement"]["detail"] is None and seen["statement"]["signature"] is None
    assert seen["open_info_requests"] == [] and seen["addenda"] == []
    text = json.dumps(items)
    assert "Vendor One" not in text and vendor_key.fingerprint not in text
    # The co-vendor's own answer reads its own organisation only.
    own = call(co, "GET", url(case, "/answer")).json()
    assert own["name"] == "Vendor Three" and own["statement"] is None
    # Analysts see the fingerprint.
    every = call(analyst(world), "GET", url(case, "/answers")).json()["items"]
    assert every[0]["statement"]["fingerprint"] == vendor_key.fingerprint
    assert len(every) == 3


def test_answer_routes_are_for_participants(world: World) -> None:
    case = the_case(world)
    for persona in (world.other_vendor, world.outsider):
        client = login(Client(), persona)
        assert call(client, "GET", url(case, "/answer")).status_code == 404
        assert call(client, "PUT", url(case, "/answer"), {}).status_code == 404
    # The reporter is in the case but is no vendor: nothing to answer.
    reporter = call(login(Client(), world.reporter), "GET", url(case, "/answer"))
    assert reporter.status_code == 409 and "rule: vendors-answer" in reporter.json()["detail"]


# --- Constant query counts ----------------------------------------------------------------------


def case_with_vendors(world: World, count: int) -> Case:
    """A case with `count` vendor participants (bulk-made), Vendor One (anonymous, with an answer) and
    Vendor Three among them."""
    report, _ = actions.submit_report(
        ReportInput(product=f"Bulk {count}", version="1", description="bug", credit=False), by=None
    )
    case = actions.accept_report(report, by=world.analyst)
    actions.add_vulnerability(case, by=world.analyst, cve="CVE-2026-0001")
    orgs = Organization.objects.bulk_create(
        [Organization(name=f"Bulk vendor {count}-{i}", kind="vendor") for i in range(count - 2)]
    )
    Participant.objects.bulk_create(
        [
            Participant(
                case=case,
                kind=Participant.Kind.VENDOR,
                organization=org,
                alias=f"Bulk {i + 1}",
                anonymous=i % 3 == 0,
                rm_state=RM.RECEIVED,
            )
            for i, org in enumerate(orgs)
        ]
    )
    for org, anonymous in ((world.vendor_org, True), (world.co_vendor_org, False)):
        Participant.objects.create(
            case=case,
            kind=Participant.Kind.VENDOR,
            organization=org,
            alias=f"Named {org.pk}",
            anonymous=anonymous,
            rm_state=RM.RECEIVED,
        )
    for org, user in ((world.vendor_org, world.vendor), (world.co_vendor_org, world.co_vendor)):
        submit_answer(
            case.participants.get(organization=org),
            AnswerInput(
                statuses=[StatusInput("1", "affected")],
                statement=StatementInput(b"statement\n"),
                need_more_information="?",
                share=True,
            ),
            by=user,
        )
    return case


ROUTES = ("", "/participants?limit=500", "/answer?organization={org}", "/answers?limit=500")


@pytest.mark.parametrize("persona", ["analyst", "co_vendor"])
@pytest.mark.parametrize("rest", ROUTES)
def test_the_same_queries_with_2_or_2000_vendors(
    world: World, persona: str, rest: str, django_assert_num_queries: Any
) -> None:
    small, big = case_with_vendors(world, 2), case_with_vendors(world, 2000)
    assert small.participants.filter(kind="vendor").count() == 2
    client = login(Client(), world.persona(persona))
    path = rest.format(org=world.vendor_org.pk)
    call(client, "GET", url(small, path))  # warm up (session, caches)
    with CaptureQueriesContext(connection) as queries:
        response = call(client, "GET", url(small, path))
    assert response.status_code == 200, response.content
    with django_assert_num_queries(len(queries)):
        response = call(client, "GET", url(big, path))
    assert response.status_code == 200
    print(f"GET /cases/{{case}}{rest} as {persona}: {len(queries)} queries with 2 and with 2,000 vendors")


def test_openapi_documents_the_vendor_routes(world: World) -> None:
    paths = Client().get("/api/v1/openapi.json").json()["paths"]
    for path in ("participants", "notify", "answer", "answers", "embargo/decline"):
        assert f"/api/v1/cases/{{case}}/{path}" in paths
    accept = paths["/api/v1/cases/{case}/embargo/accept"]["post"]["description"]
    assert "analyst" in accept.lower() and "member" in accept.lower()

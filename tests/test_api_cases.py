"""The cases API: the case, its timeline, vulnerabilities, embargo, facts, SSVC and the disclosure policy."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accord.accounts.models import Organization
from accord.cases import actions
from accord.cases.actions.participants import answer_embargo
from accord.cases.actions.reports import ReportInput
from accord.cases.models import Case, CaseEvent, Participant, PolicyChange
from accord.cases.states import EM, RM
from accord.lib.time import rfc3339
from accord.testing import World, add_vendor, login
from tests.test_api_reports import assert_refused, call

pytestmark = pytest.mark.django_db


def analyst(world: World) -> Client:
    return login(Client(), world.analyst)


def url(case: Case, rest: str = "") -> str:
    return f"/api/v1/cases/VU{case.number}{rest}"


def new_case(world: World, title: str = "Widget") -> Case:
    report, _ = actions.submit_report(
        ReportInput(product=title, version="1", description="bug", credit=False), by=None
    )
    return actions.accept_report(report, by=world.analyst)


def contact(world: World, case: Case, at: dt.datetime | None = None) -> Case:
    return actions.record_contact_attempt(
        case, by=world.analyst, at=at or timezone.now() - dt.timedelta(hours=1), outside=True
    )


# --- The case ---------------------------------------------------------------------------------------


def test_get_case_fields(world: World) -> None:
    case = world.case
    assert case is not None
    response = call(analyst(world), "GET", url(case))
    assert response.status_code == 200, response.content
    assert response["ETag"]
    body = response.json()
    assert body["id"] == f"VU#{case.number}"
    assert body["number"] == case.number
    assert body["owner"] == world.analyst.email
    assert body["analysts"] == [world.analyst.email]
    assert body["target_publication_at"] is None
    assert body["first_contact_at"] is None
    assert body["disclosure_days"] is None
    assert body["facts"] == {"P": None, "X": None, "A": None}
    assert body["embargo"] == {
        "state": "none",
        "ends_at": None,
        "proposed_ends_at": None,
        "proposal_reason": "",
        "termination_due": False,
    }
    assert body["open_claims"] == 0
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", body["created_at"])
    vulnerability = body["vulnerabilities"][0]
    assert vulnerability["id"] == f"VU#{case.number}.1"
    assert vulnerability["products"] == [
        {
            "id": vulnerability["products"][0]["id"],
            "name": "Widget Server",
            "version_range": "2.1",
            "purl": "",
        }
    ]
    kinds = {p["kind"]: p for p in body["participants"]}
    assert set(kinds) == {"coordinator", "reporter", "vendor"}
    vendors = [p for p in body["participants"] if p["kind"] == "vendor"]
    assert [p["name"] for p in vendors] == ["Vendor One", "Vendor Three", "Vendor Four"]  # real names
    assert vendors[0]["anonymous"] is True
    assert kinds["vendor"]["rm_state"] == "received"
    assert kinds["reporter"]["name"]  # analysts see the reporter


@pytest.mark.parametrize("ref", ["VU{n}", "VU%23{n}", "{n}", "vu{n}"])
def test_the_case_path_accepts_every_form(world: World, ref: str) -> None:
    case = world.case
    assert case is not None
    response = call(analyst(world), "GET", "/api/v1/cases/" + ref.format(n=case.number))
    assert response.status_code == 200
    assert response.json()["id"] == case.label


def test_what_a_vendor_sees_of_people(world: World) -> None:
    case = world.case
    assert case is not None
    hidden = add_vendor(case, world.other_vendor_org, anonymous=True)
    actions.assign_analysts(case, [world.analyst, world.publisher], by=world.analyst)
    contact(world, case)
    # The contact started the default embargo: the vendor accepts it before seeing the details.
    answer_embargo(case.participants.get(organization=world.vendor_org), accept=True, by=world.vendor)
    client = login(Client(), world.vendor)
    body = call(client, "GET", url(case)).json()
    by_alias = {p["alias"]: p for p in body["participants"]}
    assert by_alias[hidden.alias]["name"] is None  # anonymous: only the alias
    assert by_alias["Reporter"]["name"] is None
    # Vendor One is anonymous in the world, but its own members see its name.
    own = next(p for p in body["participants"] if p["kind"] == "vendor" and p["name"] == "Vendor One")
    assert own["anonymous"] is True
    assert body["owner"] == "Analyst"
    assert sorted(body["analysts"]) == ["Analyst", "Publisher"]
    events = call(client, "GET", url(case, "/events")).json()
    for answer in (body, events):
        text = json.dumps(answer)
        assert "@coordinator.test" not in text
        assert "Vendor Two" not in text
        assert "finder@research.test" not in text
    actors = {e["actor"] for e in events["items"]}
    assert actors <= {"Analyst", "Coordinator", None, world.vendor.display_name}  # the vendor joined
    # The anonymous vendor's own members see their name (after joining the embargo).
    answer_embargo(hidden, accept=True, by=world.other_vendor)
    other_view = call(login(Client(), world.other_vendor), "GET", url(case)).json()
    assert {p["alias"]: p for p in other_view["participants"]}[hidden.alias]["name"] == "Vendor Two"
    # Analysts see emails.
    analyst_events = call(analyst(world), "GET", url(case, "/events")).json()
    assert world.analyst.email in {e["actor"] for e in analyst_events["items"]}


def test_a_case_one_is_not_in_looks_exactly_like_a_missing_case(world: World) -> None:
    case = world.case
    assert case is not None
    client = login(Client(), world.other_vendor)
    for rest in ("", "/events", "/facts"):
        forbidden = call(client, "GET", url(case, rest))
        missing = call(client, "GET", f"/api/v1/cases/VU99{rest}")
        assert forbidden.status_code == missing.status_code == 404
        assert forbidden.content == missing.content
    assert call(Client(), "GET", url(case)).status_code == 401


def test_list_cases(world: World) -> None:
    other = new_case(world, "Second")
    actions.assign_analysts(other, [world.publisher], by=world.analyst, owner=world.publisher)
    contact(world, other)
    client = analyst(world)
    everything = call(client, "GET", "/api/v1/cases").json()
    assert [c["id"] for c in everything["items"]] == [other.label, world.case.label]  # type: ignore[union-attr]
    assert everything["next"] is None
    active = call(client, "GET", "/api/v1/cases?embargo=active").json()["items"]
    assert [c["id"] for c in active] == [other.label]
    mine = call(client, "GET", "/api/v1/cases?mine=true").json()["items"]
    assert [c["id"] for c in mine] == [world.case.label]  # type: ignore[union-attr]
    vendor = call(login(Client(), world.vendor), "GET", "/api/v1/cases").json()["items"]
    assert [c["id"] for c in vendor] == [world.case.label]  # type: ignore[union-attr]
    assert call(login(Client(), world.outsider), "GET", "/api/v1/cases").json()["items"] == []
    assert call(client, "GET", "/api/v1/cases?embargo=bogus").status_code == 400
    page = call(client, "GET", "/api/v1/cases?limit=1").json()
    rest = call(client, "GET", f"/api/v1/cases?limit=1&cursor={page['next']}").json()
    assert [c["id"] for c in page["items"] + rest["items"]] == [c["id"] for c in everything["items"]]


def test_patch_honours_if_match(world: World) -> None:
    case = world.case
    assert case is not None
    client = analyst(world)
    etag = call(client, "GET", url(case))["ETag"]
    stale = call(client, "PATCH", url(case), {"title": "New title"}, **{"If-Match": '"nope"'})
    assert stale.status_code == 412
    case.refresh_from_db()
    assert case.title == "Widget Server 2.1"
    ok = call(client, "PATCH", url(case), {"title": "New title", "summary": "S"}, **{"If-Match": etag})
    assert ok.status_code == 200, ok.content
    assert ok.json()["title"] == "New title"
    assert ok.json()["summary"] == "S"
    assert ok["ETag"] != etag
    again = call(client, "PATCH", url(case), {"title": "Newer"}, **{"If-Match": etag})
    assert again.status_code == 412
    assert call(client, "PATCH", url(case), {"title": "Newer"}).status_code == 200  # never required
    assert call(client, "PATCH", url(case), {"title": ""}).json()["errors"][0]["field"] == "title"
    vendor = call(login(Client(), world.vendor), "PATCH", url(case), {"title": "Mine"})
    assert vendor.status_code == 403


# --- Constant query count ----------------------------------------------------------------------------


def case_with_vendors(world: World, count: int) -> Case:
    """A case with `count` vendor participants, the persona vendor's organisation among them."""
    case = new_case(world, f"Bulk {count}")
    orgs = Organization.objects.bulk_create(
        [Organization(name=f"Bulk vendor {count}-{i}", kind="vendor") for i in range(count - 1)]
    )
    Participant.objects.bulk_create(
        [
            Participant(
                case=case,
                kind=Participant.Kind.VENDOR,
                organization=org,
                alias=f"Vendor {i + 1}",
                anonymous=i % 3 == 0,
                rm_state=RM.RECEIVED,
            )
            for i, org in enumerate(orgs)
        ]
    )
    add_vendor(case, world.vendor_org)
    actions.add_vulnerability(case, by=world.analyst, cve="CVE-2026-0001")
    return case


@pytest.mark.parametrize("persona", ["analyst", "vendor"])
def test_get_case_costs_the_same_queries_with_2_or_2000_participants(
    world: World, persona: str, django_assert_num_queries: Any
) -> None:
    small, big = case_with_vendors(world, 2), case_with_vendors(world, 2000)
    client = login(Client(), world.persona(persona))
    call(client, "GET", url(small))  # warm up (session, caches)
    with CaptureQueriesContext(connection) as queries:
        response = call(client, "GET", url(small))
    assert response.status_code == 200
    assert len(response.json()["participants"]) == 4  # coordinator, reporter, 2 vendors
    with django_assert_num_queries(len(queries)):
        response = call(client, "GET", url(big))
    assert response.status_code == 200
    assert len(response.json()["participants"]) == 2002
    print(f"GET /cases/{{case}} as {persona}: {len(queries)} queries with 2 and with 2,000 vendors")


# --- Timeline ------------------------------------------------------------------------------------------


def test_events_in_order_filtered_by_kind_and_paged(world: World) -> None:
    case = world.case
    assert case is not None
    actions.update_case(case, by=world.analyst, title="Renamed")
    contact(world, case, timezone.now() - dt.timedelta(days=2))
    contact(world, case, timezone.now() - dt.timedelta(days=1))
    # The contact started the default embargo: the vendor accepts it before negotiating.
    answer_embargo(case.participants.get(organization=world.vendor_org), accept=True, by=world.vendor)
    actions.propose_embargo(case, timezone.now() + dt.timedelta(days=20), by=world.vendor, reason="need time")
    client = analyst(world)
    items = call(client, "GET", url(case, "/events")).json()["items"]
    kinds = [e["kind"] for e in items]
    assert kinds[-5:] == [
        "case.updated",
        "contact.attempt",
        "contact.attempt",
        "embargo.joined",
        "embargo.proposed",
    ]
    assert [e["id"] for e in items] == sorted(e["id"] for e in items)
    assert [e["created_at"] for e in items] == sorted(e["created_at"] for e in items)
    assert items[-1]["data"]["reason"] == "need time"
    assert items[-1]["actor"] == world.vendor.email
    contacts = call(client, "GET", url(case, "/events?kind=contact.attempt")).json()["items"]
    assert [e["kind"] for e in contacts] == ["contact.attempt", "contact.attempt"]
    assert contacts[0]["data"]["first"] is True
    paged: list[int] = []
    next_url = url(case, "/events?limit=2")
    while next_url:
        page = call(client, "GET", next_url).json()
        assert len(page["items"]) <= 2
        paged += [e["id"] for e in page["items"]]
        next_url = url(case, f"/events?limit=2&cursor={page['next']}") if page["next"] else ""
    assert paged == [e["id"] for e in items]
    # The vendor sees the timeline's events its audience may see, with a name instead of the
    # analyst's email, and none of the coordinator's own notes.
    vendor_items = call(login(Client(), world.vendor), "GET", url(case, "/events")).json()["items"]
    assert [e["id"] for e in vendor_items][-5:] == [e["id"] for e in items][-5:]
    assert vendor_items[-1]["actor"] == world.vendor.display_name
    assert "note" not in vendor_items[-3]["data"]  # the analyst's note on a contact attempt


# --- Contact and policy dates -------------------------------------------------------------------------


def test_a_contact_attempt_sets_the_target_date_and_the_default_embargo(world: World, settings: Any) -> None:
    case = world.case
    assert case is not None
    at = (timezone.now() - dt.timedelta(days=1)).replace(microsecond=0)
    client = analyst(world)
    response = call(client, "POST", url(case, "/contact-attempts"), {"at": rfc3339(at), "note": "phoned"})
    assert response.status_code == 201, response.content
    target = rfc3339(at + dt.timedelta(days=settings.DISCLOSURE_DAYS))
    body = call(client, "GET", url(case)).json()
    assert body == response.json()
    assert body["first_contact_at"] == rfc3339(at)
    assert body["target_publication_at"] == target
    assert body["disclosure_days"] == settings.DISCLOSURE_DAYS
    assert body["embargo"]["state"] == "active"
    assert body["embargo"]["ends_at"] == target
    event = CaseEvent.objects.filter(case=case, kind="contact.attempt").get()
    assert event.data["outside_accord"] is True
    assert event.data["note"] == "phoned"


def test_contact_attempt_input_is_checked(world: World) -> None:
    case = world.case
    assert case is not None
    client = analyst(world)
    naive = call(client, "POST", url(case, "/contact-attempts"), {"at": "2026-01-01T10:00:00"})
    assert naive.status_code == 400
    assert naive.json()["errors"][0]["field"] == "at"
    future = (timezone.now() + dt.timedelta(days=3)).isoformat()
    assert call(client, "POST", url(case, "/contact-attempts"), {"at": future}).status_code == 400
    vendor = call(login(Client(), world.vendor), "POST", url(case, "/contact-attempts"), {"at": future})
    assert vendor.status_code == 403
    case.refresh_from_db()
    assert case.first_contact_at is None


def test_policy_get_and_put(world: World, settings: Any) -> None:
    public = call(Client(), "GET", "/api/v1/policy").json()
    assert public["disclosure_days"] == settings.DISCLOSURE_DAYS
    assert public["exit_embargo_on_attacks"] is settings.EXIT_EMBARGO_ON_ATTACKS
    assert public["draft_share_days"] == settings.DRAFT_SHARE_DAYS
    assert "Disclosure policy" in public["page"]
    assert public["history"] is None

    # An open case contacted under the old policy.
    first = world.case
    assert first is not None
    contacted = (timezone.now() - dt.timedelta(days=2)).replace(microsecond=0)
    contact(world, first, contacted)
    old_target = rfc3339(contacted + dt.timedelta(days=settings.DISCLOSURE_DAYS))

    assert call(analyst(world), "PUT", "/api/v1/policy", {"disclosure_days": 30}).status_code == 403
    assert call(Client(), "PUT", "/api/v1/policy", {"disclosure_days": 30}).status_code == 401
    admin = login(Client(), world.admin)
    assert call(admin, "PUT", "/api/v1/policy", {"disclosure_days": 0}).status_code == 400
    response = call(admin, "PUT", "/api/v1/policy", {"disclosure_days": 30, "page": "# Ours\n"})
    assert response.status_code == 200, response.content
    assert response.json()["disclosure_days"] == 30
    history = response.json()["history"]
    assert {(h["key"], h["value"], h["changed_by"]) for h in history} == {
        ("disclosure_days", "30", world.admin.email),
        ("page", "# Ours\n", world.admin.email),
    }
    call(admin, "PUT", "/api/v1/policy", {"disclosure_days": 40})
    call(admin, "PUT", "/api/v1/policy", {"disclosure_days": 30})
    assert PolicyChange.objects.filter(key="disclosure_days").count() == 3  # every change kept
    assert call(Client(), "GET", "/api/v1/policy").json()["disclosure_days"] == 30

    # A case first contacted after the change uses the new days.
    second = new_case(world)
    at = timezone.now()
    response = call(analyst(world), "POST", url(second, "/contact-attempts"), {"at": at.isoformat()})
    assert response.json()["disclosure_days"] == 30
    assert response.json()["target_publication_at"] == rfc3339(at + dt.timedelta(days=30))

    # The open case keeps its date until an analyst applies the policy.
    assert call(analyst(world), "GET", url(first)).json()["target_publication_at"] == old_target
    applied = call(analyst(world), "POST", url(first, "/apply-policy"))
    assert applied.status_code == 200, applied.content
    new_target = rfc3339(contacted + dt.timedelta(days=30))
    assert applied.json()["target_publication_at"] == new_target
    assert applied.json()["embargo"]["ends_at"] == new_target
    assert CaseEvent.objects.filter(case=first, kind="policy.applied").count() == 1


def test_apply_policy_without_contact_is_refused(world: World) -> None:
    case = world.case
    assert case is not None
    assert_refused(analyst(world), url(case, "/apply-policy"), None, case)


# --- Vulnerabilities and analysts ---------------------------------------------------------------------


def test_vulnerabilities_and_products(world: World) -> None:
    case = world.case
    assert case is not None
    client = analyst(world)
    created = call(
        client,
        "POST",
        url(case, "/vulnerabilities"),
        {
            "title": "XSS",
            "cve": "CVE-2026-12345",
            "cwe": "CWE-79",
            "cvss3_vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["id"] == f"VU#{case.number}.2"
    assert body["cvss3_score"] == 9.8
    assert body["cve"] == "CVE-2026-12345"
    patched = call(client, "PATCH", url(case, f"/vulnerabilities/VU%23{case.number}.2"), {"cwe": "CWE-80"})
    assert patched.status_code == 200, patched.content
    assert patched.json()["cwe"] == "CWE-80"
    assert patched.json()["title"] == "XSS"  # fields not sent are kept
    etag = patched["ETag"]
    stale = call(client, "PATCH", url(case, "/vulnerabilities/2"), {"title": "x"}, **{"If-Match": '"old"'})
    assert stale.status_code == 412
    ok = call(client, "PATCH", url(case, "/vulnerabilities/2"), {"title": "Stored XSS"}, **{"If-Match": etag})
    assert ok.json()["title"] == "Stored XSS"
    product = call(
        client,
        "POST",
        url(case, "/vulnerabilities/2/products"),
        {"name": "Widget", "version_range": "< 2.2", "purl": "pkg:pypi/widget@2.1"},
    )
    assert product.status_code == 201, product.content
    assert product.json()["purl"] == "pkg:pypi/widget@2.1"
    detail = call(client, "GET", url(case)).json()
    assert [v["id"] for v in detail["vulnerabilities"]] == [f"VU#{case.number}.1", f"VU#{case.number}.2"]
    assert detail["vulnerabilities"][1]["products"][0]["name"] == "Widget"
    assert call(client, "PATCH", url(case, "/vulnerabilities/9"), {"title": "x"}).status_code == 404
    assert (
        call(client, "PATCH", url(case, "/vulnerabilities/VU%23999999.1"), {"title": "x"}).status_code == 404
    )


@pytest.mark.parametrize(
    ("body", "field", "reason"),
    [
        ({"cve": "CVE-26-1"}, "cve", "CVE id"),
        ({"cwe": "XSS"}, "cwe", "CWE id"),
        ({"cvss3_vector": "CVSS:3.1/AV:Q"}, "cvss3_vector", "CVSS 3.1"),
        ({"cvss4_vector": "CVSS:4.0/AV:N"}, "cvss4_vector", "CVSS 4.0"),
        ({"cvss3_vector": "AV:N/AC:L"}, "cvss3_vector", "CVSS:3.1/"),
    ],
)
def test_invalid_identifiers_answer_400_with_the_reason(
    world: World, body: dict[str, str], field: str, reason: str
) -> None:
    case = world.case
    assert case is not None
    events = CaseEvent.objects.count()
    response = call(analyst(world), "POST", url(case, "/vulnerabilities"), body)
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["field"] == field
    assert reason in error["message"]
    assert CaseEvent.objects.count() == events
    assert case.vulnerabilities.count() == 1


def test_a_bad_purl_answers_400(world: World) -> None:
    case = world.case
    assert case is not None
    response = call(
        analyst(world), "POST", url(case, "/vulnerabilities/1/products"), {"name": "W", "purl": "widget"}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "purl"


def test_put_analysts(world: World) -> None:
    case = world.case
    assert case is not None
    client = analyst(world)
    body = {"analysts": [world.analyst.pk], "owner": world.publisher.pk}
    response = call(client, "PUT", url(case, "/analysts"), body)
    assert response.status_code == 200, response.content
    assert response.json()["owner"] == world.publisher.email
    assert sorted(response.json()["analysts"]) == sorted([world.analyst.email, world.publisher.email])
    vendor = call(client, "PUT", url(case, "/analysts"), {"analysts": [world.vendor.pk]})
    assert vendor.status_code == 400
    assert vendor.json()["errors"][0]["field"] == "analysts"
    unknown = call(client, "PUT", url(case, "/analysts"), {"analysts": [999999]})
    assert unknown.status_code == 400


# --- Embargo ------------------------------------------------------------------------------------------


def test_embargo_negotiation(world: World) -> None:
    case = world.case
    assert case is not None
    ends = (timezone.now() + dt.timedelta(days=30)).replace(microsecond=0)
    vendor = login(Client(), world.vendor)
    proposed = call(
        vendor, "POST", url(case, "/embargo/propose"), {"ends_at": rfc3339(ends), "reason": "fix"}
    )
    assert proposed.status_code == 200, proposed.content
    assert proposed.json()["embargo"]["state"] == "proposed"
    assert proposed.json()["embargo"]["proposed_ends_at"] == rfc3339(ends)
    assert proposed.json()["embargo"]["ends_at"] is None
    # A vendor's accept records its organisation's answer to an Active embargo; none is Active yet.
    refused = call(vendor, "POST", url(case, "/embargo/accept"))
    assert refused.status_code == 409 and "rule: embargo-active" in refused.json()["detail"]
    client = analyst(world)
    accepted = call(client, "POST", url(case, "/embargo/accept")).json()
    assert accepted["embargo"]["state"] == "active"
    assert accepted["embargo"]["ends_at"] == rfc3339(ends)
    # Now Active, the embargo binds the vendor only once its organisation accepts it.
    early = call(vendor, "POST", url(case, "/embargo/propose"), {"ends_at": rfc3339(ends)})
    assert early.status_code == 409 and "rule: embargo-accept-first" in early.json()["detail"]
    assert call(vendor, "POST", url(case, "/embargo/accept")).status_code == 200
    later = ends + dt.timedelta(days=10)
    revise = call(vendor, "POST", url(case, "/embargo/propose"), {"ends_at": rfc3339(later)}).json()
    assert revise["embargo"]["state"] == "revise"
    assert revise["embargo"]["ends_at"] == rfc3339(ends)  # the current terms stay in force
    rejected = call(client, "POST", url(case, "/embargo/reject"), {"reason": "too long"}).json()
    assert rejected["embargo"]["state"] == "active"
    assert rejected["embargo"]["ends_at"] == rfc3339(ends)
    terminated = call(client, "POST", url(case, "/embargo/terminate"), {"reason": "published"}).json()
    assert terminated["embargo"]["state"] == "exited"
    outsider = call(login(Client(), world.other_vendor), "POST", url(case, "/embargo/propose"), {})
    assert outsider.status_code == 404


def test_proposing_without_an_end_is_refused(world: World) -> None:
    case = world.case
    assert case is not None
    body = assert_refused(login(Client(), world.vendor), url(case, "/embargo/propose"), {"reason": "x"}, case)
    assert "em-end-instant" in body["detail"]


def test_proposing_after_p_is_refused(world: World) -> None:
    case = world.case
    assert case is not None
    actions.report_fact(case, "P", "https://news.test/it", by=world.analyst)
    case.refresh_from_db()
    ends = rfc3339(timezone.now() + dt.timedelta(days=30))
    body = assert_refused(analyst(world), url(case, "/embargo/propose"), {"ends_at": ends}, case)
    assert "em-after-public" in body["detail"]


def test_accepting_when_there_is_no_proposal_is_refused(world: World) -> None:
    case = world.case
    assert case is not None and case.embargo_state == EM.NONE
    body = assert_refused(analyst(world), url(case, "/embargo/accept"), None, case)
    assert "em-accept" in body["detail"]


def test_terminating_when_there_is_no_embargo_is_refused(world: World) -> None:
    case = world.case
    assert case is not None
    body = assert_refused(analyst(world), url(case, "/embargo/terminate"), {"reason": "published"}, case)
    assert "em-terminate" in body["detail"]


def test_rejecting_when_there_is_no_proposal_is_refused(world: World) -> None:
    case = world.case
    assert case is not None
    assert_refused(analyst(world), url(case, "/embargo/reject"), {}, case)


# --- Facts ---------------------------------------------------------------------------------------------


def test_claims_and_confirmation(world: World) -> None:
    case = contact(world, world.case)  # type: ignore[arg-type]
    assert case.embargo_state == EM.ACTIVE
    answer_embargo(case.participants.get(organization=world.vendor_org), accept=True, by=world.vendor)
    vendor = login(Client(), world.vendor)
    claimed = call(vendor, "POST", url(case, "/facts"), {"fact": "P", "evidence": "https://blog.test/post"})
    assert claimed.status_code == 201, claimed.content
    claim = claimed.json()
    assert claim["status"] == "open"
    assert claim["reported_by"] == world.vendor.display_name
    case.refresh_from_db()
    assert case.p_at is None and case.embargo_state == EM.ACTIVE  # a claim changes nothing yet
    client = analyst(world)
    assert call(client, "GET", url(case)).json()["open_claims"] == 1
    listed = call(client, "GET", url(case, "/facts")).json()["items"]
    assert [c["id"] for c in listed] == [claim["id"]]
    assert call(client, "GET", url(case, "/facts?status=confirmed")).json()["items"] == []
    assert call(vendor, "POST", url(case, f"/facts/{claim['id']}/confirm")).status_code == 403
    confirmed = call(client, "POST", url(case, f"/facts/{claim['id']}/confirm"))
    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["status"] == "confirmed"
    body = call(client, "GET", url(case)).json()
    assert body["facts"]["P"] is not None
    assert body["embargo"]["state"] == "exited"
    assert body["open_claims"] == 0
    # An analyst's report takes effect at once.
    direct = call(client, "POST", url(case, "/facts"), {"fact": "A", "evidence": "seen in the wild"}).json()
    assert direct["status"] == "confirmed"
    assert call(client, "GET", url(case)).json()["facts"]["A"] is not None
    # Dismissing.
    other = call(vendor, "POST", url(case, "/facts"), {"fact": "X", "evidence": "a PoC"}).json()
    dismissed = call(client, "POST", url(case, f"/facts/{other['id']}/dismiss"), {"reason": "no PoC there"})
    assert dismissed.json()["status"] == "dismissed"
    assert call(client, "POST", url(case, "/facts/999999/confirm")).status_code == 404
    bad = call(vendor, "POST", url(case, "/facts"), {"fact": "V", "evidence": "x"})
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["field"] == "fact"


def test_confirming_a_confirmed_claim_is_refused(world: World) -> None:
    case = world.case
    assert case is not None
    claim = actions.report_fact(case, "X", "https://poc.test", by=world.vendor)
    actions.confirm_fact(claim, by=world.analyst)
    claim.refresh_from_db()
    case.refresh_from_db()
    body = assert_refused(analyst(world), url(case, f"/facts/{claim.pk}/confirm"), None, claim, case)
    assert "claim-open" in body["detail"]


def test_vendor_facts(world: World) -> None:
    case = world.case
    assert case is not None
    participant = case.participants.get(organization=world.vendor_org)
    vendor = login(Client(), world.vendor)
    path = url(case, f"/participants/{participant.pk}/facts")
    aware = call(vendor, "POST", path, {"fact": "V"})
    assert aware.status_code == 200, aware.content
    assert aware.json()["v_at"] is not None
    assert call(vendor, "POST", path, {"fact": "F"}).json()["f_at"] is not None
    reporter = call(login(Client(), world.reporter), "POST", path, {"fact": "D"})
    assert reporter.status_code == 409
    assert "rule:" in reporter.json()["detail"]
    assert call(vendor, "POST", url(case, "/participants/999999/facts"), {"fact": "D"}).status_code == 404


def test_f_before_v_is_refused(world: World) -> None:
    case = world.case
    assert case is not None
    participant = case.participants.get(organization=world.vendor_org)
    body = assert_refused(
        analyst(world), url(case, f"/participants/{participant.pk}/facts"), {"fact": "F"}, participant, case
    )
    assert "fact-order" in body["detail"]


# --- SSVC publish ---------------------------------------------------------------------------------------


def test_ssvc_publish_decision(world: World) -> None:
    case = world.case
    assert case is not None
    values = {"supplier_involvement": "fix ready", "exploitation": "none", "public_value_added": "precedence"}
    response = call(
        analyst(world), "POST", url(case, "/ssvc/publish"), {"values": values, "chosen": "publish"}
    )
    assert response.status_code == 201, response.content
    assert response.json()["outcome"] == "publish"
    assert response.json()["values"] == values
    assert CaseEvent.objects.filter(case=case, kind="ssvc.publish").count() == 1
    missing = call(analyst(world), "POST", url(case, "/ssvc/publish"), {"values": {}, "chosen": "publish"})
    assert missing.status_code == 400
    vendor = call(login(Client(), world.vendor), "POST", url(case, "/ssvc/publish"), "garbage")
    assert vendor.status_code == 403


def test_an_unknown_event_kind_is_a_400_naming_the_field(world: World) -> None:
    case = world.case
    assert case is not None
    for kind in ("no.such.kind", "\x00", "x" * 100):
        response = analyst(world).get(url(case, "/events"), {"kind": kind})
        assert response.status_code == 400
        assert response.json()["errors"][0]["field"] == "kind"

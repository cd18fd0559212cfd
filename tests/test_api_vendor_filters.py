"""GET /api/v1/cases/{case}/participants filters vendors as the case's Vendors tab does
(accord.cases.vendor_table), through the presenter: a status counts only where the caller may
see it, and an anonymous vendor is never found by its name. Constant query counts."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accord.accounts.models import Organization
from accord.answers.actions import AnswerInput, StatusInput, submit_answer
from accord.cases.models import Case, Participant
from accord.cases.states import RM
from accord.testing import World, start_embargo, token_client

pytestmark = pytest.mark.django_db


def answer(participant: Participant, member: Any, status: str, *, share: bool, seq: str = "1") -> None:
    fixed = "2.2" if status == "fixed" else ""
    submit_answer(
        participant,
        AnswerInput(
            statuses=[StatusInput(vulnerability=seq, status=status, fixed_version=fixed)], share=share
        ),
        by=member,
    )


def bulk_vendors(case: Case, count: int, prefix: str = "Bulk") -> list[Participant]:
    """Vendor participants by factory (bulk data), as benchmarks/run.py makes them."""
    orgs = Organization.objects.bulk_create(
        [Organization(name=f"{prefix} Vendor {case.number}-{n:05d}", kind="vendor") for n in range(count)]
    )
    return Participant.objects.bulk_create(
        [
            Participant(
                case=case,
                kind=Participant.Kind.VENDOR,
                organization=org,
                alias=f"{prefix} {n:05d}",
                rm_state=RM.RECEIVED,
            )
            for n, org in enumerate(orgs)
        ]
    )


def answered_world(world: World) -> tuple[Case, Participant, Participant]:
    """The vendor (anonymous) answers "affected" without sharing; the co-vendor "fixed", shared."""
    case = start_embargo(world)
    vendor = case.participants.get(organization=world.vendor_org)
    co_vendor = case.participants.get(organization=world.co_vendor_org)
    answer(vendor, world.vendor, "affected", share=False)
    answer(co_vendor, world.co_vendor, "fixed", share=True)
    return case, vendor, co_vendor


def _ids(response: Any) -> set[int]:
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["items"]}


def test_the_api_filters_participants_as_the_vendors_tab_does(world: World) -> None:
    case, vendor, co_vendor = answered_world(world)
    invited = case.participants.get(organization=world.invited_vendor_org)
    api = token_client(world.analyst)
    base = f"/api/v1/cases/{case.url_ref}/participants"
    assert _ids(api.get(base, {"answered": "false"})) == {invited.pk}
    assert _ids(api.get(base, {"answered": "true", "notified": "false"})) == {vendor.pk, co_vendor.pk}
    assert _ids(api.get(base, {"answered": "true", "notified": "true"})) == set()
    assert _ids(api.get(base, {"status": "affected"})) == {vendor.pk}
    assert _ids(api.get(base, {"status": "unknown"})) == {invited.pk}
    assert _ids(api.get(base, {"q": "vendor one"})) == {vendor.pk}
    # Without a vendor filter the list still has everyone (the reporter and the coordinator too).
    assert len(_ids(api.get(base))) == case.participants.count()
    co_api = token_client(world.co_vendor)
    assert _ids(co_api.get(base, {"status": "affected"})) == set()
    assert _ids(co_api.get(base, {"status": "fixed"})) == {co_vendor.pk}
    assert _ids(co_api.get(base, {"status": "not_shared"})) == {vendor.pk, invited.pk}
    assert _ids(co_api.get(base, {"q": "Vendor One"})) == set()
    body = co_api.get(base, {"answered": "true"}).json()
    shown = {item["id"]: item for item in body["items"]}
    assert shown[vendor.pk]["name"] is None and shown[vendor.pk]["rm_state"] is None


@pytest.mark.parametrize(
    "query, field",
    [
        ({"status": "bogus"}, "status"),
        ({"answered": "perhaps"}, "answered"),
        ({"vulnerability": "0"}, "vulnerability"),
        ({"q": "x" * 101}, "q"),
    ],
)
def test_the_api_refuses_a_filter_value_naming_it(world: World, query: dict[str, str], field: str) -> None:
    case = start_embargo(world)
    response = token_client(world.analyst).get(f"/api/v1/cases/{case.url_ref}/participants", query)
    assert response.status_code == 400
    assert field in [e["field"] for e in response.json()["errors"]]


def test_the_filtered_api_list_costs_the_same_with_3_or_253_vendors(  # type: ignore[no-untyped-def]
    world: World, django_assert_max_num_queries
) -> None:
    case, _, _ = answered_world(world)
    api = token_client(world.co_vendor)
    url = f"/api/v1/cases/{case.url_ref}/participants?answered=true&notified=true&status=fixed&q=Vendor"
    api.get(url)
    with CaptureQueriesContext(connection) as few:
        assert api.get(url).status_code == 200
    bulk_vendors(case, 250, prefix="Vendor")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert api.get(url).status_code == 200

"""An anonymous vendor may choose to be named at publication (process.md "Publication").

The choice changes only the published note: during the case every other participant still sees
the alias, and the choice itself is the vendor's and the coordinator's business."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from accord.cases.actions.participants import set_named_at_publication
from accord.cases.models import CaseEvent
from accord.lib.errors import RuleViolation
from accord.publication import actions
from accord.publication.models import Revision
from accord.publication.snapshot import build_snapshot
from accord.testing import World, login, token_client
from tests.test_publication import answer, published, vendor
from tests.test_publication import world as world  # noqa: F401  (the fixture: an Active embargo)

pytestmark = pytest.mark.django_db


def _vendor_item(snapshot: Any, key: str) -> Any:
    return next(v for v in snapshot["vendors"] if v["key"] == key)


def test_snapshot_shows_the_alias_without_the_choice_and_the_name_with_it(world: World) -> None:
    assert world.case is not None
    anon = vendor(world)
    note = actions.note_for(world.case, by=world.analyst)
    item = _vendor_item(build_snapshot(world.case, note, at=anon.created_at), f"p{anon.pk}")
    assert item["name"] == anon.alias and item["anonymous"] is True
    set_named_at_publication(anon, True, by=world.vendor)
    item = _vendor_item(build_snapshot(world.case, note, at=anon.created_at), f"p{anon.pk}")
    assert item["name"] == "Vendor One" and item["anonymous"] is False


def test_a_named_vendor_is_signed_like_any_named_vendor(world: World, tmp_path: Any) -> None:
    from accord.vendors import actions as vendor_actions
    from tests.pgp_keys import make_key

    key = make_key(tmp_path / "one", "psirt@vendor-one.test")
    vendor_actions.upload_key(world.vendor_org, key.public, by=world.analyst)
    answer(world, key.clearsign(b"Fixed in 2.2.\n"))
    set_named_at_publication(vendor(world), True, by=world.vendor)
    note = published(world)
    snapshot = Revision.objects.get(note=note, number=1).snapshot
    item = next(v for v in snapshot["vendors"] if v["name"] == "Vendor One")
    assert item["anonymous"] is False
    assert item["statement"]["signature_state"] == "verified"
    assert item["statement"]["fingerprint"] == key.fingerprint
    assert item["statement"]["signature_kind"] != "none"


def test_without_the_choice_the_published_note_keeps_the_alias(world: World) -> None:
    answer(world, b"Fixed.\n")
    note = published(world)
    text = json.dumps(Revision.objects.get(note=note, number=1).snapshot)
    assert "Vendor One" not in text


def test_other_participants_still_see_only_the_alias_before_publication(world: World) -> None:
    assert world.case is not None
    anon = vendor(world)
    set_named_at_publication(anon, True, by=world.vendor)
    client = login(Client(), world.co_vendor)
    items = client.get(f"/api/v1/cases/{world.case.url_ref}/participants").json()["items"]
    shown = next(p for p in items if p["id"] == anon.pk)
    assert shown["name"] is None and shown["alias"] == anon.alias
    page = client.get(f"/cases/{world.case.url_ref}/").content.decode()
    assert "Vendor One" not in page
    timeline = client.get(f"/api/v1/cases/{world.case.url_ref}/events?limit=500").json()["items"]
    assert "participant.named_at_publication" not in {e["kind"] for e in timeline}


def test_only_the_vendor_or_an_analyst_for_it_chooses(world: World) -> None:
    anon = vendor(world)
    for outsider in (world.co_vendor, world.reporter, world.other_vendor):
        with pytest.raises(PermissionDenied):
            set_named_at_publication(anon, True, by=outsider)
    co = vendor(world, world.co_vendor_org)
    with pytest.raises(PermissionDenied):
        set_named_at_publication(co, True, by=world.vendor)
    reporter = world.case.participants.get(kind="reporter")  # type: ignore[union-attr]
    with pytest.raises(RuleViolation):
        set_named_at_publication(reporter, True, by=world.analyst)
    anon.refresh_from_db()
    assert anon.named_at_publication is False
    set_named_at_publication(anon, True, by=world.analyst)
    event = CaseEvent.objects.get(kind="participant.named_at_publication")
    assert event.participant_id == anon.pk and event.data["on_behalf"] is True


def test_the_event_reaches_the_vendor_and_staff_only(world: World) -> None:
    assert world.case is not None
    set_named_at_publication(vendor(world), True, by=world.vendor)
    url = f"/api/v1/cases/{world.case.url_ref}/events?limit=500"
    for user, sees in (
        (world.vendor, True),
        (world.analyst, True),
        (world.co_vendor, False),
        (world.reporter, False),
    ):
        kinds = {e["kind"] for e in login(Client(), user).get(url).json()["items"]}
        assert ("participant.named_at_publication" in kinds) is sees, user.email


def test_api_reads_and_sets_the_choice(world: World) -> None:
    assert world.case is not None
    base = f"/api/v1/cases/{world.case.url_ref}/publication-name"
    client = token_client(world.vendor)
    assert client.get(base).json()["named_at_publication"] is False
    done = client.post(base, data={"named": True}, content_type="application/json")
    assert done.status_code == 200 and done.json()["named_at_publication"] is True
    assert vendor(world).named_at_publication is True
    # Invalid bodies are a 4xx, never a 500.
    assert client.post(base, data={"named": "maybe"}, content_type="application/json").status_code in (
        400,
        422,
    )
    # The reporter in the case is refused (no vendor: 409 as for the answer routes); an outsider
    # does not find the case.
    assert (
        token_client(world.reporter)
        .post(base, data={"named": True}, content_type="application/json")
        .status_code
        == 409
    )
    assert (
        token_client(world.outsider)
        .post(base, data={"named": True}, content_type="application/json")
        .status_code
        == 404
    )
    # An analyst names the vendor (required) and is recorded as acting on its behalf.
    staff = login(Client(), world.analyst)
    assert staff.post(base, data={"named": False}, content_type="application/json").status_code == 400
    done = staff.post(
        f"{base}?organization={world.vendor_org.pk}", data={"named": False}, content_type="application/json"
    )
    assert done.status_code == 200 and done.json()["named_at_publication"] is False
    last = CaseEvent.objects.filter(kind="participant.named_at_publication").order_by("-id").first()
    assert last is not None and last.data["on_behalf"] is True


def test_web_choice_on_the_vendor_case_page_and_staff_vendors_tab(world: World) -> None:
    assert world.case is not None
    ref = world.case.url_ref
    client = login(Client(), world.vendor)
    page = client.get(f"/cases/{ref}/").content.decode()
    assert 'id="publication-name"' in page and "Keep our alias" in page
    response = client.post(f"/cases/{ref}/publication-name/", {"named": "1"})
    assert response.status_code == 302
    assert vendor(world).named_at_publication is True
    # The co-participant cannot choose for it (its own form names its own participation).
    co = login(Client(), world.co_vendor)
    co.post(f"/cases/{ref}/publication-name/", {"named": "0"})
    anon = vendor(world)
    assert anon.named_at_publication is True
    refused = co.post(f"/cases/{ref}/vendors/{anon.pk}/publication-name/", {"named": "0"})
    assert refused.status_code == 403
    assert vendor(world).named_at_publication is True
    staff = login(Client(), world.analyst)
    tab = staff.get(f"/cases/{ref}/vendors/").content.decode()
    assert "named at publication" in tab
    anon = vendor(world)
    detail = staff.get(f"/cases/{ref}/vendors/{anon.pk}/").content.decode()
    assert "it chose to be named" in detail
    staff.post(f"/cases/{ref}/vendors/{anon.pk}/publication-name/", {"named": "0"})
    assert vendor(world).named_at_publication is False

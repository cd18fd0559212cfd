"""The vendor directory's API: analysts' directory, vendor admins' self-service, pending approval,
import/export and discovery; another vendor's admin gets the 404 of a missing organisation."""

from __future__ import annotations

import json
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accord.accounts.models import Organization
from accord.core.actors import SYSTEM
from accord.core.routes import all_routes
from accord.testing import World, login, make_user
from accord.vendors import actions, directory_io
from accord.vendors.models import Contact, PublicKey
from accord.vendors.queries import notification_contacts, pinned_keys
from tests.test_vendors_support import local_server, make_keys, security_txt, vendor_samples

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def keys():  # type: ignore[no-untyped-def]
    return make_keys()


def client_for(user) -> Client:  # type: ignore[no-untyped-def]
    return login(Client(), user)


def post(client: Client, url: str, body: object):  # type: ignore[no-untyped-def]
    return client.post(url, data=json.dumps(body), content_type="application/json")


def patch(client: Client, url: str, body: object, **headers: str):  # type: ignore[no-untyped-def]
    return client.patch(url, data=json.dumps(body), content_type="application/json", headers=headers)


# --- Analysts ------------------------------------------------------------------------------------------


def test_analyst_searches_the_directory(world: World, keys) -> None:  # type: ignore[no-untyped-def]
    acme = actions.create_vendor("Acme Widgets", website="https://widgets.example", by=world.analyst)
    actions.add_contact(acme, "psirt@acme-mail.example", by=world.analyst)
    actions.upload_key(acme, keys.good, by=world.analyst)
    actions.set_profile(world.vendor_org, require_encryption=True, by=world.analyst)
    actions.add_contact(world.other_vendor_org, "x@vendor-two.test", by=world.other_vendor)
    analyst = client_for(world.analyst)

    def names(query: str) -> list[str]:
        response = analyst.get("/api/v1/vendors" + query)
        assert response.status_code == 200, response.content
        return [item["name"] for item in response.json()["items"]]

    # The coordinator is not a vendor; the world has Vendor One, Two, Three and Four.
    assert names("") == ["Acme Widgets", "Vendor Four", "Vendor One", "Vendor Three", "Vendor Two"]
    assert names("?q=acme") == ["Acme Widgets"]
    assert names("?q=acme-mail.example") == ["Acme Widgets"]  # contact email domain
    assert names("?q=widgets.example") == ["Acme Widgets"]  # website domain
    assert names("?q=" + keys.good_fpr.lower()) == ["Acme Widgets"]
    assert names("?q=" + keys.good_fpr[-16:]) == ["Acme Widgets"]  # a long key id
    grouped = " ".join(keys.good_fpr[i : i + 4] for i in range(0, 40, 4))
    assert names("?q=" + grouped.replace(" ", "%20")) == ["Acme Widgets"]
    assert names("?has_key=true") == ["Acme Widgets"]
    assert names("?has_key=false") == ["Vendor Four", "Vendor One", "Vendor Three", "Vendor Two"]
    assert names("?require_encryption=true") == ["Vendor One"]
    assert names("?pending=true") == ["Vendor Two"]
    page = analyst.get("/api/v1/vendors?limit=2").json()
    assert [i["name"] for i in page["items"]] == ["Acme Widgets", "Vendor Four"] and page["next"]
    rest = analyst.get(f"/api/v1/vendors?limit=3&cursor={page['next']}").json()
    assert [i["name"] for i in rest["items"]] == ["Vendor One", "Vendor Three", "Vendor Two"]
    assert rest["next"] is None
    summary = analyst.get("/api/v1/vendors?q=acme").json()["items"][0]
    assert summary == {
        "id": acme.pk,
        "name": "Acme Widgets",
        "website": "https://widgets.example",
        "require_encryption": False,
        "contacts": 1,
        "keys": 1,
        "pending_changes": 0,
    }


def test_analyst_creates_and_edits_a_vendor(world: World) -> None:
    analyst = client_for(world.analyst)
    created = post(
        analyst, "/api/v1/vendors", {"name": "NewCo", "website": "newco.test", "notes": "met at FIRST"}
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["website"] == "https://newco.test" and body["notes"] == "met at FIRST"
    url = f"/api/v1/vendors/{body['id']}"
    got = analyst.get(url)
    etag = got.headers["ETag"]
    changed = patch(analyst, url, {"phones": "+1 555", "require_encryption": True}, **{"If-Match": etag})
    assert changed.status_code == 200 and changed.json()["require_encryption"] is True
    stale = patch(analyst, url, {"phones": "+1 556"}, **{"If-Match": etag})
    assert stale.status_code == 412
    assert patch(analyst, url, {"website": "not a url"}).json()["errors"][0]["field"] == "website"
    assert patch(analyst, url, {"colour": "red"}).status_code == 400
    assert post(analyst, "/api/v1/vendors", {"name": "newco"}).status_code == 400


def test_analyst_contacts_and_keys(world: World, keys) -> None:  # type: ignore[no-untyped-def]
    analyst = client_for(world.analyst)
    base = f"/api/v1/vendors/{world.vendor_org.pk}"
    created = post(analyst, base + "/contacts", {"email": "psirt@vendor-one.test", "role": "to"})
    assert created.status_code == 201 and created.json()["status"] == "active"
    contact_id = created.json()["id"]
    changed = patch(analyst, f"{base}/contacts/{contact_id}", {"role": "cc"})
    assert changed.json()["role"] == "cc" and changed.json()["id"] == contact_id
    assert analyst.get(base + "/contacts").json()["items"][0]["email"] == "psirt@vendor-one.test"

    uploaded = post(analyst, base + "/keys", {"armored": keys.weak})
    assert uploaded.status_code == 201, uploaded.content
    key = uploaded.json()
    assert key["fingerprint"] == keys.weak_fpr and key["weak"] and key["flags"] == ["weak"]
    assert key["algorithm"] == "RSA" and key["bits"] == 1024 and key["status"] == "active"
    assert analyst.get(base + "/keys").json()["items"][0]["id"] == key["id"]
    assert analyst.delete(f"{base}/keys/{key['id']}").status_code == 204
    # A removal needs its reason (issue 8): kept in the vendor's history.
    assert analyst.delete(f"{base}/contacts/{contact_id}").status_code == 400
    removed = analyst.delete(
        f"{base}/contacts/{contact_id}", {"reason": "Bounces."}, content_type="application/json"
    )
    assert removed.status_code == 204
    assert not Contact.objects.exists() and not PublicKey.objects.exists()


@pytest.mark.parametrize(
    ("name", "detail"),
    [
        ("broken", "This is not a usable OpenPGP public key"),
        ("sign_only", "This key cannot encrypt: add an encryption subkey"),
        ("secret", "This is a secret (private) key"),
    ],
)
def test_bad_keys_answer_400_and_store_nothing(world: World, keys, name, detail) -> None:  # type: ignore[no-untyped-def]
    armored = keys.good.replace("A", "B", 40) if name == "broken" else getattr(keys, name)
    for user in (world.analyst, world.vendor):
        response = post(client_for(user), f"/api/v1/vendors/{world.vendor_org.pk}/keys", {"armored": armored})
        assert response.status_code == 400
        assert response.json()["detail"].startswith(detail)
        assert response.json()["errors"][0]["field"] == "armored"
    assert not PublicKey.objects.exists()
    neither = post(client_for(world.analyst), f"/api/v1/vendors/{world.vendor_org.pk}/keys", {})
    assert neither.status_code == 400


# --- Vendor admins: self-service with approval --------------------------------------------------------------


def test_vendor_admin_changes_wait_for_an_analyst(world: World, keys) -> None:  # type: ignore[no-untyped-def]
    actions.add_contact(world.vendor_org, "psirt@vendor-one.test", by=world.analyst)
    actions.set_profile(world.vendor_org, notes="secret analyst note", by=world.analyst)
    vendor, analyst = client_for(world.vendor), client_for(world.analyst)
    base = f"/api/v1/vendors/{world.vendor_org.pk}"

    mine = vendor.get(base).json()
    assert mine["notes"] is None and "secret analyst note" not in json.dumps(mine)

    added = post(vendor, base + "/contacts", {"email": "new@vendor-one.test", "role": "cc"})
    assert added.status_code == 201 and added.json()["status"] == "pending"
    assert added.json()["pending_change"] == "add"
    key = post(vendor, base + "/keys", {"armored": keys.good})
    assert key.status_code == 201 and key.json()["status"] == "pending"
    assert post(vendor, base + "/keys", {"url": "https://vendor-one.test/key.asc"}).status_code == 403
    removal = vendor.delete(
        f"{base}/contacts/{Contact.objects.get(email='psirt@vendor-one.test').pk}",
        {"reason": "The desk closed."},
        content_type="application/json",
    )
    assert removal.status_code == 202 and removal.json()["pending_change"] == "remove"
    assert patch(vendor, base, {"notes": "mine"}).status_code == 409
    assert patch(vendor, base, {"tracking_prefix": "V1-"}).status_code == 200

    # Nothing reached notifications yet.
    assert [c.email for c in notification_contacts(world.vendor_org)] == ["psirt@vendor-one.test"]
    assert pinned_keys(world.vendor_org) == []

    queue = analyst.get("/api/v1/vendors/pending").json()
    assert [(i["kind"], i["change"]) for i in queue["items"]] == [
        ("contact", "add"),
        ("key", "add"),
        ("contact", "remove"),
    ]
    assert vendor.get("/api/v1/vendors/pending").status_code == 403
    for item in queue["items"]:
        action = "reject" if item["change"] == "remove" else "approve"
        url = f"/api/v1/vendors/pending/{item['kind']}/{item['id']}/{action}"
        assert vendor.post(url).status_code == 403
        answer = analyst.post(url)
        assert answer.status_code == 200, answer.content
        assert answer.json()["change"] == item["change"]
    assert analyst.get("/api/v1/vendors/pending").json()["items"] == []
    assert sorted(c.email for c in notification_contacts(world.vendor_org)) == [
        "new@vendor-one.test",
        "psirt@vendor-one.test",
    ]
    assert [k.fingerprint for k in pinned_keys(world.vendor_org)] == [keys.good_fpr]
    again = analyst.post(f"/api/v1/vendors/pending/key/{queue['items'][1]['id']}/approve")
    assert again.status_code == 409 and "no pending change" in again.json()["detail"]


def test_pending_list_pages_through_both_kinds(world: World, keys) -> None:  # type: ignore[no-untyped-def]
    for i in range(3):
        actions.add_contact(world.vendor_org, f"p{i}@vendor-one.test", by=world.vendor)
    actions.upload_key(world.vendor_org, keys.good, by=world.vendor)
    actions.upload_key(world.vendor_org, keys.other, by=world.vendor)
    analyst = client_for(world.analyst)
    seen = []
    url = "/api/v1/vendors/pending?limit=2"
    while url:
        page = analyst.get(url).json()
        seen += [(i["kind"], i["id"]) for i in page["items"]]
        url = f"/api/v1/vendors/pending?limit=2&cursor={page['next']}" if page["next"] else ""
    assert len(seen) == len(set(seen)) == 5
    assert analyst.get("/api/v1/vendors/pending?cursor=garbage").status_code == 400


def test_a_plain_member_reads_but_does_not_change(world: World) -> None:
    member = client_for(make_user("member@vendor-one.test", org=world.vendor_org, role="member"))
    base = f"/api/v1/vendors/{world.vendor_org.pk}"
    assert member.get(base).status_code == 200
    assert post(member, base + "/contacts", {"email": "x@vendor-one.test"}).status_code == 403
    assert patch(member, base, {"phones": "1"}).status_code == 403


# Bodies that pass validation, so the answer shows the access check (not a 400 about the body).
VALID_BODIES = {
    "contacts": {"email": "x@vendor-one.test"},
    "keys": {"armored": "x"},
    "discover": {"domain": "a.test"},
}


def test_another_vendors_admin_gets_404_on_every_vendor_route(world: World) -> None:
    values = vendor_samples(world)
    values["org_id"] = str(world.vendor_org.pk)
    outsider = client_for(world.other_vendor)
    checked = 0
    for route in all_routes():
        if "org_id>" not in route.pattern or not route.pattern.startswith(("api/v1/vendors", "vendors/")):
            continue
        url = "/" + re.sub(r"<(?:[^>:]+:)?([^>]+)>", lambda m: values[m.group(1)], route.pattern)
        missing_url = url.replace(f"/{world.vendor_org.pk}/", "/999999/").replace(
            f"/{world.vendor_org.pk}", "/999999"
        )
        for method in route.methods:

            def call(target: str, method: str = method, pattern: str = route.pattern):  # type: ignore[no-untyped-def]
                if method in ("POST", "PUT", "PATCH") and route.kind == "api":
                    body = VALID_BODIES.get(pattern.rsplit("/", 1)[-1], {})
                    return getattr(outsider, method.lower())(
                        target, data=json.dumps(body), content_type="application/json"
                    )
                if method == "POST":
                    return outsider.post(target, {"email": "x@vendor-one.test", "role": "to", "armored": "x"})
                if method == "DELETE" and route.kind == "api":  # a removal takes its reason
                    return outsider.delete(
                        target, data=json.dumps({"reason": "x"}), content_type="application/json"
                    )
                return getattr(outsider, method.lower())(target)

            response, missing = call(url), call(missing_url)
            if response.status_code == 405:
                continue
            checked += 1
            if route.rule == "analyst":
                assert response.status_code == 403, (method, url)
                continue
            assert response.status_code == 404, (method, url, response.status_code)
            assert response.content == missing.content or route.kind == "page", (method, url)
    assert checked >= 14
    assert Contact.objects.filter(organization=world.vendor_org).count() == 2


# --- Import, export, discovery ------------------------------------------------------------------------------


def test_import_lists_every_error_with_field_names_and_imports_nothing(world: World, keys) -> None:  # type: ignore[no-untyped-def]
    analyst = client_for(world.analyst)
    body = {
        "vendors": [
            {"name": "Fine Co", "contacts": [{"email": "a@fine.test"}]},
            {"name": "Broken", "website": "::::", "keys": [keys.sign_only]},
            {"name": "", "contacts": "x@y.test:boss"},
        ]
    }
    response = post(analyst, "/api/v1/vendors/import", body)
    assert response.status_code == 400
    answer = response.json()
    assert answer["detail"] == "4 problems in request body; nothing was imported."
    fields = [e["field"] for e in answer["errors"]]
    assert fields == ["vendors[1].website", "vendors[1].keys[0]", "vendors[2].name", "vendors[2].contacts"]
    assert answer["errors"][1]["message"] == "This key cannot encrypt: add an encryption subkey"
    assert not Organization.objects.filter(name="Fine Co").exists()
    assert post(analyst, "/api/v1/vendors/import", {"vendors": "nope"}).status_code == 400
    assert post(client_for(world.vendor), "/api/v1/vendors/import", body).status_code == 403


def test_export_then_import_round_trips_through_the_api(world: World, keys) -> None:  # type: ignore[no-untyped-def]
    analyst = client_for(world.analyst)
    actions.add_contact(world.vendor_org, "psirt@vendor-one.test", by=world.analyst)
    actions.upload_key(world.vendor_org, keys.good, by=world.analyst)
    exported = analyst.get("/api/v1/vendors/export")
    assert exported.status_code == 200
    document = exported.json()
    assert document["format"] == "accord-vendor-directory" and len(document["vendors"]) == 4
    dry = post(analyst, "/api/v1/vendors/import?dry_run=true", document)
    assert dry.json() == {"created": 0, "updated": 4, "dry_run": True}
    Organization.objects.filter(kind="vendor").delete()
    result = post(analyst, "/api/v1/vendors/import", document)
    assert result.status_code == 200 and result.json() == {"created": 4, "updated": 0, "dry_run": False}
    assert directory_io.export_json()["vendors"] == document["vendors"]
    assert client_for(world.vendor).get("/api/v1/vendors/export").status_code == 403


def test_discover_proposes_and_reports_failures(world: World, keys, settings) -> None:  # type: ignore[no-untyped-def]
    settings.SECURITY_TXT_ALLOW_LOOPBACK = True
    analyst = client_for(world.analyst)
    url = f"/api/v1/vendors/{world.vendor_org.pk}/discover"
    with local_server() as server:
        server.text(
            "/.well-known/security.txt",
            security_txt(contacts=["mailto:psirt@vendor-one.test"], encryption=[server.url + "/key.asc"]),
        )
        server.text("/key.asc", keys.good)
        found = post(analyst, url, {"domain": server.url}).json()
        assert found["found"] and found["contacts"] == ["psirt@vendor-one.test"]
        assert found["key_urls"] == [server.url + "/key.asc"]
        # The analyst accepts the key URL: fetched with the same guarded fetcher, then uploaded.
        key = post(analyst, f"/api/v1/vendors/{world.vendor_org.pk}/keys", {"url": found["key_urls"][0]})
        assert key.status_code == 201 and key.json()["fingerprint"] == keys.good_fpr
        server.routes.clear()
        missing = post(analyst, url, {"domain": server.url}).json()
        assert missing["found"] is False and "answered HTTP 404" in missing["error"]
    settings.SECURITY_TXT_ALLOW_LOOPBACK = False
    refused = post(analyst, url, {"domain": "127.0.0.1"})
    assert refused.status_code == 400 and refused.json()["errors"][0]["field"] == "domain"
    assert "loopback" in refused.json()["detail"]
    assert post(client_for(world.vendor), url, {"domain": "vendor-one.test"}).status_code == 403


# --- Query counts -------------------------------------------------------------------------------------------


def _grow_directory(world: World, count: int) -> None:
    keys = make_keys()
    rows = "".join(
        f"Bulk {i:04d},bulk{i}.test,,,,no,psirt@bulk{i}.test:to;cc@bulk{i}.test:cc\n" for i in range(count)
    )
    directory_io.import_directory(
        "name,website,security_txt_url,phones,notes,require_encryption,contacts\n" + rows,
        filename="bulk.csv",
        fmt="csv",
        by=SYSTEM,
    )
    for org in Organization.objects.filter(name__startswith="Bulk")[:5]:
        actions.upload_key(org, keys.other, by=world.analyst)
        actions.add_contact(org, f"pending@{org.pk}.test", by=world.analyst)


def test_the_directory_api_costs_the_same_with_2_or_500_vendors(
    world: World, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    keys = make_keys()
    for org in (world.vendor_org, world.other_vendor_org):
        actions.add_contact(org, f"psirt@{org.pk}.test", by=world.analyst)
        actions.upload_key(org, keys.good, by=world.analyst)
    analyst = client_for(world.analyst)
    urls = [
        "/api/v1/vendors?limit=500",
        "/api/v1/vendors?q=psirt&limit=500",
        "/api/v1/vendors?has_key=true&pending=false",
    ]
    counts = {}
    for url in urls:
        analyst.get(url)  # warm the session
        with CaptureQueriesContext(connection) as small:
            assert analyst.get(url).status_code == 200
        counts[url] = len(small.captured_queries)
    _grow_directory(world, 498)
    assert Organization.objects.filter(kind="vendor").count() == 502  # 498 + the world's four
    for url in urls:
        with django_assert_num_queries(counts[url]):
            response = analyst.get(url)
        assert response.status_code == 200
    assert len(analyst.get("/api/v1/vendors?limit=500").json()["items"]) == 500
    print("query counts:", counts)

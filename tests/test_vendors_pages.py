"""The vendor directory's pages, through HTTP: search, badges, pending state on both sides,
import/export and discovery; the directory page costs the same with 2 or 500 vendors."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accord.accounts.models import Organization
from accord.core.actors import SYSTEM
from accord.testing import World, login, make_user
from accord.vendors import actions, directory_io
from accord.vendors.models import Contact, PublicKey
from accord.vendors.queries import notification_contacts
from tests.test_vendors_support import local_server, make_keys, security_txt

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def keys():  # type: ignore[no-untyped-def]
    return make_keys()


def text_of(response) -> str:  # type: ignore[no-untyped-def]
    return response.content.decode()


def test_directory_search_and_filters(world: World, keys) -> None:  # type: ignore[no-untyped-def]
    acme = actions.create_vendor(
        "Acme Widgets", website="widgets.example", require_encryption=True, by=world.analyst
    )
    actions.add_contact(acme, "psirt@acme-mail.example", by=world.analyst)
    actions.upload_key(acme, keys.expired, by=world.analyst)
    analyst = login(Client(), world.analyst)
    page = analyst.get("/vendors/")
    assert page.status_code == 200
    assert "Acme Widgets" in text_of(page) and "Vendor One" in text_of(page)
    assert ">Coordination Center</a>" not in text_of(page)
    found = text_of(analyst.get("/vendors/?q=acme-mail"))
    assert "Acme Widgets" in found and "Vendor One" not in found
    assert "psirt@acme-mail.example (to)" in found
    assert '<span class="badge danger">expired</span>' in found and "requires encryption" in found
    by_key = text_of(analyst.get("/vendors/?q=" + keys.expired_fpr[-8:]))
    assert "Acme Widgets" in by_key and "Vendor Two" not in by_key
    no_key = text_of(analyst.get("/vendors/?has_key=no"))
    assert "Acme Widgets" not in no_key and "Vendor One" in no_key
    for user in (world.vendor, world.reporter):
        assert login(Client(), user).get("/vendors/").status_code == 403


def test_vendor_page_shows_flags_as_text_and_history(world: World, keys) -> None:  # type: ignore[no-untyped-def]
    for armored in (keys.expired, keys.revoked, keys.weak):
        actions.upload_key(world.vendor_org, armored, by=world.analyst)
    actions.set_profile(world.vendor_org, notes="Call Bob first.", by=world.analyst)
    page = text_of(login(Client(), world.analyst).get(f"/vendors/{world.vendor_org.pk}/"))
    # A flag that makes the key unusable is a "danger" badge; "weak" (still used) a warning.
    for badge, variant in (
        ("expired", "danger"),
        ("revoked", "danger"),
        ("weak", "warning"),
        ("cannot encrypt", "danger"),
    ):
        assert f'<span class="badge {variant}">{badge}</span>' in page
    assert "Call Bob first." in page and "vendor.key_added" in page
    grouped = " ".join(keys.weak_fpr[i : i + 4] for i in range(0, 40, 4))
    assert grouped in page
    # The vendor's own page never shows the analysts' notes or history.
    mine = text_of(login(Client(), world.vendor).get(f"/vendors/{world.vendor_org.pk}/"))
    assert "Call Bob first." not in mine and "vendor.key_added" not in mine and grouped in mine


def test_vendor_admin_adds_a_contact_and_both_sides_see_it_pending(world: World) -> None:
    vendor = login(Client(), world.vendor)
    response = vendor.post(
        f"/vendors/{world.vendor_org.pk}/contacts/",
        {"email": "new@vendor-one.test", "role": "to", "name": ""},
    )
    assert response.status_code == 302
    page = text_of(vendor.get(response["Location"]))
    assert "It is pending approval by the coordinator." in page
    assert "new@vendor-one.test" in page and "pending approval" in page
    assert notification_contacts(world.vendor_org) == []

    analyst = login(Client(), world.analyst)
    queue = text_of(analyst.get("/vendors/pending/"))
    assert "new@vendor-one.test" in queue and "Vendor One" in queue
    org_page = text_of(analyst.get(f"/vendors/{world.vendor_org.pk}/"))
    assert "Pending approval" in org_page and "Approve<span" in org_page
    contact = Contact.objects.get(email="new@vendor-one.test")
    assert vendor.post(f"/vendors/pending/contact/{contact.pk}/approve/").status_code == 403
    decided = analyst.post(
        f"/vendors/pending/contact/{contact.pk}/approve/", {"next": f"/vendors/{world.vendor_org.pk}/"}
    )
    assert decided.status_code == 302 and decided["Location"] == f"/vendors/{world.vendor_org.pk}/"
    assert [c.email for c in notification_contacts(world.vendor_org)] == ["new@vendor-one.test"]
    assert "Nothing waits for approval." in text_of(analyst.get("/vendors/pending/"))
    # An outside redirect target is ignored.
    other = actions.add_contact(world.vendor_org, "two@vendor-one.test", by=world.vendor)
    away = analyst.post(f"/vendors/pending/contact/{other.pk}/reject/", {"next": "https://evil.test/"})
    assert away["Location"] == "/vendors/pending/"


def test_key_upload_page_refuses_bad_keys_with_the_message(world: World, keys) -> None:  # type: ignore[no-untyped-def]
    analyst = login(Client(), world.analyst)
    url = f"/vendors/{world.vendor_org.pk}/keys/"
    refused = analyst.post(url, {"armored": keys.sign_only})
    assert refused.status_code == 400
    assert "This key cannot encrypt: add an encryption subkey" in text_of(refused)
    upload = SimpleUploadedFile("key.asc", keys.good.encode(), content_type="application/pgp-keys")
    assert analyst.post(url, {"armored": "", "file": upload}).status_code == 302
    key = PublicKey.objects.get()
    download = analyst.get(f"/vendors/{world.vendor_org.pk}/keys/{key.pk}.asc")
    assert download.status_code == 200 and download.content.decode() == key.armored


def test_contact_edit_page(world: World) -> None:
    contact = actions.add_contact(world.vendor_org, "psirt@vendor-one.test", by=world.analyst)
    vendor = login(Client(), world.vendor)
    url = f"/vendors/{world.vendor_org.pk}/contacts/{contact.pk}/"
    assert "Save the contact" in text_of(vendor.get(url))
    response = vendor.post(url, {"email": "moved@vendor-one.test", "role": "to", "name": ""})
    assert response.status_code == 302
    assert [c.email for c in notification_contacts(world.vendor_org)] == ["psirt@vendor-one.test"]
    page = text_of(vendor.get(f"/vendors/{world.vendor_org.pk}/"))
    assert "replacing psirt@vendor-one.test" in page
    member = login(Client(), make_user("m@vendor-one.test", org=world.vendor_org))
    assert "Save the contact" not in text_of(member.get(url))
    assert member.post(url, {"email": "x@vendor-one.test", "role": "to"}).status_code == 403


def test_import_page_lists_every_problem_and_imports_nothing(world: World) -> None:
    analyst = login(Client(), world.analyst)
    bad = SimpleUploadedFile("list.csv", b"name,website,contacts\nOk,,a@ok.test\n,,\nX,bad url,\n")
    response = analyst.post("/vendors/import/", {"file": bad})
    assert response.status_code == 400
    page = text_of(response)
    assert "list.csv: row 4, field website: " in page
    assert "1 problem in list.csv; nothing was imported." in page
    assert not Organization.objects.filter(name="Ok").exists()
    good = SimpleUploadedFile("list.csv", b"name,website,contacts\nOk,,a@ok.test\n")
    assert analyst.post("/vendors/import/", {"file": good, "dry_run": "on"}).status_code == 302
    assert not Organization.objects.filter(name="Ok").exists()
    good.seek(0)
    assert analyst.post("/vendors/import/", {"file": good}).status_code == 302
    assert [c.email for c in notification_contacts(Organization.objects.get(name="Ok"))] == ["a@ok.test"]


def test_export_downloads(world: World, keys) -> None:  # type: ignore[no-untyped-def]
    actions.upload_key(world.vendor_org, keys.good, by=world.analyst)
    analyst = login(Client(), world.analyst)
    csv_file = analyst.get("/vendors/export.csv")
    assert csv_file["Content-Type"].startswith("text/csv") and "attachment" in csv_file["Content-Disposition"]
    assert csv_file.content.decode().startswith(
        "name,website,security_txt_url,phones,notes,require_encryption,contacts"
    )
    json_file = analyst.get("/vendors/export.json")
    document = json.loads(json_file.content)
    by_name = {vendor["name"]: vendor for vendor in document["vendors"]}
    assert by_name["Vendor One"]["keys"] == [PublicKey.objects.get().armored]
    assert login(Client(), world.vendor).get("/vendors/export.json").status_code == 403


def test_discover_page_proposes_and_accepts(world: World, keys, settings) -> None:  # type: ignore[no-untyped-def]
    settings.SECURITY_TXT_ALLOW_LOOPBACK = True
    analyst = login(Client(), world.analyst)
    url = f"/vendors/{world.vendor_org.pk}/discover/"
    assert analyst.get(url).status_code == 200
    with local_server() as server:
        server.text(
            "/.well-known/security.txt",
            security_txt(
                contacts=["mailto:psirt@vendor-one.test", "mailto:alt@vendor-one.test"],
                encryption=[server.url + "/key.asc"],
            ),
        )
        server.text("/key.asc", keys.good)
        page = analyst.post(url, {"step": "discover", "domain": server.url})
        assert page.status_code == 200
        html = text_of(page)
        assert 'value="psirt@vendor-one.test"' in html and server.url + "/key.asc" in html
        accepted = analyst.post(
            url,
            {"step": "accept", "contacts": ["psirt@vendor-one.test"], "key_urls": [server.url + "/key.asc"]},
        )
        assert accepted.status_code == 302
        server.routes.clear()
        failed = analyst.post(url, {"step": "discover", "domain": server.url})
        assert failed.status_code == 400 and "answered HTTP 404" in text_of(failed)
    assert [c.email for c in notification_contacts(world.vendor_org)] == ["psirt@vendor-one.test"]
    assert PublicKey.objects.get().fingerprint == keys.good_fpr
    settings.SECURITY_TXT_ALLOW_LOOPBACK = False
    refused = analyst.post(url, {"step": "discover", "domain": "127.0.0.1"})
    assert refused.status_code == 400 and "loopback" in text_of(refused)
    assert login(Client(), world.vendor).get(url).status_code == 403


def test_the_directory_page_costs_the_same_with_2_or_500_vendors(
    world: World, keys, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    for org, admin in ((world.vendor_org, world.vendor), (world.other_vendor_org, world.other_vendor)):
        actions.add_contact(org, f"psirt@{org.pk}.test", by=world.analyst)
        actions.upload_key(org, keys.good, by=world.analyst)
        actions.add_contact(org, f"pending@{org.pk}.test", by=admin)
    analyst = login(Client(), world.analyst)
    urls = [
        "/vendors/",
        "/vendors/?q=psirt",
        "/vendors/?has_key=yes&require_encryption=no",
        "/vendors/pending/",
    ]
    counts = {}
    for url in urls:
        analyst.get(url)
        with CaptureQueriesContext(connection) as small:
            assert analyst.get(url).status_code == 200
        counts[url] = len(small.captured_queries)
    rows = "".join(
        f"Bulk {i:04d},bulk{i}.test,psirt@bulk{i}.test:to;cc@bulk{i}.test:cc\n" for i in range(498)
    )
    directory_io.import_directory("name,website,contacts\n" + rows, filename="bulk.csv", fmt="csv", by=SYSTEM)
    for org in Organization.objects.filter(name__startswith="Bulk")[:50]:
        admin = make_user(f"admin@{org.pk}.test", org=org, role="admin")
        actions.upload_key(org, keys.other, by=admin)
        actions.add_contact(org, f"asked@{org.pk}.test", by=admin)
        active = Contact.objects.filter(organization=org, status="active")
        actions.update_contact(active[0], email=f"moved@{org.pk}.test", by=admin)
        actions.remove_contact(active[1], by=admin, reason="The desk closed.")
    assert Organization.objects.filter(kind="vendor").count() == 502  # 498 + the world's four
    for url in urls:
        with django_assert_num_queries(counts[url]):
            assert analyst.get(url).status_code == 200
    print("query counts:", counts)

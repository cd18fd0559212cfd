"""The public site and public JSON of Vulnerability Notes (issue 11 item 6): only published
revisions of notes that are not withdrawn, statements verbatim, constant queries."""

from __future__ import annotations

import datetime as dt
import hashlib
from urllib.parse import quote

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.publication.models import Note, Revision
from accord.publication.snapshot_text import search_text
from accord.testing import RAW_STATEMENT, login, make_case, publish_snapshot, sample_snapshot

pytestmark = pytest.mark.django_db

SECRET = "Embargoed zebra overflow"


def _published(number: int = 854306, vendors: int = 4, **kwargs):  # type: ignore[no-untyped-def]
    case = make_case(number, **kwargs)
    snapshot = sample_snapshot(case, vendors)
    revision = publish_snapshot(case, snapshot)
    return case, snapshot, revision


def _leaky_cases():  # type: ignore[no-untyped-def]
    """A draft note, a case without a note, and a published note with a pending and a discarded
    revision: the SECRET is in all the unpublished text."""
    draft_case = make_case(111111, title=SECRET + " draft")
    Note.objects.create(case=draft_case, overview=SECRET)
    make_case(222222, title=SECRET + " no note")
    case, snapshot, _ = _published(333333)
    for state in (Revision.State.PENDING, Revision.State.DISCARDED):
        leaked = {**snapshot, "title": SECRET, "sections": {**snapshot["sections"], "overview": SECRET}}
        Revision.objects.create(note=case.note, state=state, snapshot=leaked, search_text=search_text(leaked))
    return draft_case, case


def _all_public(client: Client) -> list[str]:
    urls = [
        "/vuls/",
        f"/vuls/?q={SECRET.split()[1]}",
        "/vuls/feed.atom",
        "/sitemap.xml",
        "/api/v1/notes",
        f"/api/v1/notes?q={SECRET.split()[1]}",
        "/vuls/333333/",
        "/vuls/333333/revisions/1/",
        "/vuls/333333/revisions/2/",
        "/api/v1/notes/VU333333",
        "/api/v1/notes/VU333333?revision=2",
        "/vuls/111111/",
        "/vuls/222222/",
        "/api/v1/notes/111111",
        "/api/v1/notes/222222",
    ]
    return [client.get(url).content.decode() for url in urls]


def test_unpublished_text_never_appears_anywhere_public(world) -> None:  # type: ignore[no-untyped-def]
    _leaky_cases()
    for persona in (None, world.vendor, world.analyst):
        bodies = _all_public(login(Client(), persona))
        assert not [b for b in bodies if SECRET in b]
    client = Client()
    assert client.get("/vuls/111111/").status_code == 404
    assert client.get("/vuls/222222/").status_code == 404
    assert client.get("/vuls/333333/revisions/2/").status_code == 404
    assert client.get("/api/v1/notes/111111").status_code == 404
    assert [n["id"] for n in client.get("/api/v1/notes").json()["items"]] == ["VU#333333"]
    assert client.get("/vuls/?q=zebra").content.decode().count("VU#") == 0
    assert "333333" not in client.get("/vuls/?q=zebra").content.decode()
    assert "/vuls/111111" not in client.get("/sitemap.xml").content.decode()


def test_note_page_shows_the_snapshot() -> None:
    case, snapshot, _ = _published()
    client = Client()
    for ref in ("854306", "VU854306", "VU%23854306"):
        assert client.get(f"/vuls/{ref}/").status_code == 200, ref
    page = client.get("/vuls/854306/").content.decode()
    assert "<strong>overflow</strong>" in page  # Markdown
    assert "<b>here</b>" not in page  # raw HTML is not passed through
    assert "CVE-2026-1001" in page and "CWE-787" in page and "CVSS:3.1/AV:N" in page
    assert f"Acme {case.number}" in page and "Vendor 2" in page
    assert f"Hidden Corp {case.number}" not in page
    assert "No response" in page and "Not affected" in page
    assert "Addendum by the coordinator" in page
    assert "first contact attempt" in page and "Revision history" in page
    # The statement verbatim, escaped.
    assert "<script>alert(1)</script>" not in page
    assert "Café &lt;script&gt;alert(1)&lt;/script&gt;" in page
    named = snapshot["vendors"][0]["statement"]["id"]
    hidden = snapshot["vendors"][1]["statement"]["id"]
    assert f"/vuls/854306/statements/{named}.txt" in page
    assert f"/vuls/854306/statements/{named}.asc" in page
    assert "B" * 40 not in page  # the anonymous vendor's key is never shown
    assert f"/vuls/854306/statements/{hidden}.asc" not in page
    assert "did <strong>not</strong> verify" in page


def test_raw_statement_is_exact_and_only_when_published() -> None:
    case, snapshot, _ = _published()
    client = Client()
    named = snapshot["vendors"][0]["statement"]["id"]
    response = client.get(f"/vuls/854306/statements/{named}.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content == RAW_STATEMENT
    assert hashlib.sha256(response.content).hexdigest() == snapshot["vendors"][0]["statement"]["sha256"]
    signature = client.get(f"/vuls/854306/statements/{named}.asc")
    assert signature.status_code == 200 and b"BEGIN PGP SIGNATURE" in signature.content
    hidden = snapshot["vendors"][1]["statement"]["id"]
    assert client.get(f"/vuls/854306/statements/{hidden}.asc").status_code == 404
    # A statement in no published snapshot, or of another case: 404.
    from accord.answers.models import Statement

    participant = Statement.objects.get(pk=named).participant
    other = Statement.objects.create(participant=participant, version=2, text=b"unpublished")
    assert client.get(f"/vuls/854306/statements/{other.pk}.txt").status_code == 404
    _published(100001)
    assert client.get(f"/vuls/100001/statements/{named}.txt").status_code == 404
    assert client.get("/vuls/854306/statements/99999999.txt").status_code == 404


def test_public_json() -> None:
    case, snapshot, _ = _published(vendors=5)
    client = Client()
    data = client.get("/api/v1/notes/VU%23854306").json()
    assert data["id"] == "VU#854306" and data["revision"] == 1
    vendors = data["vendors"]
    assert len(vendors) == 5
    silent = [v for v in vendors if v["statement"] is None]
    assert silent and all(
        v["statuses"] and {s["status"] for s in v["statuses"]} == {"unknown"} for v in silent
    )
    named = vendors[0]["statement"]
    assert named["text"] == RAW_STATEMENT.decode()
    assert named["raw_url"].endswith(f"/vuls/VU{case.number}/statements/{named['id']}.txt")
    assert vendors[1]["anonymous"] and vendors[1]["statement"]["fingerprint"] == ""
    assert vendors[1]["statement"]["signature_url"] is None
    listing = client.get("/api/v1/notes?limit=1").json()
    assert listing["items"][0]["id"] == "VU#854306"
    assert client.get("/api/v1/notes?year=abc").status_code in (400, 422)
    assert client.get("/api/v1/notes/notacase").status_code == 404
    assert client.get("/api/v1/notes/854306?revision=9").status_code == 404


def test_a_vendor_without_statuses_is_unknown_in_json() -> None:
    case = make_case(100002, vulnerabilities=2)
    snapshot = sample_snapshot(case)
    snapshot["vendors"][3]["statuses"] = []
    publish_snapshot(case, snapshot)
    vendor = Client().get("/api/v1/notes/100002").json()["vendors"][3]
    assert [s["status"] for s in vendor["statuses"]] == ["unknown", "unknown"]


def test_revisions_history_and_older_revisions() -> None:
    case, snapshot, _ = _published()
    later = {**snapshot, "title": "Heap overflow, corrected"}
    publish_snapshot(case, later, number=2, at=timezone.now() + dt.timedelta(hours=1))
    client = Client()
    page = client.get("/vuls/854306/").content.decode()
    assert "Heap overflow, corrected" in page and "/vuls/VU854306/revisions/1/" in page
    old = client.get("/vuls/854306/revisions/1/").content.decode()
    assert "Heap overflow in the widget parser" in old and "not the latest" in old
    assert (
        client.get("/api/v1/notes/854306?revision=1").json()["title"] == "Heap overflow in the widget parser"
    )
    feed = client.get("/vuls/feed.atom")
    assert feed["Content-Type"].startswith("application/atom+xml")
    assert feed.content.decode().count("<entry>") == 2
    assert client.get("/vuls/").content.decode().count("VU#854306") == 1


def test_withdrawn_note_is_a_tombstone(world) -> None:  # type: ignore[no-untyped-def]
    case, snapshot, _ = _published()
    Note.objects.filter(case=case).update(
        state=Note.State.WITHDRAWN, withdrawn_at=timezone.now(), withdrawn_reason="Wrong vendor named."
    )
    client = Client()
    page = client.get("/vuls/854306/")
    assert page.status_code == 410
    body = page.content.decode()
    assert "Wrong vendor named." in body and "Acme" not in body
    assert client.get("/vuls/854306/revisions/1/").status_code == 410
    api = client.get("/api/v1/notes/854306")
    assert api.status_code == 410 and "Wrong vendor named." in api.json()["detail"]
    named = snapshot["vendors"][0]["statement"]["id"]
    assert client.get(f"/vuls/854306/statements/{named}.txt").status_code == 404
    assert "854306" not in client.get("/vuls/").content.decode()
    assert "854306" not in client.get("/sitemap.xml").content.decode()
    # Staff still read the revisions.
    staff = login(Client(), world.analyst)
    assert "Acme" in staff.get("/vuls/854306/revisions/1/").content.decode()
    assert login(Client(), world.vendor).get("/vuls/854306/revisions/1/").status_code == 410


def test_filters_and_search() -> None:
    first = make_case(100010, title="Alpha router flaw")
    publish_snapshot(first, sample_snapshot(first), at=timezone.now() - dt.timedelta(days=400))
    second = make_case(100011, title="Beta camera flaw")
    snapshot = sample_snapshot(second)
    publish_snapshot(second, snapshot)
    client = Client()
    listing = client.get("/vuls/").content.decode()
    assert listing.index("VU#100011") < listing.index("VU#100010")  # newest first
    assert "100010" not in client.get("/vuls/?q=camera").content.decode()
    assert "VU#100011" in client.get("/vuls/?q=camera").content.decode()
    this_year = timezone.now().year
    by_year = client.get(f"/vuls/?year={this_year}").content.decode()
    assert "VU#100011" in by_year and "VU#100010" not in by_year
    by_vendor = client.get("/vuls/?vendor=acme 100011").content.decode()
    assert "VU#100011" in by_vendor and "VU#100010" not in by_vendor
    # An anonymous vendor is found by its alias only, never its name.
    assert "VU#100011" not in client.get("/vuls/?vendor=Hidden Corp 100011").content.decode()
    assert "VU#100011" not in client.get("/vuls/?q=Hidden").content.decode()
    assert client.get("/vuls/?page=999&year=x").status_code == 200
    api = client.get("/api/v1/notes?vendor=acme%20100010").json()
    assert [n["id"] for n in api["items"]] == ["VU#100010"]


def test_for_vendors_page(settings) -> None:  # type: ignore[no-untyped-def]
    settings.DEFAULT_FROM_EMAIL = "cert@coordinator.test"
    page = Client().get("/for-vendors/").content.decode()
    assert "cert@coordinator.test" in page
    for words in ("VU#", "triage inbox", "clearsigned", "PGP/MIME", "contacts", "anonymous", "multi-vendor"):
        assert words.lower() in page.lower(), words
    assert "/for-vendors/" in Client().get("/policy/").content.decode()
    assert "/vuls/feed.atom" in Client().get("/vuls/").content.decode()


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


def test_constant_queries_whatever_the_number_of_vendors() -> None:
    small = make_case(100020, title="Small widget flaw")
    publish_snapshot(small, sample_snapshot(small, 10))
    client = Client()
    urls = ["/vuls/", "/vuls/100020/", "/vuls/?q=widget", "/api/v1/notes", "/api/v1/notes/100020"]
    before = [_queries(client, url) for url in urls]
    big = make_case(100021, title="Big widget flaw")
    publish_snapshot(big, sample_snapshot(big, 300))
    after = [_queries(client, url.replace("100020", "100021")) for url in urls]
    assert before == after
    assert "Silent Vendor 296" in client.get("/vuls/100021/").content.decode()


def test_an_anonymous_vendors_statement_never_shows_its_signature() -> None:
    _, snapshot, _ = _published()
    hidden = snapshot["vendors"][1]
    assert hidden["anonymous"] and hidden["name"] == "Vendor 2"
    client = Client()
    raw = client.get(f"/vuls/854306/statements/{hidden['statement']['id']}.txt")
    assert raw.status_code == 200
    assert b"Not affected." in raw.content and b"SIGNERKEYID" not in raw.content
    assert b"PGP" not in raw.content
    page = client.get("/vuls/854306/").content.decode()
    assert "SIGNERKEYID" not in page and "Signed; verified by the coordinator" in page
    api = client.get("/api/v1/notes/854306").content.decode()
    assert "SIGNERKEYID" not in api and "Hidden Corp" not in api


def test_every_public_note_route_answers_every_persona(world) -> None:  # type: ignore[no-untyped-def]
    """The note routes are public: with a published note, every persona reads the same thing."""
    from accord.core.routes import all_routes
    from accord.testing import PERSONAS

    _, snapshot, _ = _published()
    values = {
        "case": "VU854306",
        "revision_number": "1",
        "statement_id": str(snapshot["vendors"][0]["statement"]["id"]),
        "filename": "csaf.json",
        "format": "csaf",
    }
    api = ("list_notes", "get_note", "get_note_export")
    routes = [r for r in all_routes() if r.name.startswith("publication:") or r.name in api]
    assert len(routes) == 13
    for route in routes:
        assert route.rule == "public", route.pattern
        url = "/" + route.pattern
        for name, value in values.items():
            for converter in ("str", "int", "export"):
                url = url.replace(f"<{converter}:{name}>", value)
            url = url.replace("<" + name + ">", value)
        answers = set()
        for persona in PERSONAS:
            response = login(Client(), world.persona(persona)).get(url)
            assert response.status_code == 200, (url, persona, response.status_code)
            answers.add(response.status_code)
        assert answers == {200}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    q=st.text(max_size=300),
    vendor=st.text(max_size=300),
    year=st.text(max_size=6),
    ref=st.text(max_size=12),
)
def test_any_query_or_ref_answers_without_a_server_error(q: str, vendor: str, year: str, ref: str) -> None:
    client = Client()
    params = {"q": q, "vendor": vendor, "year": year, "page": year}
    assert client.get("/vuls/", params).status_code == 200
    assert client.get("/api/v1/notes", params).status_code in (200, 400)
    assert client.get("/api/v1/notes/" + quote(ref, safe="")).status_code in (404, 400)
    assert client.get("/vuls/" + quote(ref, safe="") + "/").status_code in (404, 400)

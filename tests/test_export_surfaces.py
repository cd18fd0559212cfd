"""Where the exports are (issue 12 item 3): the public URLs of each note and revision, the API route
and `accord export` serve the same bytes, refuse for the same reasons, and never serve anything
unpublished, whoever asks."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from accord.exports import lookup, registry, source
from accord.publication import actions as notes
from accord.publication.models import Note, Revision
from accord.publication.snapshot_text import search_text
from accord.testing import PERSONAS, World, login, make_case, publish_snapshot, sample_snapshot, token_client
from tests.export_validators import csaf_problems, schema_problems

pytestmark = pytest.mark.django_db

SECRET = "Embargoed zebra overflow"
CNA = "b3476cb9-2e3d-41a6-98d0-0f47421a65b6"  # an example CNA org UUID
FILES = {"csaf": "csaf.json", "csaf21": "csaf-2.1.json", "cve5": "cve.json", "osv": "osv.json"}
FILES["openvex"] = "openvex.json"


@pytest.fixture(autouse=True)
def _cna(settings):  # type: ignore[no-untyped-def]
    # CVE records need the instance's CNA org id; without it cve5 is "not available" (tested below).
    settings.CVE_ORG_ID = CNA
    settings.CVE_ORG_SHORT_NAME = "Accord"


def _published(number: int = 854306, revisions: int = 1):  # type: ignore[no-untyped-def]
    case = make_case(number, vulnerabilities=2)
    snapshot = sample_snapshot(case, 5)
    publish_snapshot(case, snapshot)
    for k in range(2, revisions + 1):
        snapshot = {**snapshot, "sections": {**snapshot["sections"], "solution": f"Update to 2.{k}."}}
        publish_snapshot(case, snapshot, number=k)
    return case


def _problems(fmt: str, content: bytes) -> list[Any]:
    doc = json.loads(content)
    if fmt in ("csaf", "csaf21"):
        return csaf_problems([doc], fmt)[0]
    if fmt == "cve5":
        return [p for record in doc for p in schema_problems(record, "cve5")]
    return schema_problems(doc, fmt)


def _cli(*args: Any, **options: Any) -> str:
    out = StringIO()
    call_command("export", *args, stdout=out, **options)
    return out.getvalue()


def _cli_error(*args: Any, **options: Any) -> str:
    out = StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("export", *args, stdout=out, **options)
    assert out.getvalue() == ""  # nothing on stdout
    message = str(raised.value)
    assert "\n" not in message
    return message


# --- Same bytes everywhere ---------------------------------------------------------------------


def test_url_api_and_cli_give_the_same_bytes_for_every_format(settings) -> None:  # type: ignore[no-untyped-def]
    settings.CSAF_21 = True
    _published(revisions=2)
    client = Client()
    served = 0
    for fmt, filename in FILES.items():
        try:
            expected = lookup.export("854306", fmt).content
        except lookup.Unavailable as exc:
            # Only for a documented reason, and then refused alike everywhere.
            assert "is not available for this note" in exc.detail, exc.detail
            assert client.get(f"/vuls/854306/{filename}").content.decode().strip() == exc.detail
            assert client.get(f"/api/v1/notes/854306/exports/{fmt}").json()["detail"] == exc.detail
            assert exc.detail in _cli_error("854306", format=fmt)
            continue
        served += 1
        for ref in ("854306", "VU854306", "VU%23854306"):
            response = client.get(f"/vuls/{ref}/{filename}")
            assert response.status_code == 200, (ref, filename)
            assert response.content == expected
        assert response["Content-Type"] == "application/json; charset=utf-8"
        assert response["Access-Control-Allow-Origin"] == "*"
        assert response["Content-Disposition"].startswith('inline; filename="vu_854306')
        api = client.get(f"/api/v1/notes/VU%23854306/exports/{fmt}")
        assert api.status_code == 200 and api.content == expected
        assert _cli("VU#854306", format=fmt).encode() == expected
        assert _problems(fmt, expected) == []
        # Revision 1 by its own URL, the API's ?revision= and --revision: its own bytes, still valid.
        old = client.get(f"/vuls/VU854306/revisions/1/{filename}")
        assert old.status_code == 200
        assert old.content == registry.document(registry.get(fmt), source.published("854306", 1))  # type: ignore[arg-type]
        assert client.get(f"/api/v1/notes/854306/exports/{fmt}?revision=1").content == old.content
        assert _cli("854306", format=fmt, revision=1).encode() == old.content
        assert client.get(f"/vuls/854306/revisions/2/{filename}").content == expected
        assert _problems(fmt, old.content) == []
    assert served >= 3  # CSAF 2.0 and 2.1 and CVE at least describe this note
    assert client.get("/vuls/854306/csaf.json")["Content-Disposition"] == 'inline; filename="vu_854306.json"'


def test_the_cli_defaults_to_csaf_and_prints_a_json_array_for_cve5() -> None:
    _published()
    assert json.loads(_cli("VU854306"))["document"]["tracking"]["id"] == "VU#854306"
    records = json.loads(_cli("VU854306", format="cve5"))
    assert isinstance(records, list) and len(records) == 2
    assert {r["cveMetadata"]["cveId"] for r in records} == {"CVE-2026-1001", "CVE-2026-1002"}


# --- Refusals ----------------------------------------------------------------------------------


def test_not_available_is_404_with_the_reason() -> None:
    # process.md: no CVE record for a note whose vulnerabilities have no CVE id.
    case = make_case(854306, vulnerabilities=2)
    case.vulnerabilities.update(cve="")
    publish_snapshot(case, sample_snapshot(case, 5))
    client = Client()
    response = client.get("/vuls/854306/cve.json")
    assert response.status_code == 404
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    body = response.content.decode()
    assert body.startswith("CVE JSON 5.2 is not available for this note: no CVE id is assigned")
    api = client.get("/api/v1/notes/854306/exports/cve5")
    assert api.status_code == 404 and api.json() == {"detail": body.strip()}
    message = _cli_error("VU#854306", format="cve5")
    assert message == f"VU#854306: {body.strip()}"
    # The note page says so too, with the reason, and links the others.
    page = client.get("/vuls/854306/").content.decode()
    assert "CVE JSON 5.2: not available for this note (no CVE id is assigned" in page
    assert 'href="/vuls/VU854306/csaf.json"' in page


def test_cve_records_only_for_a_cve_numbering_authority(settings) -> None:  # type: ignore[no-untyped-def]
    settings.CVE_ORG_ID = ""  # not a CNA: the instance offers no CVE records at all
    _published()
    client = Client()
    off = client.get("/vuls/854306/cve.json")
    assert off.status_code == 404
    assert off.content.decode().strip() == "CVE JSON 5.2 is turned off on this instance (ACCORD_CVE_ORG_ID)."
    assert client.get("/api/v1/notes/854306/exports/cve5").status_code == 404
    assert "ACCORD_CVE_ORG_ID" in _cli_error("854306", format="cve5")
    page = client.get("/vuls/854306/").content.decode()
    assert "cve.json" not in page and "CVE JSON" not in page
    assert 'href="/vuls/VU854306/osv.json"' in page


def test_csaf_21_only_when_the_setting_is_on(settings) -> None:  # type: ignore[no-untyped-def]
    _published()
    client = Client()
    settings.CSAF_21 = False
    off = client.get("/vuls/854306/csaf-2.1.json")
    assert off.status_code == 404 and "CSAF 2.1 (draft) is turned off" in off.content.decode()
    assert client.get("/api/v1/notes/854306/exports/csaf21").status_code == 404
    assert "VU#854306" in _cli_error("854306", format="csaf21")
    assert "csaf-2.1.json" not in client.get("/vuls/854306/").content.decode()
    settings.CSAF_21 = True
    on = client.get("/vuls/854306/csaf-2.1.json")
    assert on.status_code == 200 and _problems("csaf21", on.content) == []
    assert client.get("/api/v1/notes/854306/exports/csaf21").content == on.content
    assert 'href="/vuls/VU854306/csaf-2.1.json"' in client.get("/vuls/854306/").content.decode()


def test_missing_notes_revisions_and_formats_are_404_never_500() -> None:
    _published()
    client = Client()
    for url, words in (
        ("/vuls/999999/csaf.json", "VU#999999 has no published note."),
        ("/vuls/854306/revisions/2/csaf.json", "VU#854306 has no published revision 2."),
        ("/vuls/854306/revisions/99999999999999999999/csaf.json", "has no published revision"),
        ("/vuls/854306/nope.json", "There is no export format named 'nope.json'"),
        ("/vuls/notacase/csaf.json", "is not a case id"),
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert words in response.content.decode(), url
    for url, status in (
        ("/api/v1/notes/854306/exports/nope", 400),
        ("/api/v1/notes/854306/exports/csaf?revision=0", 404),
        ("/api/v1/notes/854306/exports/csaf?revision=-3", 404),
        ("/api/v1/notes/854306/exports/csaf?revision=99999999999999999999", 404),
        ("/api/v1/notes/854306/exports/csaf?revision=x", 400),
        ("/api/v1/notes/999999/exports/csaf", 404),
    ):
        response = client.get(url)
        assert response.status_code == status, url
        assert response.json()["detail"], url
    assert client.post("/vuls/854306/csaf.json").status_code == 405
    assert "no published revision 4" in _cli_error("854306", revision=4)
    assert "VU#999999 has no published note" in _cli_error("VU999999")


def test_a_withdrawn_note_is_gone_from_every_surface(world: World) -> None:
    case = _published(revisions=2)
    note = Note.objects.get(case=case)
    notes.withdraw(note, by=world.publisher, reason="Not a vulnerability after all")
    for user in (None, world.analyst, world.publisher):
        client = login(Client(), user)
        for url in ("/vuls/854306/csaf.json", "/vuls/854306/revisions/1/csaf.json"):
            response = client.get(url)
            assert response.status_code == 410, url
            assert (
                response.content.decode().strip() == "VU#854306 was withdrawn: Not a vulnerability after all"
            )
        assert client.get("/api/v1/notes/854306/exports/csaf").status_code == 410
    assert "was withdrawn" in _cli_error("854306")
    # Staff still read the withdrawn revision's page, but it links no export (they answer 410).
    page = login(Client(), world.analyst).get("/vuls/854306/revisions/1/").content.decode()
    assert "Machine-readable formats" not in page and "csaf.json" not in page


# --- The note page's links -------------------------------------------------------------------------


def test_note_and_revision_pages_link_their_documents(world: World) -> None:
    _published(revisions=2)
    client = Client()
    page = client.get("/vuls/VU%23854306/").content.decode()
    assert "Machine-readable formats" in page
    assert (
        '<link rel="alternate" type="application/json" title="CSAF 2.0" href="/vuls/VU854306/csaf.json">'
        in page
    )
    for fmt in registry.formats():
        assert fmt.title in page
    assert 'href="/vuls/VU854306/csaf.json"' in page and 'href="/vuls/VU854306/openvex.json"' in page
    old = client.get("/vuls/854306/revisions/1/").content.decode()
    assert 'href="/vuls/VU854306/revisions/1/csaf.json"' in old
    assert 'href="/vuls/VU854306/csaf.json"' not in old.split("Machine-readable formats")[1]
    # Every link on the page answers 200.
    for fmt in registry.formats():
        for url in (f"/vuls/VU854306/{fmt.filename}", f"/vuls/VU854306/revisions/1/{fmt.filename}"):
            if f'href="{url}"' in page + old:
                assert client.get(url).status_code == 200, url


def test_the_draft_preview_links_no_export(world: World) -> None:
    assert world.case is not None
    note = notes.note_for(world.case, by=world.analyst)
    notes.save_draft(note, {"overview": "A heap overflow."}, by=world.analyst)
    preview = login(Client(), world.analyst).get(f"/cases/{world.case.url_ref}/note/preview/")
    assert preview.status_code == 200
    body = preview.content.decode()
    assert "A heap overflow." in body
    assert "Machine-readable formats" not in body and ".json" not in body


# --- Embargo leaks -----------------------------------------------------------------------------


def _leaky_cases() -> None:
    """A draft note, a case without a note, and a published note with a pending and a discarded
    revision: the SECRET is in all the unpublished text."""
    draft_case = make_case(111111, title=SECRET + " draft")
    Note.objects.create(case=draft_case, overview=SECRET)
    make_case(222222, title=SECRET + " no note")
    case = make_case(333333)
    snapshot = sample_snapshot(case, 4)
    publish_snapshot(case, snapshot)
    for state in (Revision.State.PENDING, Revision.State.DISCARDED):
        leaked = {**snapshot, "title": SECRET, "sections": {**snapshot["sections"], "overview": SECRET}}
        Revision.objects.create(note=case.note, state=state, snapshot=leaked, search_text=search_text(leaked))


def _export_urls() -> list[tuple[str, int]]:
    urls = []
    for fmt, filename in FILES.items():
        for ref in ("111111", "222222"):
            urls += [(f"/vuls/{ref}/{filename}", 404), (f"/vuls/{ref}/revisions/1/{filename}", 404)]
            urls += [(f"/api/v1/notes/{ref}/exports/{fmt}", 404)]
            urls += [(f"/api/v1/notes/{ref}/exports/{fmt}?revision=1", 404)]
        for k in (2, 3):
            urls += [(f"/vuls/333333/revisions/{k}/{filename}", 404)]
            urls += [(f"/api/v1/notes/333333/exports/{fmt}?revision={k}", 404)]
        urls += [(f"/vuls/333333/{filename}", 0), (f"/vuls/333333/revisions/1/{filename}", 0)]
        urls += [(f"/api/v1/notes/333333/exports/{fmt}", 0)]
    return urls


def test_nothing_unpublished_is_exported_to_anyone(world: World, settings) -> None:  # type: ignore[no-untyped-def]
    settings.CSAF_21 = True
    _leaky_cases()
    clients = []
    for persona in PERSONAS:
        user = world.persona(persona)
        clients.append((persona, login(Client(), user)))
        if user is not None:
            clients.append((persona + " (token)", token_client(user)))
    urls = _export_urls()
    failures = []
    for who, client in clients:
        for url, status in urls:
            response = client.get(url)
            if SECRET in response.content.decode():
                failures.append(f"{who} {url}: the secret")
            if status and response.status_code != status:
                failures.append(f"{who} {url}: {response.status_code}")
            if response.status_code >= 500:
                failures.append(f"{who} {url}: {response.status_code}")
    assert not failures, "\n".join(failures)
    for ref, revision in (("111111", None), ("222222", None), ("333333", 2), ("333333", 3)):
        for fmt in FILES:
            assert "VU#" in _cli_error(ref, format=fmt, revision=revision)
    assert SECRET not in _cli("333333")


def test_the_favicon_a_browser_asks_for_beside_a_json_export_exists() -> None:
    # Chromium asks for /favicon.ico when it shows a JSON document; a 404 there is noise in logs.
    response = Client().get("/favicon.ico")
    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
    assert response.content.startswith(b"<svg")

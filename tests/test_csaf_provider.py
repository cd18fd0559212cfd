"""Accord as a CSAF provider (issue 12 item 4, CSAF 2.0 §7.1): provider-metadata.json, the ROLIE feed,
index.txt, changes.csv, the documents with their hashes and signatures, re-signed only when their
bytes change, and nothing unpublished anywhere in the directory."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accord.cases import actions as case_actions
from accord.cases.models import Participant
from accord.core.schedule import JOBS
from accord.exports import provider
from accord.exports.models import CsafDocument
from accord.lib import openpgp
from accord.mailgate import coordinator_key
from accord.publication import actions
from accord.publication.models import Note, Revision
from accord.publication.snapshot_text import search_text
from accord.testing import World, make_case, make_world, publish_snapshot, sample_snapshot, start_embargo
from tests.export_validators import CSAF, csaf_problems, schema_problems
from tests.test_publication import approved_note, end_embargo

pytestmark = pytest.mark.django_db

SITE = "https://cert.example.org"
SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "data" / "certcc-vda"
SECRET = "Embargoed zebra overflow"
WELL_KNOWN = "/.well-known/csaf/provider-metadata.json"
FEED = "/.well-known/csaf/white/csaf-feed-tlp-white.json"


@pytest.fixture(autouse=True)
def _site(settings) -> None:  # type: ignore[no-untyped-def]
    settings.SITE_URL = SITE
    settings.INSTANCE_NAME = "Example CERT"
    settings.CSAF_21 = False


@pytest.fixture
def publication_world() -> World:
    """A case with an embargo, a vulnerability and notified vendors, for the real publication actions
    (as in tests/test_publication.py)."""
    world = make_world()
    start_embargo(world)
    assert world.case is not None
    case_actions.add_vulnerability(
        world.case, by=world.analyst, title="Heap overflow", description="In the parser.", cve="CVE-2026-1234"
    )
    world.case.participants.filter(kind=Participant.Kind.VENDOR).update(first_contact_at=timezone.now())
    return world


@pytest.fixture(scope="module")
def coordinator_secret() -> str:
    return openpgp.generate_key("Example CERT", "cert@example.org", "correct horse")


@pytest.fixture
def key(settings, tmp_path: Path, coordinator_secret: str) -> openpgp.KeyInfo:  # type: ignore[no-untyped-def]
    passphrase = tmp_path / "passphrase"
    passphrase.write_text("correct horse\n")
    settings.OPENPGP_PASSPHRASE_FILE = str(passphrase)
    return coordinator_key.install(coordinator_secret, "correct horse").info


@pytest.fixture
def signatures(monkeypatch) -> list[bytes]:  # type: ignore[no-untyped-def]
    """Every call of the signing function, with the bytes it signed."""
    calls: list[bytes] = []
    real = openpgp.sign_detached

    def counted(data: bytes, *args: Any, **kwargs: Any) -> str:
        calls.append(data)
        return real(data, *args, **kwargs)

    monkeypatch.setattr(openpgp, "sign_detached", counted)
    return calls


def _published(number: int, vendors: int = 4, **kwargs: Any) -> tuple[Any, dict[str, Any]]:
    case = make_case(number, **kwargs)
    snapshot = sample_snapshot(case, vendors)
    publish_snapshot(case, snapshot)
    return case, snapshot


def _get(client: Client, url: str) -> bytes:
    response = client.get(url.removeprefix(SITE))
    assert response.status_code == 200, (url, response.status_code)
    return response.content


def _listed(client: Client) -> list[str]:
    """The document URLs of the ROLIE feed, checked against index.txt."""
    feed = json.loads(_get(client, FEED))["feed"]
    urls = [entry["content"]["src"] for entry in feed["entry"]]
    index = _get(client, "/.well-known/csaf/white/index.txt").decode().splitlines()
    assert sorted(f"{SITE}/.well-known/csaf/white/{path}" for path in index) == sorted(urls)
    return urls


def gpg(home: Path, *args: str, data: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    return subprocess.run(
        ["gpg", "--homedir", str(home), "--batch", "--status-fd", "1", *args],
        input=data,
        capture_output=True,
        timeout=60,
        check=False,
    )


# --- Publication to directory --------------------------------------------------------------------


def test_every_listed_document_verifies_with_sha256sum_sha512sum_and_gpg(
    publication_world, key: openpgp.KeyInfo, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    _published(854306)
    _published(100001, vendors=5, title="Path traversal in the uploader")
    # One through the real publication actions.
    end_embargo(publication_world)
    actions.publish_now(approved_note(publication_world), by=publication_world.publisher)
    counts = provider.refresh()
    assert (counts.changed, counts.unchanged, counts.removed, counts.failed) == (3, 0, 0, 0)

    client = Client()
    urls = _listed(client)
    assert len(urls) == 3
    home = tmp_path / "reader"
    assert gpg(home, "--import", data=_get(client, "/.well-known/openpgpkey.asc")).returncode == 0
    documents = []
    for url in urls:
        folder = tmp_path / url.rsplit("/", 2)[-2]
        folder.mkdir(exist_ok=True)
        name = url.rsplit("/", 1)[-1]
        for suffix in ("", ".sha256", ".sha512", ".asc"):
            (folder / (name + suffix)).write_bytes(_get(client, url + suffix))
        for tool, suffix in (("sha256sum", ".sha256"), ("sha512sum", ".sha512")):
            checked = subprocess.run(
                [tool, "-c", name + suffix], cwd=folder, capture_output=True, check=False
            )
            assert checked.returncode == 0 and checked.stdout == f"{name}: OK\n".encode(), checked
        verified = gpg(home, "--verify", str(folder / (name + ".asc")), str(folder / name))
        assert verified.returncode == 0 and f"VALIDSIG {key.fingerprint}".encode() in verified.stdout
        documents.append(json.loads((folder / name).read_bytes()))
        # Each document's own "self" reference is where it is served.
        assert [r["url"] for r in documents[-1]["document"]["references"] if r["category"] == "self"] == [url]
    assert csaf_problems(documents, "csaf") == [[]] * len(documents)
    metadata = json.loads(_get(client, WELL_KNOWN))
    assert all(document["document"]["publisher"] == metadata["publisher"] for document in documents)
    # The feed links each document's hashes and signature (requirements 15, 18, 19).
    entry = json.loads(_get(client, FEED))["feed"]["entry"][0]
    rels = [(link["rel"], link["href"].rsplit(".", 1)[-1]) for link in entry["link"]]
    assert rels == [("self", "json"), ("hash", "sha256"), ("hash", "sha512"), ("signature", "asc")]
    assert json.loads(_get(client, WELL_KNOWN))["role"] == "csaf_trusted_provider"


def test_provider_metadata_validates_and_says_what_it_is(key: openpgp.KeyInfo) -> None:
    _published(854306)
    provider.refresh()
    response = Client().get(WELL_KNOWN)
    assert response["Content-Type"] == "application/json"
    metadata = response.json()
    assert schema_problems(metadata, "provider") == []
    assert metadata["canonical_url"] == SITE + WELL_KNOWN
    assert metadata["metadata_version"] == "2.0"
    assert metadata["publisher"]["category"] == "coordinator"
    assert metadata["publisher"]["name"] == "Example CERT" and metadata["publisher"]["namespace"] == SITE
    assert metadata["public_openpgp_keys"] == [
        {"fingerprint": key.fingerprint, "url": f"{SITE}/.well-known/openpgpkey.asc"}
    ]
    feeds = metadata["distributions"][1]["rolie"]["feeds"]
    assert feeds == [{"summary": feeds[0]["summary"], "tlp_label": "WHITE", "url": SITE + FEED}]
    assert metadata["distributions"][0] == {"directory_url": f"{SITE}/.well-known/csaf/white/"}
    service = Client().get("/.well-known/csaf/service.json").json()
    assert service["service"]["workspace"][0]["collection"][0]["href"] == SITE + FEED


def test_without_a_key_documents_are_unsigned_and_the_role_is_csaf_provider() -> None:
    _published(854306)
    provider.refresh()
    client = Client()
    metadata = client.get(WELL_KNOWN).json()
    assert schema_problems(metadata, "provider") == []
    assert metadata["role"] == "csaf_provider" and "public_openpgp_keys" not in metadata
    (url,) = _listed(client)
    path = url.removeprefix(SITE)
    assert client.get(path + ".sha512").status_code == 200
    assert client.get(path + ".asc").status_code == 404
    entry = client.get(FEED).json()["feed"]["entry"][0]
    assert "signature" not in {link["rel"] for link in entry["link"]}


def test_files_and_lists_have_the_csaf_shapes() -> None:
    case, _ = _published(854306)
    _published(100001)
    provider.refresh()
    client = Client()
    rows = list(CsafDocument.objects.order_by("-released_at", "-id"))
    index = client.get("/.well-known/csaf/white/index.txt")
    assert index["Content-Type"] == "text/plain; charset=utf-8"
    assert sorted(index.content.decode().splitlines()) == sorted(r.path for r in rows)
    year = str(timezone.now().year)
    assert f"{year}/vu_854306.json" in index.content.decode().splitlines()
    changes = client.get("/.well-known/csaf/white/changes.csv").content.decode()
    lines = changes.splitlines()
    assert lines == [f'"{r.path}","{r.current_release_date}"' for r in rows]  # newest first
    assert [row[1] for row in csv.reader(io.StringIO(changes))] == sorted(
        [row[1] for row in csv.reader(io.StringIO(changes))], reverse=True
    )
    document = client.get(f"/.well-known/csaf/white/{year}/vu_854306.json")
    assert document["Content-Type"] == "application/json"
    tracking = document.json()["document"]["tracking"]
    assert tracking["id"] == "VU#854306" and f'"{tracking["current_release_date"]}"' in changes
    sha = client.get(f"/.well-known/csaf/white/{year}/vu_854306.json.sha256")
    assert (
        sha.content.decode()
        == f"{rows[0].sha256 if rows[0].case_number == 854306 else rows[1].sha256}  vu_854306.json\n"
    )
    # Listings (requirement 14) and clean 404s.
    assert b'href="vu_854306.json.sha512"' in client.get(f"/.well-known/csaf/white/{year}/").content
    assert f'href="{year}/"'.encode() in client.get("/.well-known/csaf/white/").content
    for missing in (
        f"/.well-known/csaf/white/{year}/vu_999999.json",
        f"/.well-known/csaf/white/{year}/vu_854306.json.md5",
        "/.well-known/csaf/white/1999/",
        "/.well-known/csaf/v2.0/provider-metadata.json",  # only during a transition to 2.1
        "/.well-known/csaf/v2.1/provider-metadata.json",
        "/.well-known/csaf/v2.1/clear/index.txt",
    ):
        assert client.get(missing).status_code == 404, missing
    assert client.post(WELL_KNOWN).status_code in (403, 405)


def test_listings_run_constant_queries() -> None:
    def queries(url: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert Client().get(url).status_code == 200
        return len(captured)

    _published(100001)
    provider.refresh()
    year = str(timezone.now().year)
    urls = [WELL_KNOWN, FEED, "/.well-known/csaf/white/index.txt", "/.well-known/csaf/white/changes.csv"]
    urls += ["/.well-known/csaf/white/", f"/.well-known/csaf/white/{year}/"]
    before = [queries(url) for url in urls]
    for number in range(100002, 100006):
        _published(number)
    provider.refresh()
    assert [queries(url) for url in urls] == before


# --- Signing only what changed -------------------------------------------------------------------


def test_only_changed_documents_are_stored_and_signed_again(
    key: openpgp.KeyInfo, signatures: list[bytes]
) -> None:
    one, snapshot = _published(854306)
    _published(100001)
    assert provider.refresh().changed == 2 and len(signatures) == 2
    first = {row.path: (row.signature, row.changed_at) for row in CsafDocument.objects.all()}
    counts = provider.refresh()
    assert (counts.changed, counts.unchanged) == (0, 2) and len(signatures) == 2
    assert {row.path: (row.signature, row.changed_at) for row in CsafDocument.objects.all()} == first
    # A new revision of one note: exactly that document is built anew and signed.
    publish_snapshot(one, {**snapshot, "title": "A better title"}, number=2)
    counts = provider.refresh()
    assert (counts.changed, counts.unchanged) == (1, 1) and len(signatures) == 3
    row = CsafDocument.objects.get(case_number=854306)
    assert row.revision == 2 and signatures[-1] == bytes(row.content)
    assert (
        CsafDocument.objects.get(case_number=100001).signature == first[f"{row.path[:4]}/vu_100001.json"][0]
    )


def test_a_key_set_up_later_signs_the_unsigned_documents_once(
    settings, tmp_path: Path, coordinator_secret: str, signatures: list[bytes]
) -> None:  # type: ignore[no-untyped-def]
    _published(854306)
    provider.refresh()
    assert CsafDocument.objects.get().signature == "" and signatures == []
    passphrase = tmp_path / "passphrase"
    passphrase.write_text("correct horse\n")
    settings.OPENPGP_PASSPHRASE_FILE = str(passphrase)
    coordinator_key.install(coordinator_secret, "correct horse")
    assert provider.refresh().changed == 1 and len(signatures) == 1
    assert provider.refresh().changed == 0 and len(signatures) == 1
    assert "BEGIN PGP SIGNATURE" in CsafDocument.objects.get().signature


# --- Nothing unpublished -------------------------------------------------------------------------


def _directory_bodies(client: Client) -> list[bytes]:
    bodies = [_get(client, url) for url in (WELL_KNOWN, FEED, "/.well-known/csaf/service.json")]
    bodies += [_get(client, f"/.well-known/csaf/white/{name}") for name in ("", "index.txt", "changes.csv")]
    for url in json.loads(bodies[1])["feed"]["entry"]:
        document = url["content"]["src"]
        year = document.rsplit("/", 2)[-2]
        bodies.append(_get(client, f"/.well-known/csaf/white/{year}/"))
        bodies += [_get(client, document + suffix) for suffix in ("", ".sha256", ".sha512")]
    return bodies


def test_nothing_unpublished_enters_the_directory_and_withdrawn_notes_leave_it() -> None:
    draft_case = make_case(111111, title=SECRET + " draft")
    Note.objects.create(case=draft_case, overview=SECRET)
    make_case(222222, title=SECRET + " no note")
    case, snapshot = _published(333333)
    for state in (Revision.State.PENDING, Revision.State.DISCARDED):
        leaked = {**snapshot, "title": SECRET, "sections": {**snapshot["sections"], "overview": SECRET}}
        Revision.objects.create(note=case.note, state=state, snapshot=leaked, search_text=search_text(leaked))
    gone, _ = _published(444444)
    provider.refresh()
    client = Client()
    assert len(_listed(client)) == 2
    bodies = _directory_bodies(client)
    assert not [body for body in bodies if SECRET.encode() in body]
    assert b"111111" not in b"".join(bodies) and b"222222" not in b"".join(bodies)
    # Withdrawn: the document, its hashes and its lines leave the directory.
    Note.objects.filter(case=gone).update(state=Note.State.WITHDRAWN, withdrawn_at=timezone.now())
    assert provider.refresh().removed == 1
    (url,) = _listed(client)
    assert "vu_333333" in url
    assert b"444444" not in b"".join(_directory_bodies(client))
    year = str(timezone.now().year)
    assert client.get(f"/.well-known/csaf/white/{year}/vu_444444.json").status_code == 404


# --- When it runs --------------------------------------------------------------------------------


def test_publication_actions_refresh_the_directory_after_commit(
    publication_world, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    end_embargo(publication_world)
    note = approved_note(publication_world)
    with django_capture_on_commit_callbacks(execute=True):
        actions.publish_now(note, by=publication_world.publisher)
    assert CsafDocument.objects.filter(note=note, revision=1).exists()
    with django_capture_on_commit_callbacks(execute=True):
        actions.withdraw(note, by=publication_world.publisher, reason="Not a vulnerability")
    assert not CsafDocument.objects.filter(note=note).exists()


def test_the_scheduler_and_the_command_refresh(capsys) -> None:  # type: ignore[no-untyped-def]
    assert any(job.task == "accord.exports.tasks.refresh_csaf" for job in JOBS)
    _published(854306)
    call_command("csaf_refresh")
    out = capsys.readouterr().out
    assert "VU#854306 CSAF 2.0" in out and "1 changed, 0 unchanged, 0 removed" in out
    call_command("csaf_refresh")
    assert "0 changed, 1 unchanged" in capsys.readouterr().out


def test_security_txt_points_to_the_provider_metadata(client: Client, settings) -> None:  # type: ignore[no-untyped-def]
    text = client.get("/.well-known/security.txt").content.decode()
    assert f"CSAF: {SITE}{WELL_KNOWN}\n" in text
    settings.CSAF_21 = True
    lines = [
        line
        for line in client.get("/.well-known/security.txt").content.decode().splitlines()
        if "CSAF" in line
    ]
    assert lines == [
        f"CSAF: {SITE}{WELL_KNOWN}",  # the well-known URL first (requirement 8)
        f"CSAF: {SITE}/.well-known/csaf/v2.0/provider-metadata.json",
        f"CSAF: {SITE}/.well-known/csaf/v2.1/provider-metadata.json",
    ]


# --- CSAF 2.1 in parallel ------------------------------------------------------------------------


def test_csaf_21_is_served_in_parallel_under_v2_1(settings, key: openpgp.KeyInfo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings.CSAF_21 = True
    _published(854306)
    assert provider.refresh().changed == 2
    client = Client()
    well_known = client.get(WELL_KNOWN).json()
    v20 = client.get("/.well-known/csaf/v2.0/provider-metadata.json").json()
    assert (
        well_known == v20 and v20["canonical_url"] == f"{SITE}/.well-known/csaf/v2.0/provider-metadata.json"
    )
    assert schema_problems(v20, "provider") == []
    v21 = client.get("/.well-known/csaf/v2.1/provider-metadata.json")
    metadata = v21.json()
    assert metadata["metadata_version"] == "2.1"
    assert metadata["distributions"][0]["directory"] == {
        "tlp_label": "CLEAR",
        "url": f"{SITE}/.well-known/csaf/v2.1/clear/",
    }
    # PyPI csaf's own check of a 2.1 provider-metadata.json.
    path = tmp_path / "provider-metadata.json"
    path.write_bytes(v21.content)
    checked = subprocess.run(
        [CSAF, "distribute", "provider", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    feed = client.get(metadata["distributions"][1]["rolie"]["feeds"][0]["url"].removeprefix(SITE)).json()
    (entry,) = feed["feed"]["entry"]
    assert entry["format"]["version"] == "2.1"
    document = client.get(entry["content"]["src"].removeprefix(SITE)).json()
    assert csaf_problems([document], "csaf21") == [[]]
    self_urls = [r["url"] for r in document["document"]["references"] if r["category"] == "self"]
    assert self_urls == [entry["content"]["src"]] and "/v2.1/clear/" in self_urls[0]
    changes = client.get("/.well-known/csaf/v2.1/clear/changes.csv").content.decode()
    assert '"' not in changes and changes.startswith(f"{entry['content']['src'].split('/clear/')[1]},")
    settings.CSAF_21 = False
    assert provider.refresh().removed == 1
    assert client.get("/.well-known/csaf/v2.1/provider-metadata.json").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_csaf_distribute_reads_the_served_21_metadata_over_http(live_server, settings) -> None:  # type: ignore[no-untyped-def]
    """PyPI csaf's `distribute provider` fetches and validates the 2.1 provider-metadata.json from a
    live server on 127.0.0.1. (Its `rolie`, `trusted` and `walk` read feeds as Atom XML, whereas CSAF
    §7.1.15 requires JSON feeds, so they cannot read a conforming feed; its `audit` expects
    changes.csv as "date,path", the reverse of §7.1.13. Those are not run.)"""
    settings.CSAF_21 = True
    settings.SITE_URL = live_server.url
    _published(854306)
    provider.refresh()
    url = f"{live_server.url}/.well-known/csaf/v2.1/provider-metadata.json"
    checked = subprocess.run(
        [CSAF, "distribute", "provider", url], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0 and "PASS" in checked.stdout, checked.stdout + checked.stderr


@pytest.mark.skipif(not (SAMPLE / "data").is_dir(), reason="the archive sample is not in ../shared")
def test_the_archive_notes_fill_the_directory_and_every_hash_checks(tmp_path: Path) -> None:
    call_command("import_certcc", str(SAMPLE), stdout=io.StringIO(), stderr=io.StringIO())
    counts = provider.refresh()
    assert (counts.changed, counts.failed) == (200 - counts.unavailable, 0)
    assert counts.unavailable == 0
    client = Client()
    urls = _listed(client)
    assert len(urls) == 200
    changes = list(csv.reader(io.StringIO(_get(client, "/.well-known/csaf/white/changes.csv").decode())))
    assert len(changes) == 200 and [row[1] for row in changes] == sorted(
        (row[1] for row in changes), reverse=True
    )
    root = tmp_path / "white"
    for url in urls:
        year, name = url.rsplit("/", 2)[-2:]
        (root / year).mkdir(parents=True, exist_ok=True)
        for suffix in ("", ".sha256", ".sha512"):
            (root / year / (name + suffix)).write_bytes(_get(client, url + suffix))
    for tool, suffix in (("sha256sum", ".sha256"), ("sha512sum", ".sha512")):
        for folder in root.iterdir():
            files = sorted(p.name for p in folder.glob("*" + suffix))
            checked = subprocess.run([tool, "-c", *files], cwd=folder, capture_output=True, check=False)
            assert checked.returncode == 0, checked.stdout[-2000:]
    assert schema_problems(client.get(WELL_KNOWN).json(), "provider") == []
    assert provider.refresh().unchanged == 200

"""`accord import_certcc` (issue 11 item 7): the real sample of CERT/CC's Vulnerability Data
Archive in ../shared/data/certcc-vda (500 reports, 2,315 vendor records), and small archives
written here for bad files and changes. The reader's own properties are at the end."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import shutil
import types
import typing
from collections import Counter
from pathlib import Path
from typing import Any, Literal, get_args, get_origin, get_type_hints, is_typeddict

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.accounts.models import Organization
from accord.answers.models import Addendum, Answer, Statement, Status
from accord.archive.load import ImportReport, load_archive, name_key
from accord.archive.models import ArchiveRecord
from accord.archive.reader import Problem, parse_datetime, read_folder, read_report, read_vendor
from accord.cases.actions import send_due_reminders
from accord.cases.models import Case, CaseEvent, Participant, Vulnerability
from accord.mailgate.models import OutboundMessage
from accord.publication.models import Note, Revision
from accord.publication.snapshot_text import search_text
from accord.publication.snapshot_types import Snapshot
from accord.testing import World, login, token_client

SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "data" / "certcc-vda"
needs_sample = pytest.mark.skipif(
    not (SAMPLE / "data").is_dir(), reason=f"the archive sample is not in {SAMPLE} (no ../shared checkout)"
)
MODELS = (
    Case,
    Vulnerability,
    Participant,
    Organization,
    Answer,
    Status,
    Statement,
    Addendum,
    ArchiveRecord,
    CaseEvent,
    Note,
    Revision,
)


def _counts() -> dict[str, int]:
    return {m.__name__: m.objects.count() for m in MODELS}


def _import(root: Path, *args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_certcc", str(root), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _archive_files() -> list[Path]:
    return sorted((SAMPLE / "data").glob("*/vu_*/*.json"))


# The real sample --------------------------------------------------------------------------------


@needs_sample
@pytest.mark.django_db
def test_the_sample_imports_every_report_as_a_quiet_case_with_its_vendors_and_a_second_run_changes_nothing() -> (
    None
):
    out, err = _import(SAMPLE)
    assert err == ""
    assert "500 reports: imported 500" in out  # the progress line, per 500 reports
    assert "reports 500: imported 500, updated 0, unchanged 0, skipped 0" in out
    files = _archive_files()
    reports = [json.loads(p.read_bytes()) for p in files if p.name.startswith("vu_")]
    assert len(reports) == 500
    assert Case.objects.count() == 500 and not Case.objects.filter(quiet=False).exists()
    assert set(Case.objects.values_list("number", flat=True)) == {int(r["ID"][3:]) for r in reports}
    assert ArchiveRecord.objects.count() == len(files) == 2815
    # Numbers of 4 to 7 digits keep their own number.
    assert {len(str(n)) for n in Case.objects.values_list("number", flat=True)} == {4, 5, 6, 7}
    # Dates and texts from the report.
    for doc in reports:
        case = Case.objects.get(number=int(doc["ID"][3:]))
        if doc["DateCreated"]:
            assert case.created_at == parse_datetime(doc["DateCreated"])
        assert case.title == (doc["Title"].strip()[:300] or case.title)
        assert case.summary == doc["Overview"]
    # One event per case, by Accord.
    events = CaseEvent.objects.filter(kind="case.imported")
    assert events.count() == 500 and CaseEvent.objects.count() == 500
    assert not events.filter(by_system=False).exists() and not events.filter(actor__isnull=False).exists()

    # VU#854306: 285 vendor records; Hitachi has two, so 284 participants (one per organisation).
    case = Case.objects.get(number=854306)
    folder = next((SAMPLE / "data").glob("*/vu_854306"))
    records = [json.loads(p.read_bytes()) for p in sorted(folder.glob("vendor_*.json"))]
    assert len(records) == 285
    assert case.archive_records.filter(kind="vendor").count() == 285
    assert case.participants.filter(kind="vendor").count() == 284
    assert case.vulnerabilities.get().cve == "CVE-2002-0013"
    words = {
        name_key(p.organization.name): set(p.statuses.values_list("source_word", flat=True))
        for p in case.participants.select_related("organization")
    }
    for record in records:
        if record["Vendor"] != "Hitachi":
            assert words[name_key(record["Vendor"])] == {record["Status"]}
    assert words["hitachi"] == {"Vulnerable"}  # the record updated last (2005) over the one of 2002
    mapped = {"Unknown": "unknown", "Vulnerable": "affected", "Affected": "affected"}
    mapped |= {"Not Vulnerable": "not_affected", "Not Affected": "not_affected"}
    for status in Status.objects.filter(participant__case=case):
        assert status.status == mapped[status.source_word]
    hitachi = case.participants.get(organization__name="Hitachi")
    assert hitachi.archive_records.count() == 2
    assert hitachi.v_at == parse_datetime("2002-01-12T02:05:18-05:00")
    assert hitachi.answer.answered_at == parse_datetime("2002-03-25T15:07:40-04:00")

    # Every statement is the archive's text exactly, its addendum beside it; VendorInformation is
    # the coordinator's information, never a statement.
    statements = 0
    for path in files:
        if not path.name.startswith("vendor_"):
            continue
        doc = json.loads(path.read_bytes())
        record = ArchiveRecord.objects.get(path=path.relative_to(SAMPLE).as_posix())
        assert record.raw.encode("utf-8") == path.read_bytes()
        participant = record.participant
        assert participant is not None
        texts = [s.text_bytes for s in participant.statements.all()]
        if doc["VendorStatement"].strip():
            assert doc["VendorStatement"].encode("utf-8") in texts
            statements += 1
        if doc["VendorInformation"].strip():
            assert doc["VendorInformation"] in participant.vendor_information
            assert doc["VendorInformation"].encode("utf-8") not in texts
        if doc["Addendum"].strip():
            assert participant.addenda.filter(text=doc["Addendum"]).exists()
    assert statements == Statement.objects.count() > 0
    assert not Status.objects.exclude(source_word__in=mapped).exists()

    before = _counts()
    out, err = _import(SAMPLE)
    assert err == "" and "imported 0, updated 0, unchanged 500, skipped 0" in out
    assert _counts() == before


@needs_sample
@pytest.mark.django_db
def test_vendor_names_are_merged_ignoring_case_and_spacing_and_the_report_lists_the_variants() -> None:
    Organization.objects.create(name="trend   micro", kind="vendor")  # already in the directory
    report = load_archive(SAMPLE)
    assert report.imported == 500 and report.error_count == 0
    keys = Counter(name_key(n) for n in Organization.objects.values_list("name", flat=True))
    assert max(keys.values()) == 1
    assert sorted(report.merged[name_key("NetScreen")]) == ["NetScreen", "Netscreen"]
    assert set(report.merged[name_key("Trend Micro")]) == {"trend   micro", "Trend Micro", "Trendmicro"}
    assert any(
        "'NetScreen' = 'Netscreen'" in line or "'Netscreen' = 'NetScreen'" in line
        for line in report.summary()
    )
    assert not Organization.objects.filter(name__in=["Trend Micro", "Trendmicro"]).exists()


@needs_sample
@pytest.mark.django_db
def test_imported_cases_are_quiet_no_reminders_no_dashboard_no_mail(world: World) -> None:
    Case.objects.exclude(pk=getattr(world.case, "pk", None)).delete()
    Case.objects.update(quiet=True)  # the world's own case sends no reminders either
    mails = OutboundMessage.objects.count()  # the world's notifications
    load_archive(SAMPLE)
    assert OutboundMessage.objects.count() == mails
    far = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    sent = send_due_reminders(now=far)
    assert not any(sent.values())
    assert OutboundMessage.objects.count() == mails
    client = login(Client(), world.analyst)
    page = client.get("/dashboard/")
    assert page.status_code == 200
    assert "VU#854306" not in page.content.decode()


@needs_sample
@pytest.mark.django_db
def test_an_imported_case_page_opens_for_an_analyst_in_constant_queries(world: World) -> None:
    load_archive(SAMPLE)
    client = login(Client(), world.analyst)
    small = Case.objects.get(number=116100)  # VU#116100: one vendor record
    assert small.participants.count() < 5

    def queries(case: Case, suffix: str = "") -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(f"/cases/{case.url_ref}/{suffix}")
        assert response.status_code == 200, (case, suffix)
        return len(ctx.captured_queries)

    big = Case.objects.get(number=854306)
    for suffix in ("", "vendors/", "timeline/"):
        queries(small, suffix)  # warm caches
        assert queries(big, suffix) == queries(small, suffix), suffix
    page = client.get(f"/cases/{big.url_ref}/vendors/", {"per": 100, "q": "Hitachi"}).content.decode()
    assert "Hitachi" in page
    api = token_client(world.analyst)
    for url in (f"/api/v1/cases/{big.url_ref}", f"/api/v1/cases/{big.url_ref}/participants?limit=100"):
        assert api.get(url).status_code == 200, url


# Published reports become notes --------------------------------------------------------------------

STATUS_OF = {
    "Unknown": "unknown",
    "Vulnerable": "affected",
    "Affected": "affected",
    "Not Vulnerable": "not_affected",
    "Not Affected": "not_affected",
}


def _check(value: Any, hint: Any, where: str = "snapshot") -> None:
    """`value` has every key of the TypedDict `hint` (and no other), each of the right type."""
    origin = get_origin(hint)
    if is_typeddict(hint):
        assert isinstance(value, dict), where
        hints = get_type_hints(hint)
        assert set(value) == set(hints), (where, set(value) ^ set(hints))
        for key, sub in hints.items():
            _check(value[key], sub, f"{where}.{key}")
    elif origin is Literal:
        assert value in get_args(hint), (where, value)
    elif origin in (typing.Union, types.UnionType):
        assert any(_fits(value, option) for option in get_args(hint)), (where, value, hint)
    elif origin is list:
        assert isinstance(value, list), where
        for index, item in enumerate(value):
            _check(item, get_args(hint)[0], f"{where}[{index}]")
    elif hint is type(None):
        assert value is None, where
    elif hint is float:
        assert isinstance(value, int | float) and not isinstance(value, bool), (where, value)
    elif hint is int:
        assert isinstance(value, int) and not isinstance(value, bool), (where, value)
    else:
        assert isinstance(value, hint), (where, hint, value)


def _fits(value: Any, hint: Any) -> bool:
    try:
        _check(value, hint)
    except AssertionError:
        return False
    return True


def test_the_snapshot_checker_catches_a_missing_key_and_a_wrong_type() -> None:
    good = {"version": "2.0", "vector": "AV:N/AC:L/Au:N/C:C/I:C/A:C", "score": None}
    from accord.publication.snapshot_types import Cvss

    _check(good, Cvss)
    assert not _fits({k: v for k, v in good.items() if k != "score"}, Cvss)
    assert not _fits({**good, "score": "9.3"}, Cvss)
    assert not _fits({**good, "extra": 1}, Cvss)


def _iso(value: str) -> str:
    return parse_datetime(value).strftime("%Y-%m-%dT%H:%M:%SZ")


@needs_sample
@pytest.mark.django_db
def test_the_sample_s_published_reports_become_notes_with_one_revision_holding_every_vendor_record() -> None:
    load_archive(SAMPLE)
    reports = {}
    for path in (SAMPLE / "data").glob("*/vu_*/vu_*.json"):
        doc = json.loads(path.read_bytes())
        reports[int(doc["ID"][3:])] = doc
    published = {n for n, doc in reports.items() if doc["DateFirstPublished"]}
    assert len(published) == 200
    assert Note.objects.count() == 200 and Revision.objects.count() == 200
    assert set(Note.objects.values_list("case__number", flat=True)) == published  # unpublished: no note
    for note in Note.objects.select_related("case"):
        doc = reports[note.case.number]
        assert note.state == "published"
        assert note.first_published_at == parse_datetime(doc["DateFirstPublished"])
        # DateLastUpdated, or the first publication when it is blank or earlier (VU#169: by 19 s).
        last = parse_datetime(doc["DateLastUpdated"] or doc["DateFirstPublished"])
        assert note.last_published_at == max(last, note.first_published_at)
        assert note.overview == doc["Overview"]  # the draft starts as what was published
    for revision in Revision.objects.select_related("note__case"):
        doc = reports[revision.note.case.number]
        assert (revision.number, revision.state, revision.published_by) == (1, "published", None)
        assert revision.published_at == parse_datetime(doc["DateFirstPublished"])
        assert revision.change_summary == "Imported from the CERT/CC Vulnerability Data Archive"
        snapshot = revision.snapshot
        _check(snapshot, Snapshot)
        assert (
            snapshot["source"] == "certcc-archive" and snapshot["case"] == f"VU#{revision.note.case.number}"
        )
        assert snapshot["first_published_at"] == _iso(doc["DateFirstPublished"])
        sections = snapshot["sections"]
        assert sections["overview"] == doc["Overview"] and sections["impact"] == doc["Impact"]
        assert sections["solution"] == doc["Resolution"] and sections["workarounds"] == doc["Workarounds"]
        assert doc["Description"] in sections["description"]
        references = doc["References"] if isinstance(doc["References"], list) else [doc["References"]]
        for reference in filter(str.strip, references):
            assert reference.strip() in sections["references"]
        if doc["ThanksAndCredit"].strip():
            assert doc["ThanksAndCredit"] in sections["credit"]
        assert revision.search_text == search_text(snapshot)
        assert snapshot["title"] in revision.search_text
        whats = [item["what"] for item in snapshot["timeline"]]
        assert "publication" in whats
        assert [item["at"] for item in snapshot["timeline"]] == sorted(
            item["at"] for item in snapshot["timeline"]
        )

    # Every statement in every snapshot is the archive's text exactly, its row's bytes hashed.
    records = {
        f"a{pk}": json.loads(raw)
        for pk, raw in ArchiveRecord.objects.filter(kind="vendor", case__note__isnull=False).values_list(
            "id", "raw"
        )
    }
    rows = {s.pk: s for s in Statement.objects.all()}
    seen = 0
    for snapshot in Revision.objects.values_list("snapshot", flat=True):
        ids = [v["id"] for v in snapshot["vulnerabilities"]]
        for vendor in snapshot["vendors"]:
            record = records[vendor["key"]]
            assert vendor["name"] == record["Vendor"]
            assert [(s["vulnerability"], s["status"], s["source_word"]) for s in vendor["statuses"]] == [
                (vid, STATUS_OF[record["Status"]], record["Status"]) for vid in ids
            ]
            assert vendor["addendum"] == record["Addendum"]
            assert vendor["information"] == record["VendorInformation"]
            assert vendor["notified_at"] == (_iso(record["DateNotified"]) if record["DateNotified"] else None)
            statement = vendor["statement"]
            if not record["VendorStatement"].strip():
                assert statement is None
                continue
            assert statement is not None and statement["text"] == record["VendorStatement"]
            row = rows[statement["id"]]
            assert row.text_bytes == record["VendorStatement"].encode("utf-8")
            assert statement["sha256"] == hashlib.sha256(row.text_bytes).hexdigest()
            assert (statement["version"], statement["signature_state"]) == (row.version, "unsigned")
            assert statement["text"].strip() in search_text(snapshot)
            seen += 1
    assert seen == sum(1 for r in records.values() if r["VendorStatement"].strip()) > 0

    # VU#854306: 285 entries, one per vendor record (Hitachi's two records are two entries).
    case = Case.objects.get(number=854306)
    snapshot = case.note.revisions.get().snapshot
    assert len(snapshot["vendors"]) == 285 == case.archive_records.filter(kind="vendor").count()
    assert {v["key"] for v in snapshot["vendors"]} == {
        f"a{pk}" for pk in case.archive_records.filter(kind="vendor").values_list("id", flat=True)
    }
    hitachi = [v["statuses"][0]["source_word"] for v in snapshot["vendors"] if v["name"] == "Hitachi"]
    assert sorted(hitachi) == ["Unknown", "Vulnerable"]  # each record's own word
    assert [(v["id"], v["cve"]) for v in snapshot["vulnerabilities"]] == [("VU#854306.1", "CVE-2002-0013")]
    assert snapshot["number"] == 854306
    assert not any(v["anonymous"] for v in snapshot["vendors"])

    # A second run: no new note, revision or event, and revision 1 is as it was.
    before = _counts()
    kept = dict(Revision.objects.values_list("id", "snapshot"))
    report = load_archive(SAMPLE)
    assert (report.unchanged, report.notes, report.revisions) == (500, 0, 0)
    assert _counts() == before and dict(Revision.objects.values_list("id", "snapshot")) == kept


@needs_sample
@pytest.mark.django_db
def test_cases_imported_before_notes_get_their_note_on_the_next_run_and_nothing_else(tmp_path: Path) -> None:
    root = tmp_path / "vda"
    shutil.copytree(SAMPLE / "data" / "6", root / "data" / "6")
    load_archive(root)
    notes = Note.objects.count()
    assert notes > 0
    Note.objects.all().delete()  # as if imported before the loader made notes
    before = _counts()
    with CaptureQueriesContext(connection) as ctx:
        report = load_archive(root)
    assert report.notes == notes and report.unchanged == report.reports and report.revisions == 0
    assert Note.objects.count() == Revision.objects.count() == notes
    assert CaseEvent.objects.count() == before["CaseEvent"]
    assert len(ctx.captured_queries) < 40  # in bulk: not per case
    assert load_archive(root).notes == 0 and Note.objects.count() == notes


# Small archives: bad files, changed files, exit status -----------------------------------------------


def _write(root: Path, number: int, report: dict[str, Any] | bytes, vendors: dict[str, Any]) -> Path:
    folder = root / "data" / str(number % 100) / f"vu_{number}"
    folder.mkdir(parents=True, exist_ok=True)
    data = report if isinstance(report, bytes) else json.dumps(report, indent=2).encode()
    (folder / f"vu_{number}.json").write_bytes(data)
    for name, vendor in vendors.items():
        raw = (
            vendor if isinstance(vendor, bytes) else json.dumps(vendor, indent=2, ensure_ascii=False).encode()
        )
        (folder / f"vendor_{name}.json").write_bytes(raw)
    return folder


def _report(number: int, **fields: Any) -> dict[str, Any]:
    return {
        "ID": f"VU#{number}",
        "IDNumber": str(number),
        "Title": f"Flaw {number}",
        "Overview": "An overview &amp; more",
        "CVEIDs": ["CVE-2019-0001", "CVE-2019-0002"],
        "DateCreated": "2019-01-02T03:04:05-05:00",
        "DateFirstPublished": "",
        "DatePublic": "",
        "DateLastUpdated": "2019-02-01T00:00:00",
        **fields,
    }


def _vendor(number: int, name: str, **fields: Any) -> dict[str, Any]:
    return {
        "ID": f"VU#{number}",
        "Vendor": name,
        "VendorRecordID": name.upper()[:8],
        "Status": "Affected",
        "VendorStatement": "Fixed in 1.2.\n\tUpgrade &lt;now&gt; – café\r\n",
        "Addendum": "We checked.",
        "VendorInformation": "Contacted by phone.",
        "VendorReferences": "https://vendor.example/advisory",
        "DateNotified": "2019-01-03T00:00:00-05:00",
        "DateResponded": "2019-01-04T00:00:00+02:00",
        "DateLastUpdated": "2019-01-05T00:00:00-05:00",
        **fields,
    }


@pytest.mark.django_db
def test_bad_files_are_reported_with_path_and_field_and_the_rest_imports(tmp_path: Path) -> None:
    _write(tmp_path, 123456, _report(123456), {"good": _vendor(123456, "Good Corp")})
    _write(tmp_path, 4242, b'{"ID": "VU#4242", "Title": ', {})  # broken JSON
    _write(tmp_path, 5555, {k: v for k, v in _report(5555).items() if k != "ID"}, {})  # missing ID
    _write(
        tmp_path,
        1600833,
        _report(1600833, Title=["a", 1], DateCreated=17, CVEIDs={"x": 1}, DatePublic="yesterday"),
        {
            "typed": _vendor(
                1600833, "Typed Inc", Status=5, DateNotified="not a date", VendorStatement=["x", 2]
            ),
            "noid": {k: v for k, v in _vendor(1600833, "No Id").items() if k != "ID"},
            "latin": json.dumps(
                _vendor(1600833, "Latin GmbH", VendorStatement="Grüße"), ensure_ascii=False
            ).encode("cp1252"),
            "broken": b"\xff\xfe{",
            "long": _vendor(1600833, "Long  name " * 30),  # 330 characters
        },
    )
    out, err = _import(tmp_path, "--quiet")
    lines = err.splitlines()
    expected = [
        "data/42/vu_4242/vu_4242.json: (json): not JSON",
        "data/55/vu_5555/vu_5555.json: ID: missing",
        "data/33/vu_1600833/vu_1600833.json: Title: expected text, found list",
        "data/33/vu_1600833/vu_1600833.json: DateCreated: expected a datetime text, found int",
        "data/33/vu_1600833/vu_1600833.json: CVEIDs: expected text or a list of texts, found dict",
        "data/33/vu_1600833/vu_1600833.json: DatePublic: not a datetime",
        "data/33/vu_1600833/vendor_typed.json: Status: expected text, found int",
        "data/33/vu_1600833/vendor_typed.json: DateNotified: not a datetime",
        "data/33/vu_1600833/vendor_typed.json: VendorStatement: expected text, found list",
        "data/33/vu_1600833/vendor_noid.json: ID: missing",
        "data/33/vu_1600833/vendor_latin.json: (encoding): not UTF-8",
        "data/33/vu_1600833/vendor_broken.json: (encoding): not UTF-8",
        "data/33/vu_1600833/vendor_broken.json: (json): not JSON",
    ]
    for prefix in expected:
        assert any(line.startswith("error: " + prefix) for line in lines), (prefix, lines)
    assert "reports 4: imported 2, updated 0, unchanged 0, skipped 2" in out
    assert "errors 13" in out
    assert not out.count("reports:")  # --quiet: no progress line
    odd = Case.objects.get(number=1600833)
    assert odd.quiet and odd.title == "VU#1600833 (no title in the archive)"
    assert odd.vulnerabilities.count() == 1 and odd.vulnerabilities.get().cve == ""
    typed = odd.participants.get(organization__name="Typed Inc")
    assert typed.v_at is None and list(typed.statuses.values_list("status", "source_word")) == [
        ("unknown", "")
    ]
    long = odd.participants.get(organization__name__startswith="Long name Long")
    assert long.organization is not None and len(long.organization.name) == 200
    latin = odd.participants.get(organization__name="Latin GmbH")
    assert latin.statements.get().text_bytes == "Grüße".encode()
    good = Case.objects.get(number=123456).participants.get()
    statement = good.statements.get()
    assert statement.text_bytes == _vendor(1, "x")["VendorStatement"].encode("utf-8")  # escapes kept
    assert statement.references == "https://vendor.example/advisory"
    assert good.addenda.get().statement == statement
    assert good.vendor_information == "Contacted by phone."
    assert good.v_at == good.first_contact_at == dt.datetime(2019, 1, 3, 5, tzinfo=dt.UTC)
    assert good.answer.answered_at == dt.datetime(2019, 1, 3, 22, tzinfo=dt.UTC)
    assert not good.answer.share  # unpublished: the answer was never shared
    assert [(s.vulnerability.cve, s.status, s.source_word) for s in good.statuses.all()] == [
        ("CVE-2019-0001", "affected", "Affected"),
        ("CVE-2019-0002", "affected", "Affected"),
    ]
    # A second run: the same errors again, nothing else.
    before = _counts()
    out, err = _import(tmp_path, "--quiet")
    assert "imported 0, updated 0, unchanged 2, skipped 2" in out and _counts() == before


@pytest.mark.django_db
def test_only_bad_files_exit_with_65_and_a_missing_folder_with_66(tmp_path: Path) -> None:
    _write(tmp_path, 4242, b"[]", {})
    with pytest.raises(SystemExit) as exit_:
        _import(tmp_path)
    assert exit_.value.code == 65
    from django.core.management import CommandError

    with pytest.raises(CommandError) as error:
        _import(tmp_path / "nowhere")
    assert error.value.returncode == 66
    assert not Case.objects.exists()


@pytest.mark.django_db
def test_a_number_taken_by_an_accord_case_is_not_overwritten(tmp_path: Path, world: World) -> None:
    assert world.case is not None
    _write(tmp_path, world.case.number, _report(world.case.number), {})
    report = load_archive(tmp_path)
    assert report.imported == 0 and report.skipped == 1
    assert report.errors == [
        f"data/{world.case.number % 100}/vu_{world.case.number}/vu_{world.case.number}.json: ID: VU#{world.case.number} is already a case; not imported"
    ]
    assert not Case.objects.get(pk=world.case.pk).quiet


@pytest.mark.django_db
def test_a_changed_file_updates_its_case_and_keeps_history(tmp_path: Path) -> None:
    folder = _write(
        tmp_path,
        777001,
        _report(777001),
        {"a": _vendor(777001, "Acme"), "b": _vendor(777001, "Beta", Status="Unknown", VendorStatement="")},
    )
    first = load_archive(tmp_path)
    assert first.imported == 1
    case = Case.objects.get(number=777001)
    # The archive changes: a new CVE, Acme's status and statement, a new vendor.
    _write(
        tmp_path,
        777001,
        _report(777001, Title="Renamed", CVEIDs="CVE-2019-0001 CVE-2019-0003"),
        {
            "a": _vendor(777001, "Acme", Status="Not Affected", VendorStatement="Not affected after all."),
            "c": _vendor(777001, "Gamma"),
        },
    )
    second = load_archive(tmp_path)
    assert (second.imported, second.updated, second.unchanged) == (0, 1, 0)
    case.refresh_from_db()
    assert case.title == "Renamed"
    assert list(case.vulnerabilities.values_list("seq", "cve")) == [
        (1, "CVE-2019-0001"),
        (2, "CVE-2019-0002"),
        (3, "CVE-2019-0003"),
    ]
    acme = case.participants.get(organization__name="Acme")
    assert [s.text_bytes for s in acme.statements.all()] == [
        _vendor(1, "x")["VendorStatement"].encode(),
        b"Not affected after all.",
    ]
    assert set(acme.statuses.values_list("status", "source_word")) == {("not_affected", "Not Affected")}
    assert acme.statuses.count() == 3
    assert case.participants.get(organization__name="Gamma").alias == "Vendor C"
    assert case.participants.count() == 3  # Beta's file is gone; its participant stays
    assert list(case.events.values_list("kind", flat=True)) == ["case.imported", "case.reimported"]
    reimported = case.events.get(kind="case.reimported")
    assert reimported.by_system and sorted(reimported.data["changed"]) == sorted(
        f"data/1/vu_777001/{n}" for n in ("vu_777001.json", "vendor_a.json", "vendor_c.json")
    )
    record = ArchiveRecord.objects.get(path="data/1/vu_777001/vendor_a.json")
    assert record.raw == (folder / "vendor_a.json").read_text() and record.updated_at is not None
    before = _counts()
    assert load_archive(tmp_path).unchanged == 1 and _counts() == before


@pytest.mark.django_db
def test_a_changed_published_report_adds_revision_2_and_never_rewrites_revision_1(tmp_path: Path) -> None:
    published = {
        "DateFirstPublished": "2019-03-01T10:00:00-05:00",
        "DatePublic": "2019-03-01T00:00:00",
        "References": "https://example.org/a",
        "CERTAdvisory": "CA-2019-01",
        "CVSS_BaseVector": "AV:N/AC:L/Au:N/C:C/I:C/A:C",
        "CVSS_BaseScore": "10",
    }
    acme = _vendor(777002, "Acme", Revision=3)
    _write(
        tmp_path,
        777002,
        _report(
            777002,
            **published,
        ),
        {"a": acme, "b": _vendor(777002, "Beta", Status="Unknown", VendorStatement="", DateResponded="")},
    )
    assert load_archive(tmp_path).notes == 1
    note = Note.objects.get(case__number=777002)
    first = note.revisions.get()
    kept = json.dumps(first.snapshot, sort_keys=True)
    snapshot = first.snapshot
    _check(snapshot, Snapshot)
    # Texts as given: the archive's HTML escapes stay, the renderer escapes HTML itself.
    assert snapshot["sections"]["overview"] == "An overview &amp; more"
    assert snapshot["sections"]["references"] == "- <https://example.org/a>\n- CERT Advisory CA-2019-01"
    assert snapshot["sections"]["credit"] == ""
    assert [v["cvss"] for v in snapshot["vulnerabilities"]] == [
        [{"version": "2.0", "vector": "AV:N/AC:L/Au:N/C:C/I:C/A:C", "score": 10.0}]
    ] * 2
    beta = next(v for v in snapshot["vendors"] if v["name"] == "Beta")
    assert beta["statement"] is None and {s["status"] for s in beta["statuses"]} == {"unknown"}
    assert [t["what"] for t in snapshot["timeline"]] == [
        "report created",
        "first contact attempt",
        "first vendor response",
        "made public",
        "publication",
    ]

    # A change the note does not show (the record's own revision counter): no new revision.
    _write(
        tmp_path,
        777002,
        _report(
            777002,
            **published,
        ),
        {"a": {**acme, "Revision": 4}},
    )
    report = load_archive(tmp_path)
    assert (report.updated, report.revisions) == (1, 0)
    assert note.revisions.count() == 1
    reimported = CaseEvent.objects.get(kind="case.reimported")
    assert "note_revision" not in reimported.data

    # Acme's new statement: revision 2, revision 1 as it was.
    _write(
        tmp_path,
        777002,
        _report(
            777002,
            **published,
            DateLastUpdated="2019-04-01T00:00:00Z",
        ),
        {"a": {**acme, "Revision": 5, "VendorStatement": "Fixed in 1.3 &amp; later.\n"}},
    )
    report = load_archive(tmp_path)
    assert (report.updated, report.revisions, report.notes) == (1, 1, 0)
    first.refresh_from_db()
    assert json.dumps(first.snapshot, sort_keys=True) == kept and first.number == 1
    second = note.revisions.get(number=2)
    assert second.state == "published" and second.change_summary == "Updated from the archive"
    assert second.published_at == dt.datetime(2019, 4, 1, tzinfo=dt.UTC) and second.published_by is None
    _check(second.snapshot, Snapshot)
    statement = next(v for v in second.snapshot["vendors"] if v["name"] == "Acme")["statement"]
    assert statement["text"] == "Fixed in 1.3 &amp; later.\n" and statement["version"] == 2
    assert Statement.objects.get(pk=statement["id"]).text_bytes == b"Fixed in 1.3 &amp; later.\n"
    # Search reads the words people read: not hashes, keys or dates.
    assert "Fixed in 1.3 &amp; later." in second.search_text and "\nvendor: acme\n" in second.search_text
    assert statement["sha256"] not in second.search_text and "2019-04-01" not in second.search_text
    assert [v["key"] for v in second.snapshot["vendors"]] == [v["key"] for v in first.snapshot["vendors"]]
    note.refresh_from_db()
    assert note.last_published_at == second.published_at and note.state == "published"
    assert CaseEvent.objects.filter(kind="case.reimported").last().data["note_revision"] == 2
    before = _counts()
    assert load_archive(tmp_path).unchanged == 1 and _counts() == before


@pytest.mark.django_db
def test_an_unpublished_report_has_no_note_until_the_archive_publishes_it(tmp_path: Path) -> None:
    _write(tmp_path, 4321, _report(4321), {"a": _vendor(4321, "Acme")})
    assert load_archive(tmp_path).notes == 0 and not Note.objects.exists()
    _write(tmp_path, 4321, _report(4321, DateFirstPublished="2019-05-01T00:00:00Z"), {})
    report = load_archive(tmp_path)
    assert (report.updated, report.notes) == (1, 1)
    revision = Revision.objects.get()
    assert revision.number == 1 and revision.change_summary.startswith("Imported from")
    assert revision.published_at == dt.datetime(2019, 5, 1, tzinfo=dt.UTC)
    assert [v["name"] for v in revision.snapshot["vendors"]] == ["Acme"]


def _published_archive(root: Path, first: int, vendors: int) -> None:
    for number in range(first, first + 3):
        _write(
            root,
            number,
            _report(number, DateFirstPublished="2019-03-01T10:00:00Z"),
            {
                f"v{k}": _vendor(number, f"Vendor {number} {k}", VendorStatement=f"Statement {k}")
                for k in range(vendors)
            },
        )


@pytest.mark.django_db
def test_notes_are_made_in_a_constant_number_of_queries_per_batch(tmp_path: Path) -> None:
    _published_archive(tmp_path / "small", 300001, 1)
    _published_archive(tmp_path / "large", 400001, 40)

    def queries(root: Path) -> int:
        with CaptureQueriesContext(connection) as ctx:
            report = load_archive(root)
        assert report.notes == 3
        return len(ctx.captured_queries)

    assert queries(tmp_path / "small") == queries(tmp_path / "large")
    assert Revision.objects.filter(note__case__number=400001).get().snapshot["vendors"][39]["statement"]


@needs_sample
@pytest.mark.django_db
def test_a_copy_of_the_sample_imports_in_small_batches_the_same(tmp_path: Path) -> None:
    # Batches split reports from their neighbours: the result does not depend on the batch size.
    root = tmp_path / "vda"
    shutil.copytree(SAMPLE / "data" / "6", root / "data" / "6")
    report = load_archive(root, batch_size=3)
    assert isinstance(report, ImportReport) and report.imported == len(list((root / "data" / "6").iterdir()))
    assert Case.objects.get(number=854306).participants.count() == 284


# The reader ---------------------------------------------------------------------------------------

FIELDS = [
    "ID",
    "Title",
    "Overview",
    "CVEIDs",
    "References",
    "DateCreated",
    "DatePublic",
    "DateFirstPublished",
    "DateLastUpdated",
    "Vendor",
    "Status",
    "VendorStatement",
    "Addendum",
    "VendorInformation",
    "VendorReferences",
    "DateNotified",
    "DateResponded",
    "VendorRecordID",
    "CVSS_BaseVector",
    "CVSS_BaseScore",
    "CERTAdvisory",
    "SystemsAffectedPreamble",
]
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=10,
)
VALUES = st.one_of(
    JSON,
    st.sampled_from(
        [
            "",
            "VU#1",
            "VU#1234567",
            "VU#12345678",
            "VU#0",
            "VU#٣",
            "2019-01-02T03:04:05-05:00",
            "2019-13-02T00:00:00",
            "Not Vulnerable",
            "AV:N/AC:L/Au:N/C:C/I:C/A:C",
            "9.3",
            "\ud800",
            "a\x00b",
        ]
    ),
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=len(FIELDS)))
def test_the_reader_never_raises_on_generated_records(doc: dict[str, Any]) -> None:
    data = json.dumps(doc).encode()
    for read in (read_report, read_vendor):
        problems: list[Problem] = []
        result = read("data/1/vu_1/x.json", data, problems)
        assert all(p.path == "data/1/vu_1/x.json" and p.field for p in problems)
        if result is not None:
            assert 0 < result.number < 10**7
            for value in vars(result).values():
                if isinstance(value, str):
                    value.encode("utf-8")  # storable


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_the_reader_never_raises_on_bytes(data: bytes) -> None:
    for read in (read_report, read_vendor):
        problems: list[Problem] = []
        if read("f.json", data, problems) is None:
            assert problems


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    report=st.binary(max_size=80) | VALUES.map(lambda v: json.dumps({"ID": v}).encode()),
    vendor=st.binary(max_size=80),
)
def test_reading_a_folder_never_raises(tmp_path: Path, report: bytes, vendor: bytes) -> None:
    folder = tmp_path / "data" / "1" / "vu_1"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vu_1.json").write_bytes(report)
    (folder / "vendor_x.json").write_bytes(vendor)
    result = read_folder(folder, tmp_path)
    assert result.report is not None or result.problems


def test_datetimes_blank_offsets_and_naive() -> None:
    assert parse_datetime("1998-07-08T11:09:47-04:00") == dt.datetime(1998, 7, 8, 15, 9, 47, tzinfo=dt.UTC)
    assert parse_datetime("2002-02-12T00:00:00") == dt.datetime(2002, 2, 12, tzinfo=dt.UTC)
    problems: list[Problem] = []
    vendor = read_vendor(
        "v.json", json.dumps(_vendor(6733, "X", DateNotified="", DateResponded=" ")).encode(), problems
    )
    assert vendor is not None and vendor.number == 6733 and vendor.date_notified is None and not problems


@pytest.mark.django_db
def test_a_folder_the_database_refuses_is_reported_and_the_rest_of_its_batch_imports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.db import IntegrityError

    from accord.archive import load

    for number in (100001, 100002, 100003):
        _write(
            tmp_path,
            number,
            _report(number),
            {"a": _vendor(number, "Shared Vendor"), "b": _vendor(number, f"Own {number}")},
        )
    real = load._case_fields

    def refuse(report: Any, *args: Any) -> dict[str, Any]:
        if report.number == 100002:
            raise IntegrityError("simulated")
        return real(report, *args)

    monkeypatch.setattr(load, "_case_fields", refuse)
    report = load_archive(tmp_path)
    assert (report.imported, report.skipped) == (2, 1)
    assert report.errors == ["data/2/vu_100002/vu_100002.json: (database): refused: simulated"]
    assert set(Case.objects.values_list("number", flat=True)) == {100001, 100003}
    # The vendor created in the batch that rolled back was created again, once.
    shared = Organization.objects.get(name="Shared Vendor")
    assert shared.participations.count() == 2
    assert report.organisations == Organization.objects.count() == 3
    assert report.participants == Participant.objects.count() == 4


@pytest.mark.django_db
@needs_sample
def test_vu854306_on_the_public_site_lists_all_285_vendor_records_with_their_statements_verbatim() -> None:
    """Issue 11's acceptance: after the import, /vuls/854306 and /api/v1/notes/{case} list every
    vendor record with the archive's status word, and each statement equals the archive's text,
    through the public JSON and through the raw link, byte for byte."""
    load_archive(SAMPLE)
    folder = next((SAMPLE / "data").glob("*/vu_854306"))
    records = [json.loads(p.read_bytes()) for p in sorted(folder.glob("vendor_*.json"))]
    assert len(records) == 285
    public = Client()

    page = public.get("/vuls/854306/")
    assert page.status_code == 200
    assert "285 vendors: status per vulnerability" in page.content.decode()

    note = public.get("/api/v1/notes/VU854306").json()
    vendors = note["vendors"]
    assert len(vendors) == 285
    expected = sorted((r["Vendor"], r["Status"], r.get("VendorStatement") or "") for r in records)
    shown = sorted(
        (
            v["name"],
            v["statuses"][0]["source_word"],
            v["statement"]["text"] if v["statement"] else "",
        )
        for v in vendors
    )
    assert shown == expected
    assert all(v["statuses"] for v in vendors)  # never an empty list, "unknown" included
    with_statement = [v for v in vendors if v["statement"]]
    assert with_statement
    texts = {r["VendorStatement"] for r in records if r.get("VendorStatement")}
    for vendor in with_statement:
        raw = public.get(vendor["statement"]["raw_url"])
        assert raw.status_code == 200 and raw["Content-Type"] == "text/plain; charset=utf-8"
        assert raw.content == vendor["statement"]["text"].encode("utf-8")
        assert raw.content.decode("utf-8") in texts

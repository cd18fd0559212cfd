"""Published archive reports become Vulnerability Notes (issue 11 item 7).

A report with `DateFirstPublished` is a note CERT/CC published: its case gets a `Note` (state
published) with ONE published `Revision` whose snapshot (snapshot_types.Snapshot, source
"certcc-archive") holds what the note showed:
- the sections from the report's fields (Overview, Description with the SystemsAffectedPreamble,
  Impact, Resolution, Workarounds, References and the CERT advisories as a Markdown list,
  ThanksAndCredit with the Author line), as given: archive texts may be HTML-escaped, and the
  Markdown renderer escapes HTML, so nothing is unescaped or rewritten;
- the case's vulnerabilities ("VU#n.k", CVE, the report's CVSS 2.0 base vector when scored);
- ONE ENTRY PER VENDOR RECORD, keyed "a<ArchiveRecord pk>": the name as the record writes it,
  the record's own status (the archive's word beside it) for each vulnerability, its statement
  (the `Statement` row with the record's exact bytes), addendum, information and dates. Two
  records of one vendor (VU#854306 lists Hitachi twice) are two entries, as in the archive;
- a timeline from the report's and the records' dates.

A changed report folder is applied to the case first (accord.archive.load); then, if the snapshot
built again differs from the latest published revision, a new revision ("Updated from the
archive") is added. A published revision is never rewritten.

Building needs no query: the loader passes what it has just inserted for new cases, and
`from_database` reads a batch of cases' rows in a fixed number of queries for the others.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal, cast

from accord.answers.models import Statement
from accord.archive.models import ArchiveRecord
from accord.archive.reader import ArchiveReport, ArchiveVendor, read_report, read_vendor
from accord.cases.models import Case, Vulnerability
from accord.core.bulk import bulk_create
from accord.lib.ids import case_label
from accord.lib.time import rfc3339 as iso
from accord.publication.models import Note, Revision
from accord.publication.snapshot_text import search_text
from accord.publication.snapshot_types import (
    SCHEMA,
    Cvss,
    Sections,
    Snapshot,
    StatementItem,
    StatusItem,
    StatusWord,
    TimelineItem,
    VendorItem,
    VulnerabilityItem,
)

SOURCE: Literal["certcc-archive"] = "certcc-archive"
FIRST_SUMMARY = "Imported from the CERT/CC Vulnerability Data Archive"
UPDATE_SUMMARY = "Updated from the archive"
IN_CHUNK = 900  # values per `__in` lookup
SignatureState = Literal["verified", "failed", "unsigned"]
_URL = re.compile(r"https?://[^\s<>]+", re.ASCII)


@dataclass(frozen=True)
class VendorSource:
    record: int  # the vendor record's ArchiveRecord pk
    vendor: ArchiveVendor
    participant: int | None  # None when its organisation is no vendor (the loader reported it)


@dataclass
class NoteSource:
    """Everything one case's note is built from."""

    case_id: int
    number: int
    title: str
    report: ArchiveReport
    vulnerabilities: list[Vulnerability]
    vendors: list[VendorSource]
    # (participant pk, exact bytes) -> the Statement row holding them (its first version).
    statements: dict[tuple[int, bytes], Statement]
    note: Note | None = None
    latest: Revision | None = None  # the note's latest published revision
    last_number: int = 0  # the highest revision number the note has


@dataclass
class Outcome:
    notes: int = 0  # notes created
    revisions: int = 0  # revisions added to existing notes
    numbers: dict[int, int] = field(default_factory=dict)  # case pk -> the revision number added


def statement_index(statements: Iterable[Statement]) -> dict[tuple[int, bytes], Statement]:
    index: dict[tuple[int, bytes], Statement] = {}
    for statement in sorted(statements, key=lambda s: (s.participant_id, s.version)):
        index.setdefault((statement.participant_id, statement.text_bytes), statement)
    return index


# The snapshot ---------------------------------------------------------------------------------------


def _join(*parts: str) -> str:
    return "\n\n".join(part for part in parts if part.strip())


def _reference(item: str) -> str:
    # A bare URL becomes an autolink (the renderer does not linkify); other text stays as given.
    return f"- <{item}>" if _URL.fullmatch(item) else f"- {item}"


def sections(report: ArchiveReport) -> Sections:
    references = [*report.references, *report.advisories]
    return Sections(
        overview=report.overview,
        description=_join(report.description, report.preamble),
        impact=report.impact,
        solution=report.resolution,
        workarounds=report.workarounds,
        references="\n".join(_reference(item) for item in references),
        credit=_join(report.thanks, report.author),
    )


def _vulnerabilities(source: NoteSource) -> list[VulnerabilityItem]:
    report = source.report
    cvss = (
        [Cvss(version="2.0", vector=report.cvss2_vector, score=report.cvss2_score)]
        if report.cvss2_vector
        else []
    )
    label = case_label(source.number)
    return [
        VulnerabilityItem(
            id=f"{label}.{v.seq}",
            title=v.title,
            description=v.description,
            cve=v.cve,
            cwe=v.cwe,
            cvss=list(cvss),
            aliases=[],
            products=[],
        )
        for v in sorted(source.vulnerabilities, key=lambda v: v.seq)
    ]


def _statement(row: Statement) -> StatementItem:
    data = row.text_bytes
    return StatementItem(
        id=row.pk,
        version=row.version,
        text=data.decode("utf-8", errors="replace"),
        sha256=hashlib.sha256(data).hexdigest(),
        signature_state=cast(SignatureState, row.verification),
        fingerprint="",  # archive statements carry no key
        signature_kind=row.signature_kind,
        received_by_mail=row.received_by_mail,
        at=iso(row.created_at),
    )


def _vendor(source: NoteSource, item: VendorSource, ids: list[str]) -> VendorItem:
    vendor = item.vendor
    row = None
    if item.participant is not None and vendor.statement.strip():
        row = source.statements.get((item.participant, vendor.statement.encode("utf-8")))
    statement = _statement(row) if row is not None else None
    status = cast(StatusWord, vendor.status)
    return VendorItem(
        key=f"a{item.record}",
        name=vendor.vendor,
        anonymous=False,
        notified_at=iso(vendor.date_notified),
        responded_at=iso(vendor.date_responded),
        statement_at=statement["at"] if statement else None,
        statuses=[
            StatusItem(
                vulnerability=vid,
                status=status,
                product="",
                version_range="",
                purl="",
                source_word=vendor.status_word,
                justification="",
                impact_statement="",
                fixed_version="",
                release_reference="",
            )
            for vid in ids
        ],
        statement=statement,
        addendum=vendor.addendum,
        information=vendor.information,
    )


def _timeline(report: ArchiveReport, vendors: list[ArchiveVendor]) -> list[TimelineItem]:
    notified = [v.date_notified for v in vendors if v.date_notified]
    responded = [v.date_responded for v in vendors if v.date_responded]
    found: list[tuple[dt.datetime | None, str]] = [
        (report.date_created, "report created"),
        (min(notified) if notified else None, "first contact attempt"),
        (min(responded) if responded else None, "first vendor response"),
        (report.date_public, "made public"),
        (report.date_first_published, "publication"),
    ]
    last = report.date_last_updated
    if last and (report.date_first_published is None or last > report.date_first_published):
        found.append((last, "last update"))
    dated = [(at, what) for at, what in found if at is not None]
    dated.sort(key=lambda item: item[0])  # stable: the order above for equal instants
    return [TimelineItem(at=iso(at) or "", what=what) for at, what in dated]


def build_snapshot(source: NoteSource, first_published: dt.datetime | None) -> Snapshot:
    vulnerabilities = _vulnerabilities(source)
    ids = [v["id"] for v in vulnerabilities]
    vendors = sorted(source.vendors, key=lambda item: (item.vendor.vendor.casefold(), item.record))
    return Snapshot(
        schema=SCHEMA,
        case=case_label(source.number),
        number=source.number,
        title=source.title,
        sections=sections(source.report),
        vulnerabilities=vulnerabilities,
        vendors=[_vendor(source, item, ids) for item in vendors],
        timeline=_timeline(source.report, [item.vendor for item in vendors]),
        first_published_at=iso(first_published),
        source=SOURCE,
    )


# Writing ------------------------------------------------------------------------------------------


def _first_revision(note: Note, snapshot: Snapshot, number: int, now: dt.datetime) -> Revision:
    return Revision(
        note=note,
        number=number,
        state=Revision.State.PUBLISHED,
        snapshot=snapshot,
        change_summary=FIRST_SUMMARY,
        created_at=now,
        published_at=note.first_published_at,
        published_by=None,
        search_text=search_text(snapshot),
    )


def write(sources: list[NoteSource], now: dt.datetime) -> Outcome:
    """Create the notes not made yet and add a revision where the published content changed.

    New notes and all revisions go in two bulk inserts; a note that gets a new revision is
    updated by one query of its own (changed files only)."""
    outcome = Outcome()
    fresh: list[tuple[Note, Snapshot]] = []
    revisions: list[Revision] = []
    for source in sources:
        report = source.report
        if not report.published:
            continue
        if source.note is None:
            first = report.date_first_published
            snapshot = build_snapshot(source, first)
            last = max(d for d in (first, report.date_last_updated) if d is not None)
            note = Note(
                case_id=source.case_id,
                state=Note.State.PUBLISHED,
                first_published_at=first,
                last_published_at=last,
                created_at=now,
                **snapshot["sections"],
            )
            fresh.append((note, snapshot))
            outcome.notes += 1
            outcome.numbers[source.case_id] = 1
            continue
        note = source.note
        latest = source.latest
        snapshot = build_snapshot(source, note.first_published_at or report.date_first_published)
        if latest is not None and latest.snapshot == snapshot:
            continue  # the published content is the same: nothing to add
        number = source.last_number + 1
        if latest is None:
            # A note made in Accord before the archive's file said it was published.
            note.first_published_at = note.first_published_at or report.date_first_published or now
            revisions.append(_first_revision(note, snapshot, number, now))
            published_at = note.first_published_at
        else:
            # The archive's last update, when it is newer than what is published; else now.
            updated = report.date_last_updated
            previous = latest.published_at
            fits = updated is not None and updated <= now and (previous is None or updated > previous)
            published_at = updated if fits and updated is not None else now
            revisions.append(
                Revision(
                    note=note,
                    number=number,
                    state=Revision.State.PUBLISHED,
                    snapshot=snapshot,
                    change_summary=UPDATE_SUMMARY,
                    created_at=now,
                    published_at=published_at,
                    published_by=None,
                    search_text=search_text(snapshot),
                )
            )
        changes: dict[str, object] = {
            "first_published_at": note.first_published_at,
            "last_published_at": max(published_at, note.last_published_at or published_at),
            "updated_at": now,
        }
        if note.state != Note.State.WITHDRAWN:
            changes["state"] = Note.State.PUBLISHED
        if note.draft_number == 0:  # never edited in Accord: its draft follows the archive
            changes.update(snapshot["sections"])
        Note.objects.filter(pk=note.pk).update(**changes)
        outcome.revisions += 1
        outcome.numbers[source.case_id] = number
    created = bulk_create(Note, [note for note, _ in fresh])
    revisions += [
        _first_revision(note, snapshot, 1, now) for note, (_, snapshot) in zip(created, fresh, strict=True)
    ]
    bulk_create(Revision, revisions)
    return outcome


# Reading the cases back ------------------------------------------------------------------------------


def _chunks(values: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(values), IN_CHUNK):
        yield values[start : start + IN_CHUNK]


def from_database(case_ids: list[int]) -> list[NoteSource]:
    """The sources of these cases' notes, from their archive records and rows: a fixed number
    of queries per 900 cases. Cases whose report is not published are left out."""
    sources: list[NoteSource] = []
    for chunk in _chunks(sorted(set(case_ids))):
        reports: dict[int, ArchiveReport] = {}
        vendors: dict[int, list[VendorSource]] = defaultdict(list)
        records = (
            ArchiveRecord.objects.filter(case_id__in=chunk)
            .order_by("id")
            .values_list("id", "case_id", "kind", "path", "raw", "participant_id")
        )
        for pk, case_id, kind, path, raw, participant_id in records:
            data = raw.encode("utf-8")
            if kind == ArchiveRecord.Kind.REPORT:
                report = read_report(path, data, [])
                if report is not None:
                    reports[case_id] = report
            else:
                vendor = read_vendor(path, data, [])
                if vendor is not None:
                    vendors[case_id].append(VendorSource(pk, vendor, participant_id))
        published = [pk for pk in chunk if pk in reports and reports[pk].published]
        if not published:
            continue
        vulnerabilities: dict[int, list[Vulnerability]] = defaultdict(list)
        for vulnerability in Vulnerability.objects.filter(case_id__in=published):
            vulnerabilities[vulnerability.case_id].append(vulnerability)
        statements = statement_index(
            Statement.objects.filter(participant__case_id__in=published).only(
                "id",
                "participant_id",
                "version",
                "text",
                "verification",
                "signature_kind",
                "received_by_mail",
                "created_at",
            )
        )
        notes = {note.case_id: note for note in Note.objects.filter(case_id__in=published)}
        latest: dict[int, Revision] = {}
        last_number: dict[int, int] = {}
        for revision in Revision.objects.filter(note__in=list(notes.values()), number__isnull=False).order_by(
            "note_id", "number"
        ):
            last_number[revision.note_id] = revision.number or 0
            if revision.state == Revision.State.PUBLISHED:
                latest[revision.note_id] = revision
        cases = Case.objects.filter(pk__in=published).values_list("id", "number", "title")
        for case_id, number, title in cases:
            note = notes.get(case_id)
            sources.append(
                NoteSource(
                    case_id=case_id,
                    number=number,
                    title=title,
                    report=reports[case_id],
                    vulnerabilities=vulnerabilities[case_id],
                    vendors=vendors[case_id],
                    statements=statements,
                    note=note,
                    latest=latest.get(note.pk) if note else None,
                    last_number=last_number.get(note.pk, 0) if note else 0,
                )
            )
    return sources

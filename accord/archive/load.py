"""Import CERT/CC's Vulnerability Data Archive: a bulk action by Accord itself (issue 11 item 7).

Each report becomes a quiet case (process.md "Imported and historical cases are quiet") that
keeps its number and dates, with one vulnerability per CVE id (one untitled-by-CVE one when the
report names none). Each vendor record becomes a vendor organisation (deduplicated by its name
ignoring case and spacing) and a participant with:
- one status per vulnerability, in Accord's words, with the archive's own word beside it
  (`Status.source_word`);
- its `VendorStatement` verbatim as a statement (the JSON string's UTF-8 bytes) with its
  `Addendum` as the coordinator's addendum and `VendorReferences` as the statement's references;
- its `VendorInformation` as `Participant.vendor_information`, the coordinator's information,
  never a statement;
- `DateNotified` as the notification (V) and first contact, `DateResponded` as the answer's date.
A case has one participant per organisation: two records of one vendor in one report (the
archive has a few, VU#854306 lists Hitachi twice) share it. Each record keeps its own statement
version and `ArchiveRecord`; the status is that of the record updated last.

Every file read is kept as an `ArchiveRecord` (path, sha256 of its bytes, its JSON text): the
source of the future Vulnerability Note, and what makes a second run change nothing. Each case
gets one event, "case.imported", by "Accord".

A changed file (another sha256) updates its case: the report's texts and dates are set again,
CVE ids not seen before add vulnerabilities, a new or changed vendor record updates its
participant's dates, information and statuses, and a statement or addendum whose text is new is
added as a new version (statements are never rewritten). Nothing is deleted: a vulnerability or a
vendor record gone from the archive stays. The case gets one "case.reimported" event.

A published report (`DateFirstPublished`) becomes the case's Vulnerability Note with one
published revision (accord.archive.notes); a changed file whose published content changed adds
a revision ("Updated from the archive"), never rewriting one. An unchanged published report whose
case has no note yet (imported before notes were) gets its note on the next run.

Reading and writing go in batches of report folders, each in one transaction with a fixed
number of queries for new cases (bulk inserts): memory stays that of one batch, whatever the
size of the archive. Updates of changed cases cost a few queries per changed file.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Max
from django.utils import timezone

from accord.accounts.models import Organization
from accord.answers.models import Addendum, Answer, Statement, Status
from accord.archive import notes as archive_notes
from accord.archive.models import ArchiveRecord
from accord.archive.reader import ArchiveReport, ArchiveVendor, Folder, Problem, iter_folders, read_folder
from accord.cases.actions.participants import alias_letters
from accord.cases.events import KINDS
from accord.cases.models import Case, CaseEvent, Participant, Vulnerability
from accord.cases.states import RM
from accord.core.bulk import bulk_create
from accord.lib.ids import case_label
from accord.publication.models import Note

IMPORTED = "case.imported"
REIMPORTED = "case.reimported"
BATCH = 200  # report folders per transaction
PROGRESS_EVERY = 500  # reports
KEEP_ERRORS = 10_000  # error lines kept in the returned report (all are counted and printed)
IN_CHUNK = 900  # values per `__in` lookup


def name_key(name: str) -> str:
    """An organisation's name ignoring case and spacing: "Trend Micro" = "TrendMicro" = "trendmicro"."""
    return "".join(name.casefold().split())


@dataclass
class ImportReport:
    reports: int = 0  # report folders seen
    imported: int = 0  # new cases
    updated: int = 0  # cases of changed files
    unchanged: int = 0
    skipped: int = 0  # folders not imported (their report could not be read or its number is taken)
    vendor_records: int = 0  # vendor records imported or read again
    participants: int = 0
    organisations: int = 0  # organisations created
    statements: int = 0
    notes: int = 0  # Vulnerability Notes created
    revisions: int = 0  # revisions added to notes by changed files
    error_count: int = 0
    errors: list[str] = field(default_factory=list)
    # Organisations whose records spelt their name more than one way: key -> the spellings.
    variants: dict[str, list[str]] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def merged(self) -> dict[str, list[str]]:
        return {key: names for key, names in self.variants.items() if len(names) > 1}

    @property
    def succeeded(self) -> bool:
        return bool(self.imported or self.updated or self.unchanged)

    def summary(self) -> list[str]:
        lines = [
            f"reports {self.reports:,}: imported {self.imported:,}, updated {self.updated:,}, "
            f"unchanged {self.unchanged:,}, skipped {self.skipped:,}",
            f"vendor records {self.vendor_records:,}, participants {self.participants:,}, "
            f"organisations created {self.organisations:,}, statements {self.statements:,}",
            f"notes published {self.notes:,}, revisions added {self.revisions:,}",
            f"errors {self.error_count:,}, in {self.seconds:.1f} s",
        ]
        merged = self.merged
        if merged:
            lines.append(f"organisations merged from several spellings: {len(merged):,}")
            for names in sorted(merged.values(), key=lambda n: n[0].casefold()):
                lines.append("  " + " = ".join(repr(n) for n in names))
        return lines


class _Organisations:
    """Every organisation by its name key, loaded once: no lookup per record."""

    def __init__(self, report: ImportReport) -> None:
        self.report = report
        self.by_key: dict[str, tuple[int, str]] = {}
        self.names: set[str] = set()  # exact names (unique in the table)
        self.added: list[tuple[str, str]] = []  # (key, name) created in this batch, until it commits
        for pk, name, kind in Organization.objects.values_list("id", "name", "kind").order_by("id"):
            self.by_key.setdefault(name_key(name), (pk, kind))
            self.names.add(name)
            self._spelling(name_key(name), name)

    def _spelling(self, key: str, name: str) -> None:
        names = self.report.variants.setdefault(key, [])
        if name not in names and len(names) < 20:
            names.append(name)

    def _free_name(self, name: str) -> str:
        short = " ".join(name.split())[:200]
        number = 1
        while short in self.names:  # two long names alike in their first 200 characters
            number += 1
            short = f"{' '.join(name.split())[:185]} ({number})"
        return short

    def ensure(self, names: Iterable[str]) -> None:
        """Create, in one insert, the vendor organisations not known yet."""
        new: dict[str, str] = {}
        for name in names:
            key = name_key(name)
            self._spelling(key, name)
            if key not in self.by_key and key not in new:
                new[key] = self._free_name(name)
                self.names.add(new[key])
                self.added.append((key, new[key]))
        created = bulk_create(
            Organization, [Organization(name=n, kind=Organization.Kind.VENDOR) for n in new.values()]
        )
        # By the key of the name as read: a name cut at 200 characters keeps its own key.
        for key, org in zip(new, created, strict=True):
            self.by_key[key] = (org.pk, Organization.Kind.VENDOR)
        self.report.organisations += len(created)

    def forget_added(self) -> None:
        for key, name in self.added:
            self.by_key.pop(key, None)
            self.names.discard(name)
        self.added = []

    def vendor_id(self, name: str) -> int | None:
        pk, kind = self.by_key[name_key(name)]
        return pk if kind == Organization.Kind.VENDOR else None


def _forget_queries() -> None:
    """With DEBUG, Django keeps the last 9,000 queries' SQL: bulk inserts of 100 kB each would
    grow to gigabytes over the archive. A test capturing queries (force_debug_cursor) keeps them."""
    if settings.DEBUG and not connection.force_debug_cursor:
        connection.queries_log.clear()


def _chunks(values: list[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(values), IN_CHUNK):
        yield values[start : start + IN_CHUNK]


def _record_order(vendor: ArchiveVendor) -> tuple[dt.datetime, str]:
    # The record updated last comes last: its status is the participant's.
    floor = dt.datetime.min.replace(tzinfo=dt.UTC)
    return (
        vendor.date_last_updated or vendor.date_responded or vendor.date_notified or floor,
        vendor.source.path,
    )


def _case_created(report: ArchiveReport, vendors: list[ArchiveVendor], now: dt.datetime) -> dt.datetime:
    if report.date_created:
        return report.date_created
    dates = report.dates() + [d for v in vendors for d in (v.date_notified, v.date_responded) if d]
    return min(dates) if dates else now


def _first(dates: Iterable[dt.datetime | None]) -> dt.datetime | None:
    found = [d for d in dates if d is not None]
    return min(found) if found else None


def _last(dates: Iterable[dt.datetime | None]) -> dt.datetime | None:
    found = [d for d in dates if d is not None]
    return max(found) if found else None


def _case_fields(report: ArchiveReport, vendors: list[ArchiveVendor], now: dt.datetime) -> dict[str, Any]:
    return {
        "title": (report.title.strip() or f"{case_label(report.number)} (no title in the archive)")[:300],
        "summary": report.overview,
        "created_at": _case_created(report, vendors, now),
        # The archive's DatePublic is when the vulnerability became public (P).
        "p_at": report.date_public or report.date_first_published,
        "first_contact_at": _first(v.date_notified for v in vendors),
    }


def _event_data(folder: Folder, case: Case, participants: int, vulnerabilities: int) -> dict[str, Any]:
    report = folder.report
    assert report is not None
    published = report.date_first_published
    return {
        "source": report.source.path,
        "vendor_records": len(folder.vendors),
        "participants": participants,
        "vulnerabilities": vulnerabilities,
        "published": published.isoformat() if published else None,
    }


class _Loader:
    def __init__(
        self, root: Path, out: Callable[[str], None], err: Callable[[str], None], quiet: bool
    ) -> None:
        self.root = root
        self.out = out
        self.err = err
        self.quiet = quiet
        self.report = ImportReport()
        self.orgs = _Organisations(self.report)
        self.started = time.monotonic()

    # Errors ---------------------------------------------------------------------------------
    def problem(self, problem: Problem | str) -> None:
        line = str(problem)
        self.report.error_count += 1
        if len(self.report.errors) < KEEP_ERRORS:
            self.report.errors.append(line)
        self.err(f"error: {line}")

    # The walk ---------------------------------------------------------------------------------
    def run(self, batch_size: int) -> ImportReport:
        batch: list[Folder] = []
        for path in iter_folders(self.root):
            folder = read_folder(path, self.root)
            self.report.reports += 1
            for problem in folder.problems:
                self.problem(problem)
            if folder.report is None:
                self.report.skipped += 1
            else:
                batch.append(folder)
            at_progress = self.report.reports % PROGRESS_EVERY == 0
            if batch and (len(batch) >= batch_size or at_progress):
                self.load_safely(batch)
                batch = []
            if at_progress:
                self.progress()
        if batch:
            self.load_safely(batch)
        self.report.seconds = time.monotonic() - self.started
        return self.report

    def progress(self) -> None:
        if self.quiet:
            return
        r = self.report
        rate = r.reports / max(time.monotonic() - self.started, 1e-6)
        self.out(
            f"{r.reports:,} reports: imported {r.imported:,}, updated {r.updated:,}, unchanged {r.unchanged:,}, "
            f"skipped {r.skipped:,}, vendor records {r.vendor_records:,}, errors {r.error_count:,} "
            f"({rate:,.0f} reports/s)"
        )

    # One batch ---------------------------------------------------------------------------------
    def load_safely(self, batch: list[Folder]) -> None:
        """Load a batch; if the database refuses it, load its folders one by one, so that the
        folder it refuses is reported and skipped and the others import."""
        try:
            self._attempt(batch)
        except DatabaseError:
            if len(batch) == 1:
                raise
            for folder in batch:
                try:
                    self._attempt([folder])
                except DatabaseError as exc:
                    assert folder.report is not None
                    self.problem(Problem(folder.report.source.path, "(database)", f"refused: {exc}"[:300]))
                    self.report.skipped += 1
        finally:
            self.orgs.added = []
            _forget_queries()

    def _attempt(self, batch: list[Folder]) -> None:
        # The counters and the organisation index go back as they were if the batch rolls back.
        saved = dataclasses.replace(self.report)
        try:
            self.load(batch)
        except DatabaseError:
            for name in ("imported", "updated", "unchanged", "skipped", "vendor_records", "participants"):
                setattr(self.report, name, getattr(saved, name))
            self.report.organisations, self.report.statements = saved.organisations, saved.statements
            self.report.notes, self.report.revisions = saved.notes, saved.revisions
            self.orgs.forget_added()
            raise
        self.orgs.added = []

    @transaction.atomic
    def load(self, batch: list[Folder]) -> None:
        paths = [f.report.source.path for f in batch if f.report] + [
            v.source.path for f in batch for v in f.vendors
        ]
        known: dict[str, tuple[str, int, int]] = {}  # path -> (sha256, case id, record id)
        for chunk in _chunks(paths):
            for pk, path, sha, case_id in ArchiveRecord.objects.filter(path__in=chunk).values_list(
                "id", "path", "sha256", "case_id"
            ):
                known[path] = (sha, case_id, pk)
        numbers = [f.report.number for f in batch if f.report]
        taken: dict[int, int] = {}
        for chunk in _chunks(numbers):
            taken.update(Case.objects.filter(number__in=chunk).values_list("number", "id"))
        new: list[Folder] = []
        changed: list[tuple[Folder, int]] = []
        waiting: list[int] = []  # unchanged published reports' cases: do they have their note?
        seen: set[int] = set()
        for folder in batch:
            report = folder.report
            assert report is not None
            mine = known.get(report.source.path)
            if report.number in seen or (mine is None and report.number in taken):
                self.problem(
                    Problem(
                        report.source.path,
                        "ID",
                        f"{case_label(report.number)} is already a case; not imported",
                    )
                )
                self.report.skipped += 1
                continue
            seen.add(report.number)
            if mine is None:
                new.append(folder)
                continue
            files = [report.source] + [v.source for v in folder.vendors]
            if all(known.get(s.path, ("",))[0] == s.sha256 for s in files):
                self.report.unchanged += 1
                if report.published:
                    waiting.append(mine[1])
            else:
                changed.append((folder, mine[1]))
        if new or changed:
            self.orgs.ensure(v.vendor for f in [*new, *(c[0] for c in changed)] for v in f.vendors)
        if new:
            self.create(new)
        for folder, case_id in changed:
            self.update(folder, case_id, known)
        if waiting:
            self.backfill(waiting)

    def backfill(self, case_ids: list[int]) -> None:
        """Notes for published cases imported before notes were: one query when all have one."""
        have: set[int] = set()
        for chunk in _chunks(case_ids):
            have.update(Note.objects.filter(case_id__in=chunk).values_list("case_id", flat=True))
        missing = [pk for pk in case_ids if pk not in have]
        if missing:
            self.count(archive_notes.write(archive_notes.from_database(missing), timezone.now()))

    def count(self, outcome: archive_notes.Outcome) -> None:
        self.report.notes += outcome.notes
        self.report.revisions += outcome.revisions

    def _participant_groups(self, folder: Folder) -> dict[int, list[ArchiveVendor]]:
        """The case's vendor records by organisation, each group in record order."""
        groups: dict[int, list[ArchiveVendor]] = defaultdict(list)
        for vendor in sorted(folder.vendors, key=_record_order):
            org_id = self.orgs.vendor_id(vendor.vendor)
            if org_id is None:
                self.problem(
                    Problem(
                        vendor.source.path,
                        "Vendor",
                        f"{vendor.vendor!r} names an organisation that is no vendor",
                    )
                )
                continue
            groups[org_id].append(vendor)
        return groups

    def create(self, folders: list[Folder]) -> None:
        now = timezone.now()
        cases = []
        for folder in folders:
            assert folder.report is not None
            cases.append(
                Case(
                    number=folder.report.number,
                    quiet=True,
                    **_case_fields(folder.report, folder.vendors, now),
                )
            )
        cases = bulk_create(Case, cases)
        vulnerabilities: list[Vulnerability] = []
        by_case: dict[int, list[Vulnerability]] = {}
        participants: list[Participant] = []
        groups_of: list[list[ArchiveVendor]] = []
        for folder, case in zip(folders, cases, strict=True):
            assert folder.report is not None
            cves = folder.report.cve_ids or [""]
            own = [
                Vulnerability(
                    case=case,
                    seq=seq,
                    title=case.title if not cve else "",
                    cve=cve,
                    created_at=case.created_at,
                )
                for seq, cve in enumerate(cves, start=1)
            ]
            by_case[case.pk] = own
            vulnerabilities.extend(own)
            for index, (org_id, group) in enumerate(self._participant_groups(folder).items()):
                participants.append(self._participant(case, org_id, f"Vendor {alias_letters(index)}", group))
                groups_of.append(group)
        bulk_create(Vulnerability, vulnerabilities)
        participants = bulk_create(Participant, participants)
        published = {
            case.pk: folder.report.published
            for folder, case in zip(folders, cases, strict=True)
            if folder.report
        }
        answers, statuses, statements, addenda_of = [], [], [], []
        for participant, group in zip(participants, groups_of, strict=True):
            share = published[participant.case_id]
            answers.append(self._answer(participant, group, share))
            statuses.extend(self._statuses(participant, group[-1], by_case[participant.case_id]))
            version = 0
            for vendor in group:
                if vendor.statement.strip():
                    version += 1
                    statements.append(self._statement(participant, vendor, version, share))
                if vendor.addendum.strip():
                    addenda_of.append((participant, vendor, version if vendor.statement.strip() else 0))
        bulk_create(Answer, answers)
        bulk_create(Status, statuses)
        statements = bulk_create(Statement, statements)
        by_version = {(s.participant_id, s.version): s for s in statements}
        bulk_create(
            Addendum,
            [
                self._addendum(participant, vendor, by_version.get((participant.pk, version)))
                for participant, vendor, version in addenda_of
            ],
        )
        participant_of = {
            vendor.source.path: participant
            for participant, group in zip(participants, groups_of, strict=True)
            for vendor in group
        }
        records, events = [], []
        for folder, case in zip(folders, cases, strict=True):
            assert folder.report is not None
            records.append(self._record(case, None, folder.report.source, ArchiveRecord.Kind.REPORT, "", now))
            records.extend(
                self._record(
                    case,
                    participant_of.get(v.source.path),
                    v.source,
                    ArchiveRecord.Kind.VENDOR,
                    v.record_id,
                    now,
                )
                for v in folder.vendors
            )
            count = sum(1 for p in participants if p.case_id == case.pk)
            events.append(
                self._event(IMPORTED, case, _event_data(folder, case, count, len(by_case[case.pk])), now)
            )
        bulk_create(ArchiveRecord, records)
        bulk_create(CaseEvent, events)
        # The published reports' notes, from what was just inserted: no query but the inserts.
        record_of = {r.path: r.pk for r in records}
        statement_index = archive_notes.statement_index(statements)
        sources = []
        for folder, case in zip(folders, cases, strict=True):
            assert folder.report is not None
            if not folder.report.published:
                continue
            vendors = []
            for v in folder.vendors:
                holder = participant_of.get(v.source.path)
                vendors.append(
                    archive_notes.VendorSource(
                        record_of[v.source.path[:300]], v, holder.pk if holder else None
                    )
                )
            sources.append(
                archive_notes.NoteSource(
                    case_id=case.pk,
                    number=case.number,
                    title=case.title,
                    report=folder.report,
                    vulnerabilities=by_case[case.pk],
                    vendors=vendors,
                    statements=statement_index,
                )
            )
        self.count(archive_notes.write(sources, now))
        self.report.imported += len(cases)
        self.report.vendor_records += sum(len(f.vendors) for f in folders)
        self.report.participants += len(participants)
        self.report.statements += len(statements)

    # Rows ---------------------------------------------------------------------------------------
    @staticmethod
    def _participant(case: Case, org_id: int, alias: str, group: list[ArchiveVendor]) -> Participant:
        notified = _first(v.date_notified for v in group)
        responded = _last(v.date_responded for v in group)
        return Participant(
            case=case,
            kind=Participant.Kind.VENDOR,
            organization_id=org_id,
            alias=alias,
            rm_state=RM.RECEIVED if notified or responded else RM.START,
            v_at=notified,
            first_contact_at=notified,
            vendor_information="\n\n".join(v.information for v in group if v.information.strip()),
            created_at=notified or case.created_at,
        )

    @staticmethod
    def _answer(participant: Participant, group: list[ArchiveVendor], share: bool) -> Answer:
        return Answer(
            participant=participant, share=share, answered_at=_last(v.date_responded for v in group)
        )

    @staticmethod
    def _statuses(
        participant: Participant, vendor: ArchiveVendor, vulnerabilities: list[Vulnerability]
    ) -> list[Status]:
        at = vendor.date_responded or vendor.date_last_updated or participant.created_at
        return [
            Status(
                participant=participant,
                vulnerability=vulnerability,
                status=vendor.status,
                source_word=vendor.status_word[:40],
                on_behalf=True,
                created_at=at,
            )
            for vulnerability in vulnerabilities
        ]

    @staticmethod
    def _statement(participant: Participant, vendor: ArchiveVendor, version: int, share: bool) -> Statement:
        return Statement(
            participant=participant,
            version=version,
            text=vendor.statement.encode("utf-8"),
            references=vendor.references,
            share=share,
            on_behalf=True,
            created_at=vendor.date_responded or vendor.date_last_updated or participant.created_at,
        )

    @staticmethod
    def _addendum(participant: Participant, vendor: ArchiveVendor, statement: Statement | None) -> Addendum:
        return Addendum(
            participant=participant,
            statement=statement,
            text=vendor.addendum,
            created_at=vendor.date_last_updated or participant.created_at,
        )

    @staticmethod
    def _record(
        case: Case, participant: Participant | None, source: Any, kind: str, record_id: str, now: dt.datetime
    ) -> ArchiveRecord:
        return ArchiveRecord(
            case=case,
            participant=participant,
            kind=kind,
            path=source.path[:300],
            sha256=source.sha256,
            raw=source.text,
            record_id=record_id[:64],
            imported_at=now,
        )

    @staticmethod
    def _event(kind: str, case: Case, data: dict[str, Any], now: dt.datetime) -> CaseEvent:
        assert kind in KINDS  # as accord.cases.events.record() insists
        return CaseEvent(case=case, actor=None, by_system=True, kind=kind, data=data, created_at=now)

    # A changed folder ------------------------------------------------------------------------------
    def update(self, folder: Folder, case_id: int, known: dict[str, tuple[str, int, int]]) -> None:
        """Apply a changed report folder to its case (see the module's docstring)."""
        report = folder.report
        assert report is not None
        now = timezone.now()
        case = Case.objects.get(pk=case_id)
        fields = _case_fields(report, folder.vendors, now)
        fields["created_at"] = min(fields["created_at"], case.created_at)
        Case.objects.filter(pk=case.pk).update(**fields, updated_at=now)
        vulns = list(case.vulnerabilities.order_by("seq"))
        have = {v.cve for v in vulns}
        next_seq = max((v.seq for v in vulns), default=0) + 1
        added = [cve for cve in report.cve_ids if cve not in have]
        if added:
            vulns += bulk_create(
                Vulnerability,
                [
                    Vulnerability(case=case, seq=next_seq + i, cve=cve, created_at=now)
                    for i, cve in enumerate(added)
                ],
            )
        changed_paths = [
            s.path
            for s in [report.source, *(v.source for v in folder.vendors)]
            if known.get(s.path, ("",))[0] != s.sha256
        ]
        touched = set(changed_paths)
        aliases = set(case.participants.values_list("alias", flat=True))
        published = report.published
        for org_id, group in self._participant_groups(folder).items():
            if not touched.intersection(v.source.path for v in group):
                continue
            participant = case.participants.filter(organization_id=org_id).first()
            if participant is None:
                index = 0
                while f"Vendor {alias_letters(index)}" in aliases:
                    index += 1
                alias = f"Vendor {alias_letters(index)}"
                aliases.add(alias)
                participant = self._participant(case, org_id, alias, group)
                participant.save()
                self.report.participants += 1
            else:
                fresh = self._participant(case, org_id, participant.alias, group)
                participant.v_at = _first([participant.v_at, fresh.v_at])
                participant.first_contact_at = _first([participant.first_contact_at, fresh.first_contact_at])
                participant.vendor_information = fresh.vendor_information
                participant.save(update_fields=["v_at", "first_contact_at", "vendor_information"])
            answer = self._answer(participant, group, published)
            Answer.objects.update_or_create(
                participant=participant, defaults={"share": answer.share, "answered_at": answer.answered_at}
            )
            for status in self._statuses(participant, group[-1], vulns):
                Status.objects.update_or_create(
                    participant=participant,
                    vulnerability=status.vulnerability,
                    product="",
                    defaults={"status": status.status, "source_word": status.source_word},
                )
            texts = {bytes(t) for t in participant.statements.values_list("text", flat=True)}
            version = participant.statements.aggregate(v=Max("version"))["v"] or 0
            notes = set(participant.addenda.values_list("text", flat=True))
            for vendor in group:
                statement = None
                data = vendor.statement.encode("utf-8")
                if vendor.statement.strip() and data not in texts:
                    version += 1
                    statement = self._statement(participant, vendor, version, published)
                    statement.save()
                    texts.add(data)
                    self.report.statements += 1
                if vendor.addendum.strip() and vendor.addendum not in notes:
                    self._addendum(participant, vendor, statement).save()
                    notes.add(vendor.addendum)
                self._save_record(
                    case, participant, vendor.source, ArchiveRecord.Kind.VENDOR, vendor.record_id, known, now
                )
            self.report.vendor_records += len(group)
        self._save_record(case, None, report.source, ArchiveRecord.Kind.REPORT, "", known, now)
        count = case.participants.count()
        event = _event_data(folder, case, count, len(vulns))
        event["changed"] = changed_paths[:100]
        if report.published:
            outcome = archive_notes.write(archive_notes.from_database([case.pk]), now)
            self.count(outcome)
            if case.pk in outcome.numbers:
                event["note_revision"] = outcome.numbers[case.pk]
        self._event(REIMPORTED, case, event, now).save()
        self.report.updated += 1

    def _save_record(
        self,
        case: Case,
        participant: Participant | None,
        source: Any,
        kind: str,
        record_id: str,
        known: dict[str, tuple[str, int, int]],
        now: dt.datetime,
    ) -> None:
        mine = known.get(source.path)
        if mine is None:
            self._record(case, participant, source, kind, record_id, now).save()
        elif mine[0] != source.sha256:
            ArchiveRecord.objects.filter(pk=mine[2]).update(
                sha256=source.sha256,
                raw=source.text,
                participant=participant,
                record_id=record_id[:64],
                updated_at=now,
            )


def load_archive(
    root: Path,
    *,
    out: Callable[[str], None] | None = None,
    err: Callable[[str], None] | None = None,
    quiet: bool = False,
    batch_size: int = BATCH,
) -> ImportReport:
    """Import the archive at `root` (or its `data` folder). Errors are reported and skipped."""
    loader = _Loader(Path(root), out or (lambda line: None), err or (lambda line: None), quiet)
    return loader.run(batch_size)

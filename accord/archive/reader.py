"""A pure reader of CERT/CC's Vulnerability Data Archive layout (no database, no Django).

    <root>/data/<N>/vu_<ID>/vu_<ID>.json       one report (N = the VU number modulo 100)
    <root>/data/<N>/vu_<ID>/vendor_<X>.json    0..n vendor records of that report

What the archive's README warns about, and what this reader does with it:
- text may be HTML-escaped or hold 8-bit characters: texts are kept exactly as the JSON string
  gives them (never unescaped); a file that is not UTF-8 is read as Windows-1252 and flagged;
- `References`, `CVEIDs`, `CERTAdvisory`, `Keywords` are a string in some records and a list
  in others: both are read as a list of strings;
- blank datetimes are "", others carry a UTC offset; a datetime without one (`DatePublic`
  often) is taken as UTC;
- ids are `VU#` and 1 to 7 digits.
Every problem is a `Problem` naming the file and the field; reading goes on with that field
blank, and only a file without a usable id or that is no JSON object is dropped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_VU_ID = re.compile(r"VU#(\d{1,7})", re.ASCII)
_FOLDER = re.compile(r"vu_(\d{1,7})", re.ASCII)
_CVE = re.compile(r"CVE-\d{4}-\d{4,19}", re.ASCII)
_CVSS2 = re.compile(r"AV:[LAN]/AC:[HML]/Au:[MSN]/C:[NPC]/I:[NPC]/A:[NPC]", re.ASCII)

# The archive's status words, mapped to Accord's vocabulary (process.md "Vendor answers").
STATUS_WORDS = {
    "unknown": "unknown",
    "vulnerable": "affected",
    "affected": "affected",
    "not vulnerable": "not_affected",
    "not affected": "not_affected",
}


@dataclass(frozen=True)
class Problem:
    path: str  # relative to the archive root, "/"-separated
    field: str  # the JSON field, or "(file)" / "(json)" / "(encoding)" for the file as a whole
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.field}: {self.message}"


@dataclass(frozen=True)
class SourceFile:
    path: str
    sha256: str
    text: str  # the file's text, exactly (decoded as UTF-8, or Windows-1252 when it is not)


@dataclass
class ArchiveReport:
    source: SourceFile
    number: int
    title: str = ""
    overview: str = ""
    description: str = ""
    impact: str = ""
    resolution: str = ""
    workarounds: str = ""
    thanks: str = ""
    author: str = ""
    preamble: str = ""  # SystemsAffectedPreamble: a preamble to the list of vendors
    references: list[str] = field(default_factory=list)
    # "CERT Advisory CA-2002-03", "US-CERT Technical Alert TA09-187A"
    advisories: list[str] = field(default_factory=list)
    cve_ids: list[str] = field(default_factory=list)
    cvss2_vector: str = ""  # a complete CVSS 2.0 base vector, "" when blank or partial ("AV:--/…")
    cvss2_score: float | None = None
    date_created: dt.datetime | None = None
    date_public: dt.datetime | None = None
    date_first_published: dt.datetime | None = None
    date_last_updated: dt.datetime | None = None

    @property
    def published(self) -> bool:
        return self.date_first_published is not None

    def dates(self) -> list[dt.datetime]:
        found = (self.date_created, self.date_public, self.date_first_published, self.date_last_updated)
        return [d for d in found if d is not None]


@dataclass
class ArchiveVendor:
    source: SourceFile
    number: int  # the report this record belongs to
    vendor: str
    record_id: str = ""
    status_word: str = ""  # the archive's own word, as given ("" when missing or bad)
    status: str = "unknown"  # Accord's word
    statement: str = ""  # verbatim
    addendum: str = ""
    information: str = ""
    references: str = ""
    date_notified: dt.datetime | None = None
    date_responded: dt.datetime | None = None
    date_last_updated: dt.datetime | None = None


@dataclass
class Folder:
    """One report folder: its report (None when unreadable), its vendor records, its problems."""

    path: str
    report: ArchiveReport | None = None
    vendors: list[ArchiveVendor] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def _decode(path: str, data: bytes, problems: list[Problem]) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        problems.append(
            Problem(path, "(encoding)", f"not UTF-8 ({exc.reason} at byte {exc.start}); read as Windows-1252")
        )
        return data.decode("cp1252", errors="replace")


def _load(path: str, data: bytes, problems: list[Problem]) -> tuple[SourceFile, dict[str, Any] | None]:
    text = _decode(path, data, problems)
    source = SourceFile(path=path, sha256=hashlib.sha256(data).hexdigest(), text=text)
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as exc:
        problems.append(Problem(path, "(json)", f"not JSON: {exc}"[:300]))
        return source, None
    if not isinstance(value, dict):
        problems.append(Problem(path, "(json)", f"not a JSON object but {type(value).__name__}"))
        return source, None
    return source, value


def _utf8_safe(path: str, name: str, text: str, problems: list[Problem]) -> str:
    """A text that UTF-8 can store: JSON may hold lone surrogates ("\\ud800"), which it cannot."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        problems.append(Problem(path, name, "holds an unpaired surrogate; replaced by U+FFFD"))
        return text.encode("utf-8", errors="replace").decode("utf-8")
    if "\x00" in text:
        problems.append(Problem(path, name, "holds a NUL character; removed"))
        return text.replace("\x00", "")
    return text


def _text(doc: dict[str, Any], name: str, path: str, problems: list[Problem]) -> str:
    value = doc.get(name, "")
    if value is None:
        return ""
    if isinstance(value, str):
        return _utf8_safe(path, name, value, problems)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        # A field that is a list in some records: its lines, in order.
        return _utf8_safe(path, name, "\n".join(value), problems)
    problems.append(Problem(path, name, f"expected text, found {type(value).__name__}"))
    return ""


def _strings(doc: dict[str, Any], name: str, path: str, problems: list[Problem]) -> list[str]:
    """A string-or-list field as a list of its non-blank strings."""
    value = doc.get(name, "")
    if value is None or value == "":
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        problems.append(
            Problem(path, name, f"expected text or a list of texts, found {type(value).__name__}")
        )
        return []
    out = []
    for index, item in enumerate(value):
        if not isinstance(item, str):
            problems.append(Problem(path, f"{name}[{index}]", f"expected text, found {type(item).__name__}"))
            continue
        item = _utf8_safe(path, f"{name}[{index}]", item, problems).strip()
        if item:
            out.append(item)
    return out


def parse_datetime(value: str) -> dt.datetime:
    """`1998-07-08T11:09:47-04:00` (aware) or `2002-02-12T00:00:00` (taken as UTC). ValueError if bad."""
    parsed = dt.datetime.fromisoformat(value.strip())
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def _datetime(doc: dict[str, Any], name: str, path: str, problems: list[Problem]) -> dt.datetime | None:
    value = doc.get(name, "")
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        problems.append(Problem(path, name, f"expected a datetime text, found {type(value).__name__}"))
        return None
    try:
        return parse_datetime(value)
    except (ValueError, OverflowError):
        problems.append(Problem(path, name, f"not a datetime: {value[:60]!r}"))
        return None


def _number(doc: dict[str, Any], path: str, problems: list[Problem]) -> int | None:
    value = doc.get("ID")
    if value is None:
        problems.append(Problem(path, "ID", "missing"))
        return None
    if not isinstance(value, str):
        problems.append(Problem(path, "ID", f"expected text like VU#123456, found {type(value).__name__}"))
        return None
    match = _VU_ID.fullmatch(value.strip())
    if not match:
        problems.append(Problem(path, "ID", f"not an id like VU#123456: {value[:40]!r}"))
        return None
    number = int(match.group(1))
    if number == 0:
        problems.append(Problem(path, "ID", "VU#0 is no case id"))
        return None
    return number


def _cvss2(doc: dict[str, Any], path: str, problems: list[Problem]) -> tuple[str, float | None]:
    """The report's CVSS 2.0 base vector and score, when it was scored ("--" parts: it was not)."""
    vector = " ".join(_text(doc, "CVSS_BaseVector", path, problems).split())
    if not _CVSS2.fullmatch(vector):
        return "", None
    value = doc.get("CVSS_BaseScore")
    score: float | None = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        score = float(value)
    elif isinstance(value, str):
        try:
            score = float(value)
        except ValueError:
            score = None
    elif value is not None:
        problems.append(Problem(path, "CVSS_BaseScore", f"expected a number, found {type(value).__name__}"))
    if score is not None and not 0 <= score <= 10:
        problems.append(Problem(path, "CVSS_BaseScore", f"not a CVSS score: {score}"))
        score = None
    return vector, score


def read_report(path: str, data: bytes, problems: list[Problem]) -> ArchiveReport | None:
    """One `vu_<ID>.json`. None when it has no usable id or is no JSON object."""
    source, doc = _load(path, data, problems)
    if doc is None:
        return None
    number = _number(doc, path, problems)
    if number is None:
        return None
    cves: list[str] = []
    for item in _strings(doc, "CVEIDs", path, problems):
        found = _CVE.findall(item)
        if not found:
            problems.append(Problem(path, "CVEIDs", f"no CVE id in {item[:40]!r}"))
        cves.extend(c for c in found if c not in cves)
    vector, score = _cvss2(doc, path, problems)
    return ArchiveReport(
        source=source,
        number=number,
        title=_text(doc, "Title", path, problems),
        overview=_text(doc, "Overview", path, problems),
        description=_text(doc, "Description", path, problems),
        impact=_text(doc, "Impact", path, problems),
        resolution=_text(doc, "Resolution", path, problems),
        workarounds=_text(doc, "Workarounds", path, problems),
        thanks=_text(doc, "ThanksAndCredit", path, problems),
        author=_text(doc, "Author", path, problems),
        preamble=_text(doc, "SystemsAffectedPreamble", path, problems),
        references=_strings(doc, "References", path, problems),
        advisories=[f"CERT Advisory {a}" for a in _strings(doc, "CERTAdvisory", path, problems)]
        + [f"US-CERT Technical Alert {a}" for a in _strings(doc, "US-CERTTechnicalAlert", path, problems)],
        cve_ids=cves,
        cvss2_vector=vector,
        cvss2_score=score,
        date_created=_datetime(doc, "DateCreated", path, problems),
        date_public=_datetime(doc, "DatePublic", path, problems),
        date_first_published=_datetime(doc, "DateFirstPublished", path, problems),
        date_last_updated=_datetime(doc, "DateLastUpdated", path, problems),
    )


def read_vendor(path: str, data: bytes, problems: list[Problem]) -> ArchiveVendor | None:
    """One `vendor_<X>.json`. None when it has no usable id or vendor name."""
    source, doc = _load(path, data, problems)
    if doc is None:
        return None
    number = _number(doc, path, problems)
    vendor = _text(doc, "Vendor", path, problems)
    if "Vendor" in doc and isinstance(doc["Vendor"], str) and not vendor.strip():
        problems.append(Problem(path, "Vendor", "blank"))
    elif "Vendor" not in doc:
        problems.append(Problem(path, "Vendor", "missing"))
    if number is None or not vendor.strip():
        return None
    word = _text(doc, "Status", path, problems)
    status = STATUS_WORDS.get(" ".join(word.split()).casefold())
    if status is None:
        if word:
            problems.append(
                Problem(path, "Status", f"not an archive status word: {word[:40]!r}; read as unknown")
            )
        status = "unknown"
    return ArchiveVendor(
        source=source,
        number=number,
        vendor=vendor,
        record_id=_text(doc, "VendorRecordID", path, problems),
        status_word=word,
        status=status,
        statement=_text(doc, "VendorStatement", path, problems),
        addendum=_text(doc, "Addendum", path, problems),
        information=_text(doc, "VendorInformation", path, problems),
        references=_text(doc, "VendorReferences", path, problems),
        date_notified=_datetime(doc, "DateNotified", path, problems),
        date_responded=_datetime(doc, "DateResponded", path, problems),
        date_last_updated=_datetime(doc, "DateLastUpdated", path, problems),
    )


def _bucket_key(name: str) -> tuple[int, str]:
    return (int(name), name) if name.isascii() and name.isdigit() else (1 << 30, name)


def iter_folders(root: Path) -> Iterator[Path]:
    """Every report folder under `root` (the archive, or its `data` folder), in a stable order.

    One bucket is listed at a time, so memory stays small however large the archive.
    """
    data = root / "data" if (root / "data").is_dir() else root
    buckets = sorted((e.name for e in os.scandir(data) if e.is_dir()), key=_bucket_key)
    for bucket in buckets:
        folders = sorted(
            (e.name for e in os.scandir(data / bucket) if e.is_dir() and e.name.startswith("vu_")),
            key=lambda n: (len(n), n),
        )
        for name in folders:
            yield data / bucket / name


def read_folder(folder: Path, root: Path) -> Folder:
    """One report folder, its files read in name order. Never raises for what a file holds."""

    def rel(p: Path) -> str:
        try:
            return p.relative_to(root).as_posix()
        except ValueError:
            return p.as_posix()

    out = Folder(path=rel(folder))
    match = _FOLDER.fullmatch(folder.name)
    try:
        names = sorted(e.name for e in os.scandir(folder) if e.is_file() and e.name.endswith(".json"))
    except OSError as exc:
        out.problems.append(Problem(out.path, "(folder)", f"cannot be listed: {exc.strerror}"))
        return out
    report_name = f"{folder.name}.json"
    if report_name not in names:
        out.problems.append(Problem(out.path, "(file)", f"no {report_name}"))
        return out

    def read(name: str) -> bytes | None:
        try:
            return (folder / name).read_bytes()
        except OSError as exc:
            out.problems.append(Problem(rel(folder / name), "(file)", f"cannot be read: {exc.strerror}"))
            return None

    data = read(report_name)
    if data is not None:
        out.report = read_report(rel(folder / report_name), data, out.problems)
    if out.report is not None and match and int(match.group(1)) != out.report.number:
        out.problems.append(
            Problem(
                out.report.source.path, "ID", f"VU#{out.report.number} is not this folder's {folder.name}"
            )
        )
        out.report = None
    if out.report is None:
        return out  # vendor records without their report have no case to join
    for name in names:
        if not name.startswith("vendor_"):
            continue
        data = read(name)
        if data is None:
            continue
        path = rel(folder / name)
        vendor = read_vendor(path, data, out.problems)
        if vendor is None:
            continue
        if vendor.number != out.report.number:
            out.problems.append(Problem(path, "ID", f"VU#{vendor.number} is not this folder's report"))
            continue
        out.vendors.append(vendor)
    return out

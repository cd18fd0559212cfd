"""Import and export of the vendor directory as CSV and JSON.

Columns (CSV) and keys (JSON): name, website, security_txt_url, phones, notes,
require_encryption, contacts, and in JSON only, keys.

- CSV `contacts` is "email:role;email:role" (role "to" or "cc", "to" when left out).
  JSON `contacts` is a list of {"email", "role", "name"} objects (or "email:role" strings).
- A CSV cell that starts with =, +, -, @, a tab, a carriage return or ' is written with a
  leading ' so that spreadsheets do not run it as a formula; reading removes exactly that '.
- JSON `keys` is a list of armoured OpenPGP public keys. CSV carries no keys: a key does
  not fit in a spreadsheet cell; use JSON to move keys.
- The JSON document is {"format": "accord-vendor-directory", "version": 1, "vendors": [...]};
  a bare list of vendors is accepted too.

An import is all or nothing. Every row is checked first; if any is wrong, every problem
is reported as "FILE: row N, field F: message" (CSV rows count the header as row 1) or
"FILE: item N, field F: message" (JSON items count from 0, as in the array), and nothing
is written. Organisations are matched by exact name, case-insensitively: a match is
updated, any other name creates a vendor. A column that is present sets that value (an
empty cell empties it); listed contacts become the organisation's active contacts;
listed keys are added or refreshed, and an import never unpins a key.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Prefetch
from django.db.models.functions import Lower
from django.utils import timezone

from accord.accounts.models import Organization
from accord.lib.errors import InvalidInput, RuleViolation
from accord.lib.spreadsheet import escape_cell, unescape_cell
from accord.lib.time import rfc3339
from accord.vendors import actions
from accord.vendors.actions import ImportResult, VendorRecord
from accord.vendors.models import ChangeStatus, Contact, PublicKey, VendorProfile

FORMAT = "accord-vendor-directory"
VERSION = 1
CSV_COLUMNS = ("name", "website", "security_txt_url", "phones", "notes", "require_encryption", "contacts")
JSON_KEYS = (*CSV_COLUMNS, "keys")
PROFILE_COLUMNS = ("website", "security_txt_url", "phones", "notes", "require_encryption")
MAX_CONTACTS = 200
MAX_KEYS = 20
MAX_ROWS = 100_000
csv.field_size_limit(1024 * 1024)

Progress = Callable[[str, int, int], None]  # (stage "checked" | "imported", done, total)


@dataclass(frozen=True)
class Problem:
    where: str  # "row 3", "item 0" or "" for the whole file
    field: str  # "" when the problem is not one field's
    message: str

    def api_field(self) -> str:
        """The field as the API names it: "vendors[3].contacts", or the top-level key."""
        if self.where.startswith("item "):
            base = f"vendors[{self.where[5:]}]"
            return f"{base}.{self.field}" if self.field else base
        if self.where.startswith("row "):
            return f"{self.where}.{self.field}" if self.field else self.where
        return self.field or "vendors"

    def line(self, filename: str) -> str:
        parts = [p for p in (self.where, f"field {self.field}" if self.field else "") if p]
        return f"{filename}: {', '.join(parts)}: {self.message}" if parts else f"{filename}: {self.message}"


class DirectoryImportError(Exception):
    """The import was refused; `lines()` names every problem. Nothing was written."""

    def __init__(self, filename: str, problems: list[Problem]):
        self.filename = filename
        self.problems = problems
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        return [problem.line(self.filename) for problem in self.problems]

    @property
    def summary(self) -> str:
        count = len(self.problems)
        return f"{count} problem{'s' if count != 1 else ''} in {self.filename}; nothing was imported."


# --- Reading -------------------------------------------------------------------------------------------


def _text(data: str | bytes, problems: list[Problem]) -> str | None:
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.append(Problem("", "", f"the file is not UTF-8 text (byte {exc.start} cannot be read)"))
        return None


def read_csv(data: str | bytes) -> tuple[list[tuple[str, dict[str, Any]]], list[Problem]]:
    """Rows as (where, {column: value}) and the problems of the file's shape."""
    problems: list[Problem] = []
    text = _text(data, problems)
    if text is None:
        return [], problems
    rows: list[tuple[str, dict[str, Any]]] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    number = 0
    header: list[str] = []
    try:
        for record in reader:
            number += 1
            if number == 1:
                header = [column.strip().lower() for column in record]
                problems += _check_header(header)
                if problems:
                    return [], problems
                continue
            if not record or all(not value.strip() for value in record):
                continue  # blank lines are allowed
            if len(record) != len(header):
                problems.append(
                    Problem(f"row {number}", "", f"has {len(record)} fields; the header has {len(header)}")
                )
                continue
            if len(rows) >= MAX_ROWS:
                problems.append(Problem(f"row {number}", "", f"an import has at most {MAX_ROWS} rows"))
                break
            cells = (unescape_cell(value) for value in record)  # undo export_csv's escaping
            rows.append((f"row {number}", dict(zip(header, cells, strict=True))))
    except csv.Error as exc:
        problems.append(Problem(f"row {number + 1}", "", f"is not valid CSV ({exc})"))
    if number == 0:
        problems.append(Problem("", "", "the file is empty: its first row must name the columns (name, …)"))
    return rows, problems


def _check_header(header: list[str]) -> list[Problem]:
    problems = []
    seen: set[str] = set()
    for column in header:
        if column == "keys":
            problems.append(Problem("row 1", column, "keys are imported from JSON only, not CSV"))
        elif column not in CSV_COLUMNS:
            problems.append(
                Problem(
                    "row 1", column or "(empty)", f"unknown column; the columns are {', '.join(CSV_COLUMNS)}"
                )
            )
        elif column in seen:
            problems.append(Problem("row 1", column, "this column appears twice"))
        seen.add(column)
    if "name" not in header:
        problems.append(Problem("row 1", "name", "the header must have a name column"))
    return problems


def read_json(data: str | bytes | Any) -> tuple[list[tuple[str, dict[str, Any]]], list[Problem]]:
    """Items as (where, {key: value}); `data` may be text, bytes or an already parsed document."""
    problems: list[Problem] = []
    if isinstance(data, str | bytes):
        text = _text(data, problems)
        if text is None:
            return [], problems
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            return [], [Problem("", "", f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})")]
        except RecursionError:
            return [], [Problem("", "", "not valid JSON: nested too deeply")]
    else:
        document = data
    if isinstance(document, dict):
        extra = sorted(set(document) - {"format", "version", "exported_at", "vendors"})
        problems += [Problem("", key, "unknown key at the top level") for key in extra]
        if document.get("format", FORMAT) != FORMAT:
            problems.append(Problem("", "format", f"must be {FORMAT!r}"))
        if document.get("version", VERSION) != VERSION:
            problems.append(Problem("", "version", f"this Accord reads version {VERSION}"))
        vendors = document.get("vendors")
    else:
        vendors = document
    if not isinstance(vendors, list):
        problems.append(Problem("", "vendors", "must be a list of vendors"))
        return [], problems
    if len(vendors) > MAX_ROWS:
        problems.append(Problem("", "vendors", f"an import has at most {MAX_ROWS} vendors"))
        return [], problems
    items = []
    for index, item in enumerate(vendors):
        where = f"item {index}"
        if not isinstance(item, dict):
            problems.append(Problem(where, "", "must be an object with a name"))
            continue
        unknown = sorted(str(key) for key in item if key not in JSON_KEYS)
        problems += [
            Problem(where, key, f"unknown key; the keys are {', '.join(JSON_KEYS)}") for key in unknown
        ]
        items.append((where, {k: v for k, v in item.items() if k in JSON_KEYS}))
    return items, problems


# --- Checking -----------------------------------------------------------------------------------------


def _scalar(value: Any, field: str) -> Any:
    if isinstance(value, dict | list):
        raise InvalidInput(field, "must be a single value, not a list or an object")
    return value


def _contacts(value: Any, where: str, problems: list[Problem]) -> list[tuple[str, str, str]]:
    entries: list[Any]
    if value is None:
        entries = []
    elif isinstance(value, str):
        entries = [part for part in value.split(";") if part.strip()]
    elif isinstance(value, list):
        entries = value
    else:
        problems.append(Problem(where, "contacts", "must be a list of contacts or 'email:role;email:role'"))
        return []
    if len(entries) > MAX_CONTACTS:
        problems.append(Problem(where, "contacts", f"at most {MAX_CONTACTS} contacts per vendor"))
        return []
    contacts: list[tuple[str, str, str]] = []
    seen: set[str] = set()
    for position, entry in enumerate(entries):
        label = "contacts" if isinstance(value, str) else f"contacts[{position}]"
        try:
            email: Any
            role: Any
            name: Any
            if isinstance(entry, str):
                email, _, role = entry.strip().rpartition(":") if ":" in entry else (entry, "", "to")
                name = ""
            elif isinstance(entry, dict):
                extra = sorted(set(entry) - {"email", "role", "name"})
                if extra:
                    raise InvalidInput(label, f"unknown key {extra[0]!r} (a contact has email, role, name)")
                email, role, name = entry.get("email"), entry.get("role") or "to", entry.get("name") or ""
                if not isinstance(email, str) or not isinstance(role, str) or not isinstance(name, str):
                    raise InvalidInput(label, "email, role and name are text")
            else:
                raise InvalidInput(label, "a contact is an object or an 'email:role' text")
            email = actions.clean_email(email)
            contact = (email, actions.clean_role(role or "to"), actions.clean_name(name))
        except InvalidInput as exc:
            problems.append(
                Problem(where, label, f"{entry!r}: {exc.message}" if isinstance(entry, str) else exc.message)
            )
            continue
        if email in seen:
            problems.append(Problem(where, label, f"{email} is listed twice"))
            continue
        seen.add(email)
        contacts.append(contact)
    return contacts


def _keys(value: Any, where: str, problems: list[Problem]) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append(Problem(where, "keys", "must be a list of armoured OpenPGP public keys"))
        return []
    if len(value) > MAX_KEYS:
        problems.append(Problem(where, "keys", f"at most {MAX_KEYS} keys per vendor"))
        return []
    infos = []
    for position, armored in enumerate(value):
        try:
            infos.append(actions.inspect_public_key(armored))
        except InvalidInput as exc:
            problems.append(Problem(where, f"keys[{position}]", exc.message))
    return infos


def _storable(text: str) -> bool:
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _existing(names: Iterable[str]) -> dict[str, Organization]:
    wanted = sorted({name.lower() for name in names})
    found: dict[str, Organization] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        for org in Organization.objects.annotate(lowered=Lower("name")).filter(lowered__in=chunk):
            found[org.name.lower()] = org
    return found


def check(
    rows: list[tuple[str, dict[str, Any]]], problems: list[Problem], progress: Progress | None = None
) -> list[VendorRecord]:
    """Turn rows into records, adding every problem found to `problems`."""
    records: list[VendorRecord] = []
    first_seen: dict[str, str] = {}
    names = [str(row.get("name") or "").strip() for _, row in rows if isinstance(row.get("name"), str)]
    existing = _existing(name for name in names if name and _storable(name))
    total = len(rows)
    for index, (where, row) in enumerate(rows, start=1):
        raw_name = row.get("name")
        name = raw_name.strip() if isinstance(raw_name, str) else ""
        if not name:
            problems.append(Problem(where, "name", "every vendor needs a name"))
        elif not _storable(name):
            problems.append(Problem(where, "name", "a name cannot contain NUL characters or lone surrogates"))
            name = ""
        elif len(name) > 200:
            problems.append(Problem(where, "name", "at most 200 characters"))
            name = ""
        elif name.lower() in first_seen:
            problems.append(
                Problem(where, "name", f"{name!r} appears twice (first at {first_seen[name.lower()]})")
            )
            name = ""
        else:
            first_seen[name.lower()] = where
        org = existing.get(name.lower()) if name else None
        if org is not None and org.kind != Organization.Kind.VENDOR:
            problems.append(
                Problem(where, "name", f"{org.name!r} is an existing {org.kind} organisation, not a vendor")
            )
        profile: dict[str, Any] = {}
        for column in PROFILE_COLUMNS:
            if column not in row:
                continue
            value = row[column]
            try:
                cleaned = actions.clean_profile({column: _scalar(value, column)})
            except InvalidInput as exc:
                problems.append(Problem(where, column, exc.message))
            else:
                profile.update(cleaned)
        contacts = _contacts(row["contacts"], where, problems) if "contacts" in row else None
        keys = _keys(row["keys"], where, problems) if "keys" in row else None
        if name:
            records.append(
                VendorRecord(
                    name=name, where=where, profile=profile, contacts=contacts, keys=keys, existing=org
                )
            )
        if progress is not None:
            progress("checked", index, total)
    return records


# --- Importing --------------------------------------------------------------------------------------------


def import_directory(
    data: str | bytes | Any,
    *,
    filename: str,
    fmt: str,
    by: Any,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportResult:
    """Check and import a CSV or JSON directory, all or nothing. Raises DirectoryImportError."""
    if fmt not in ("csv", "json"):
        raise DirectoryImportError(filename, [Problem("", "", "the format is csv or json")])
    rows, problems = read_csv(data) if fmt == "csv" else read_json(data)
    records = check(rows, problems, progress)
    if problems:
        raise DirectoryImportError(filename, problems)
    if dry_run:
        created = sum(1 for record in records if record.existing is None)
        return ImportResult(created=created, updated=len(records) - created, dry_run=True)

    def step(done: int, total: int) -> None:
        if progress is not None:
            progress("imported", done, total)

    try:
        with transaction.atomic():
            return actions.import_vendors(records, by=by, progress=step)
    except actions.ImportRowError as exc:  # found only while writing; everything was undone
        raise DirectoryImportError(filename, [Problem(exc.where, exc.field, exc.message)])
    except (InvalidInput, RuleViolation) as exc:
        raise DirectoryImportError(filename, [Problem("", getattr(exc, "field", ""), exc.message)])


def format_of(filename: str, default: str = "") -> str:
    lowered = filename.lower()
    if lowered.endswith(".csv"):
        return "csv"
    if lowered.endswith(".json"):
        return "json"
    return default


# --- Exporting ----------------------------------------------------------------------------------------


def export_records() -> list[dict[str, Any]]:
    """Every vendor with its active contacts and keys, in name order (three queries)."""
    orgs = (
        Organization.objects.filter(kind=Organization.Kind.VENDOR)
        .select_related("vendor_profile")
        .prefetch_related(
            Prefetch(
                "vendor_contacts",
                queryset=Contact.objects.filter(status=ChangeStatus.ACTIVE).order_by("-role", "email", "id"),
                to_attr="export_contacts",
            ),
            Prefetch(
                "vendor_keys",
                queryset=PublicKey.objects.filter(status=ChangeStatus.ACTIVE).order_by("created_at", "id"),
                to_attr="export_keys",
            ),
        )
        .order_by("name", "id")
    )
    records = []
    for org in orgs:
        try:
            profile = org.vendor_profile
        except VendorProfile.DoesNotExist:
            profile = VendorProfile(organization=org)
        records.append(
            {
                "name": org.name,
                "website": profile.website,
                "security_txt_url": profile.security_txt_url,
                "phones": profile.phones,
                "notes": profile.notes,
                "require_encryption": profile.require_encryption,
                "contacts": [{"email": c.email, "role": c.role, "name": c.name} for c in org.export_contacts],
                "keys": [key.armored for key in org.export_keys],
            }
        )
    return records


def export_json(records: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": rfc3339(timezone.now()),
        "vendors": export_records() if records is None else records,
    }


def export_csv(records: list[dict[str, Any]] | None = None) -> str:
    """CSV of the directory. Keys are left out: CSV carries no keys (use JSON for them).

    Every cell is escaped against formula injection; read_csv undoes it.
    """
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for record in export_records() if records is None else records:
        writer.writerow(
            escape_cell(cell)
            for cell in [
                record["name"],
                record["website"],
                record["security_txt_url"],
                record["phones"],
                record["notes"],
                "true" if record["require_encryption"] else "false",
                ";".join(f"{c['email']}:{c['role']}" for c in record["contacts"]),
            ]
        )
    return out.getvalue()

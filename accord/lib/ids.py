"""Identifiers: database ids from forms and query strings, case and report ids people type."""

from __future__ import annotations

import re
import secrets

from django.conf import settings

# "VU#123456", "VU #123456", "vu#123456", "VU123456", "[VU#123456]", inside "Re: Fwd: …".
# The whole run of digits is taken: (?!\d) stops "VU#1234567" from matching as 123456.
# re.ASCII: only 0-9 are digits, so no other script's digits join (or end) a run.
_CASE_IN_TEXT = re.compile(r"(?<![A-Za-z0-9])VU\s*#?\s*(\d{1,7})(?!\d)", re.IGNORECASE | re.ASCII)
_CASE_IN_PATH = re.compile(r"^(?:VU\s*#?\s*)?(\d{1,7})$", re.IGNORECASE | re.ASCII)
_REPORT_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I
# "REPORT-2026-ABCD2345" anywhere in free text (a mail subject), in any case.
_REPORT_IN_TEXT = re.compile(
    rf"(?<![A-Za-z0-9])REPORT-(\d{{4}})-([{_REPORT_ALPHABET}]{{8}})(?![A-Za-z0-9])", re.IGNORECASE | re.ASCII
)
_ID = re.compile(r"[0-9]{1,16}")

# The largest database id Accord accepts from outside: beyond any row it will ever have, within
# every backend's integer column and exact in JavaScript clients.
MAX_ID = 2**53


def parse_id(value: object) -> int | None:
    """A database id from a form, query string or path, or None.

    ASCII digits only: `str.isdigit()` passes "²" (which int() refuses) and int() reads "٣"
    as 3. Ids outside 1..MAX_ID are None, so no lookup sends SQLite an integer it cannot hold.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _ID.fullmatch(value):
        number = int(value)
    else:
        return None
    return number if 0 < number <= MAX_ID else None


def parse_ids(values: list[str]) -> list[int]:
    """The valid ids among `values` (a form's getlist), in order; the others are dropped."""
    return [number for number in map(parse_id, values) if number is not None]


def case_label(number: int) -> str:
    return f"{settings.CASE_PREFIX}{number}"


def find_case_number(text: str) -> int | None:
    """The first case id in free text such as a mail subject, or None."""
    match = _CASE_IN_TEXT.search(text or "")
    return int(match.group(1)) if match else None


def find_report_id(text: str) -> str | None:
    """The first report id in free text such as a mail subject, upper-cased, or None."""
    match = _REPORT_IN_TEXT.search(text or "")
    return f"REPORT-{match.group(1)}-{match.group(2).upper()}" if match else None


def parse_case_ref(value: str) -> int | None:
    """A `{case}` path or body value: `VU123456`, `VU#123456` (decoded %23) or `123456`."""
    match = _CASE_IN_PATH.match((value or "").strip())
    return int(match.group(1)) if match else None


def parse_vulnerability_ref(value: str) -> tuple[int, int] | None:
    """`VU#123456.2` -> (123456, 2)."""
    match = re.match(r"^\s*(?:VU\s*#?\s*)?(\d{1,7})\.(\d{1,4})\s*$", value or "", re.IGNORECASE | re.ASCII)
    return (int(match.group(1)), int(match.group(2))) if match else None


def new_case_number() -> int:
    return 100000 + secrets.randbelow(900000)


def new_report_id(year: int) -> str:
    return f"REPORT-{year}-" + "".join(secrets.choice(_REPORT_ALPHABET) for _ in range(8))

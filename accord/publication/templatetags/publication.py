"""The note partial's helpers: the vendor table as rows, from a snapshot alone (no queries)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template

from accord.lib.ids import find_case_number
from accord.publication.public import parse_instant

register = template.Library()

# The public words of each status. "unknown" is a vendor notified that never answered.
STATUS_WORDS = {
    "affected": "Affected",
    "not_affected": "Not affected",
    "fixed": "Fixed",
    "under_investigation": "Under investigation",
    "unknown": "No response",
}


@register.filter
def status_word(value: str) -> str:
    return STATUS_WORDS.get(value, value)


@register.filter
def as_instant(value: str | None) -> dt.datetime | None:
    """A snapshot's ISO 8601 string as a datetime, for the `instant` tag."""
    return parse_instant(value)


@register.simple_tag
def note_number(snapshot: dict[str, Any]) -> int | None:
    """The case number of a snapshot ("VU#854306" -> 854306), for its links."""
    return find_case_number(snapshot.get("case", ""))


@register.simple_tag
def vendor_rows(snapshot: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per vendor: its statuses grouped by vulnerability, in the snapshot's order."""
    ids = [v["id"] for v in snapshot.get("vulnerabilities", [])]
    rows = []
    for vendor in snapshot.get("vendors", []):
        by_vulnerability: dict[str, list[dict[str, Any]]] = {i: [] for i in ids}
        for status in vendor.get("statuses", []):
            by_vulnerability.setdefault(status.get("vulnerability", ""), []).append(status)
        cells = [by_vulnerability[i] for i in ids]
        silent = all(s.get("status") == "unknown" for s in vendor.get("statuses", []))
        rows.append({"vendor": vendor, "cells": cells, "no_response": silent and not vendor.get("statement")})
    return rows

"""Cells of CSV files that people open in spreadsheets: no formula injection.

A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (and some read a leading
tab or carriage return the same way) as a formula, so a vendor-controlled value such as
`=HYPERLINK(...)` would run on an analyst's machine. OWASP's advice is to prefix such a
cell with a single quote. A cell that already starts with a quote gets one too, so
`unescape_cell` can undo exactly what `escape_cell` did: export -> import round-trips.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_QUOTE = "'"


def escape_cell(value: str) -> str:
    if value.startswith((*FORMULA_STARTS, _QUOTE)):
        return _QUOTE + value
    return value


def unescape_cell(value: str) -> str:
    if value.startswith(_QUOTE) and value[1:2] in (*FORMULA_STARTS, _QUOTE):
        return value[1:]
    return value

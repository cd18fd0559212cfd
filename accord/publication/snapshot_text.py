"""The words of a published revision, flattened for full-text search (`Revision.search_text`).

Only what the snapshot holds, so search finds only what the public may read: the case id, the
title, the sections, the vulnerabilities (ids, CVE, CWE, titles, descriptions, products), and
each vendor's public name, status words, statement text, addendum and information. Dates,
hashes and keys are left out: nobody searches for them and they would only add noise.
"""

from __future__ import annotations

from collections.abc import Iterator

from accord.publication.snapshot_types import Snapshot


def _parts(snapshot: Snapshot) -> Iterator[str]:
    yield snapshot["case"]
    yield snapshot["title"]
    sections = snapshot["sections"]
    yield sections["overview"]
    yield sections["description"]
    yield sections["impact"]
    yield sections["solution"]
    yield sections["workarounds"]
    yield sections["references"]
    yield sections["credit"]
    for vulnerability in snapshot["vulnerabilities"]:
        yield vulnerability["id"]
        yield vulnerability["cve"]
        yield vulnerability["cwe"]
        yield vulnerability["title"]
        yield vulnerability["description"]
        yield from vulnerability["aliases"]
        for product in vulnerability["products"]:
            yield product["name"]
    for vendor in snapshot["vendors"]:
        yield vendor_line(vendor["name"])
        words = dict.fromkeys(s["source_word"] or s["status"] for s in vendor["statuses"])
        yield from words
        statement = vendor["statement"]
        if statement is not None:
            yield statement["text"]
        yield vendor["addendum"]
        yield vendor["information"]


def vendor_line(name: str) -> str:
    """The line that names a vendor publicly, "vendor: <name>" in lower case with single spaces:
    the public list's vendor filter looks for it between line breaks (`vendor_marker`)."""
    return f"vendor: {' '.join(name.split()).lower()}"


def vendor_marker(name: str) -> str:
    return f"\n{vendor_line(name)}\n"


def search_text(snapshot: Snapshot) -> str:
    """One text, one part per line, blank parts left out; it starts and ends with a line break, so
    that every vendor line sits between two."""
    return "\n" + "\n".join(part.strip() for part in _parts(snapshot) if part and part.strip()) + "\n"

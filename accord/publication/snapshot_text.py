"""The words of a snapshot, flattened for full-text search (Revision.search_text)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        if value:
            yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def search_text(snapshot: Mapping[str, Any]) -> str:
    """Every text of the snapshot (title, sections, vulnerabilities, vendors, statements), one
    line each; dates, hashes and keys are left out as they are no words anyone searches for."""
    parts: list[str] = [snapshot.get("case", ""), snapshot.get("title", "")]
    parts += list(_strings(snapshot.get("sections", {})))
    for v in snapshot.get("vulnerabilities", []):
        parts += [v.get("id", ""), v.get("title", ""), v.get("description", ""), v.get("cve", "")]
        parts += [v.get("cwe", ""), *v.get("aliases", [])]
        parts += [p.get("name", "") for p in v.get("products", [])]
    for vendor in snapshot.get("vendors", []):
        parts += [vendor.get("name", ""), vendor.get("addendum", ""), vendor.get("information", "")]
        statement = vendor.get("statement") or {}
        parts.append(statement.get("text", ""))
        parts += [s.get("product", "") for s in vendor.get("statuses", [])]
    return "\n".join(" ".join(p.split()) for p in parts if p and p.strip())

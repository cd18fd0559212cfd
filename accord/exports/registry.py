"""The export formats: their names, builders, media types and file names, and the bytes of a document.

`document(fmt, published)` is what every surface calls (the CLI, the public URLs, the API and the
CSAF provider directory), so they all serve the same bytes for the same revision.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from accord.exports.source import Published


class NotAvailable(Exception):
    """No valid document of this format is possible for this note; the message says why in words a
    reader of the note understands (process.md "Exports")."""


@dataclass(frozen=True)
class Format:
    name: str  # "csaf", "csaf21", "cve5", "osv", "openvex": the CLI's --format and the URL's
    title: str  # "CSAF 2.0"
    media_type: str
    filename: str  # the file name in URLs: "csaf.json"
    build: Callable[[Published], Any]  # a dict, or a list of dicts (cve5: one record per CVE)

    @property
    def enabled(self) -> bool:
        """Whether this instance offers the format at all: CSAF 2.1 only with ACCORD_CSAF_21, CVE
        records only for a CVE Numbering Authority (ACCORD_CVE_ORG_ID). Pages leave out the others."""
        if self.name == "csaf21":
            return bool(settings.CSAF_21)
        if self.name == "cve5":
            return bool(settings.CVE_ORG_ID)
        return True

    @property
    def setting(self) -> str:
        """The setting that turns the format on, for a format that can be off."""
        return {"csaf21": "ACCORD_CSAF_21=1", "cve5": "ACCORD_CVE_ORG_ID"}.get(self.name, "")


def _formats() -> dict[str, Format]:
    # Imported here so that each exporter module stays free of registry imports (no cycles).
    from accord.exports import csaf, csaf21, cve5, openvex, osv

    return {
        f.name: f
        for f in (
            Format("csaf", "CSAF 2.0", "application/json", "csaf.json", csaf.build),
            Format("csaf21", "CSAF 2.1 (draft)", "application/json", "csaf-2.1.json", csaf21.build),
            Format("cve5", "CVE JSON 5.2", "application/json", "cve.json", cve5.build),
            Format("osv", "OSV", "application/json", "osv.json", osv.build),
            Format("openvex", "OpenVEX 0.2.0", "application/json", "openvex.json", openvex.build),
        )
    }


FORMAT_NAMES = ("csaf", "csaf21", "cve5", "osv", "openvex")


def formats(*, enabled_only: bool = True) -> list[Format]:
    return [f for f in _formats().values() if f.enabled or not enabled_only]


def get(name: str) -> Format | None:
    fmt = _formats().get(name)
    return fmt if fmt is not None and fmt.enabled else None


def to_bytes(doc: Any) -> bytes:
    """Canonical bytes: the same document always gives the same bytes (keys in build order, two-space
    indent, UTF-8, a final new line)."""
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode()


def document(fmt: Format, published: Published) -> bytes:
    """The document's bytes; raises NotAvailable."""
    return to_bytes(fmt.build(published))

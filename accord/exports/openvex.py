"""OpenVEX 0.2.0 (issue 12): one document per note, one statement per vendor status.

- The document's `@id` is the note's OpenVEX address; it stays the same across revisions, and
  `version` is the revision number (OpenVEX: a new version of the same document). `timestamp` is the
  first publication, `last_updated` this revision's.
- A statement's products: the status's purl when the vendor gave one, else a stable IRI on the note
  page built from accord.exports.ids.product_id (vendor key, product, version range).
- Accord's `unknown` has no OpenVEX word: those statuses are left out (process.md).
- not_affected: the vendor's justification and impact statement; when it gave neither, the impact
  statement says so in plain words. affected: the action statement is the vendor's fix information,
  else the note's solution section; with neither, the statement is left out (there is nothing true
  to put there).
- The vendor is the statement's `supplier` and is named in `status_notes` (its alias when anonymous).
Not available when no status is left.
"""

from __future__ import annotations

from typing import Any

from accord.exports import facts
from accord.exports.ids import product_id
from accord.exports.registry import NotAvailable
from accord.exports.source import Published
from accord.publication.snapshot_types import StatusItem, VendorItem, VulnerabilityItem

CONTEXT = "https://openvex.dev/ns/v0.2.0"
NO_DETAIL = "The vendor reported it is not affected and gave no further detail."


def build(published: Published) -> dict[str, Any]:
    snapshot = published.snapshot
    site = published.site
    page = site.note_url(snapshot["number"])
    by_id = {v["id"]: v for v in snapshot["vulnerabilities"]}
    statements: list[dict[str, Any]] = []
    for vulnerability in snapshot["vulnerabilities"]:
        for vendor in snapshot["vendors"]:
            for status in vendor["statuses"]:
                if status["vulnerability"] != vulnerability["id"]:
                    continue
                statement = _statement(page, by_id[status["vulnerability"]], vendor, status, snapshot)
                if statement is not None and statement not in statements:
                    statements.append(statement)
    if not statements:
        raise NotAvailable("no vendor gave a status OpenVEX can express")
    return {
        "@context": CONTEXT,
        "@id": page + "openvex.json",
        "author": site.name,
        "role": "Coordinator",
        "timestamp": facts.first_published(published),
        "last_updated": published.published_at,
        "version": published.revision,
        "tooling": "Accord",
        "statements": statements,
    }


def _vulnerability(item: VulnerabilityItem) -> dict[str, Any]:
    out: dict[str, Any] = {"name": item["cve"] or item["id"]}
    if item["title"]:
        out["description"] = item["title"]
    aliases = [i for i in dict.fromkeys([item["id"], *item["aliases"]]) if i != out["name"]]
    if aliases:
        out["aliases"] = aliases
    return out


def _product(page: str, vendor: VendorItem, status: StatusItem) -> dict[str, Any]:
    parts = facts.purl_parts(status["purl"])
    if parts is not None:
        return {"@id": status["purl"], "identifiers": {"purl": status["purl"]}}
    pid = product_id(vendor["key"], status["product"], status["version_range"])
    return {"@id": f"{page}#product-{pid}"}


def _fix(status: StatusItem) -> str:
    said = []
    if status["fixed_version"]:
        said.append(f"The vendor reports the fix in version {status['fixed_version']}.")
    if status["release_reference"]:
        said.append(f"Release: {status['release_reference']}.")
    return " ".join(said)


def _statement(
    page: str, vulnerability: VulnerabilityItem, vendor: VendorItem, status: StatusItem, snapshot: Any
) -> dict[str, Any] | None:
    word = status["status"]
    if word == "unknown":
        return None
    out: dict[str, Any] = {
        "vulnerability": _vulnerability(vulnerability),
        "products": [_product(page, vendor, status)],
        "status": word,
        "supplier": vendor["name"],
    }
    notes = f"Status given by {vendor['name']}"
    if status["product"]:
        notes += f" for {status['product']}"
        if status["version_range"]:
            notes += f" {status['version_range']}"
    if status["source_word"]:
        notes += f" (the archive's word: {status['source_word']})"
    out["status_notes"] = notes + "."
    if word == "not_affected":
        if status["justification"]:
            out["justification"] = status["justification"]
        if status["impact_statement"]:
            out["impact_statement"] = status["impact_statement"]
        if not status["justification"] and not status["impact_statement"]:
            out["impact_statement"] = NO_DETAIL
    elif word == "affected":
        action = _fix(status) or snapshot["sections"]["solution"].strip()
        if not action:
            return None
        out["action_statement"] = action
    elif word == "fixed":
        fix = _fix(status)
        if fix:
            out["status_notes"] += " " + fix
    return out

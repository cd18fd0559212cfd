"""OSV (schema 1.7.5) (issue 12): one entry per note.

- id: the instance's registered prefix (ACCORD_OSV_PREFIX) or the unregistered "x_" prefix, then the
  case id with "#" written as "-" ("x_VU-854306").
- aliases: an OSV entry's aliases are ids of the same vulnerability. With one vulnerability, its CVE,
  EUVD and GCVE ids are aliases; with several, they name different vulnerabilities, so they go to
  `related` and `details` says which is which.
- severity: the CVSS vectors, only when the note has one vulnerability (an entry has one severity).
- affected: only packages with a package URL of a registry OSV knows (process.md), and only when a
  vendor said affected or fixed, or the analysts listed the product on the vulnerability: an entry in
  `affected` tells scanners the package is vulnerable, so not_affected, under_investigation and
  unknown products are named in `details` instead. Versions appear only as the data gives them
  exactly: a purl's version, or a fixed version as the range {introduced "0", fixed v} ("0" is OSV's
  word for "every version before"). A vendor's free-text version range stays in database_specific.
- credits: left out. OSV credits name people and organisations, and the note's credit section is
  free text, so it is quoted in `details` instead.
Never "not available": every note gives a valid entry.
"""

from __future__ import annotations

from typing import Any

from accord.exports import facts
from accord.exports.source import Published
from accord.publication.snapshot_types import Snapshot, StatusItem, VulnerabilityItem

SCHEMA_VERSION = "1.7.5"
# purl types whose OSV ecosystem and package name are unambiguous (OSV's own purl mapping).
_ECOSYSTEMS = {
    "pypi": "PyPI",
    "npm": "npm",
    "maven": "Maven",
    "golang": "Go",
    "cargo": "crates.io",
    "gem": "RubyGems",
    "nuget": "NuGet",
    "composer": "Packagist",
    "hex": "Hex",
    "pub": "Pub",
    "hackage": "Hackage",
    "cran": "CRAN",
}
_SEVERITY = {"4.0": "CVSS_V4", "3.1": "CVSS_V3", "3.0": "CVSS_V3", "2.0": "CVSS_V2"}
_WORDS = {
    "affected": "affected",
    "fixed": "fixed",
    "not_affected": "not affected",
    "under_investigation": "under investigation",
    "unknown": "unknown",
}


def entry_id(published: Published) -> str:
    local = published.snapshot["case"].replace("#", "-")
    prefix = published.site.osv_prefix
    return f"{prefix}-{local}" if prefix else f"x_{local}"


def _ids(vulnerability: VulnerabilityItem) -> list[str]:
    return [i for i in (vulnerability["cve"], *vulnerability["aliases"]) if i]


def package(purl: str) -> tuple[dict[str, str], str] | None:
    """OSV's `package` for a purl, and the purl's version ("" when none); None when OSV has no
    ecosystem for it."""
    parts = facts.purl_parts(purl)
    if parts is None:
        return None
    parsed, bare = parts
    ecosystem = _ECOSYSTEMS.get(parsed.type)
    if ecosystem is None or (parsed.qualifiers or {}).get("repository_url"):
        return None
    namespace = parsed.namespace or ""
    if parsed.type == "maven":
        if not namespace:
            return None
        name = f"{namespace}:{parsed.name}"
    elif namespace:
        name = f"{namespace}/{parsed.name}"  # npm scopes, Go module paths, Packagist vendors
    else:
        name = parsed.name
    return {"ecosystem": ecosystem, "name": name, "purl": bare}, parsed.version or ""


def build(published: Published) -> dict[str, Any]:
    snapshot = published.snapshot
    vulnerabilities = snapshot["vulnerabilities"]
    doc: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "id": entry_id(published),
        "modified": published.published_at,
        "published": facts.first_published(published),
    }
    ids = list(dict.fromkeys(i for v in vulnerabilities for i in _ids(v)))
    if ids:
        doc["aliases" if len(vulnerabilities) == 1 else "related"] = ids
    if snapshot["title"].strip():
        doc["summary"] = snapshot["title"].strip()
    affected, elsewhere = _affected(snapshot)
    details = _details(snapshot, elsewhere)
    if details:
        doc["details"] = details
    if len(vulnerabilities) == 1:
        severity = _severity(vulnerabilities[0])
        if severity:
            doc["severity"] = severity
    if affected:
        doc["affected"] = affected
    urls = facts.reference_urls(snapshot["sections"]["references"])
    advisory = published.site.note_url(snapshot["number"])
    doc["references"] = [{"type": "ADVISORY", "url": advisory}] + [
        {"type": "WEB", "url": url} for url in urls if url != advisory
    ]
    doc["database_specific"] = {
        "case": snapshot["case"],
        "revision": published.revision,
        "vulnerabilities": [v["id"] for v in vulnerabilities],
    }
    return doc


def _severity(vulnerability: VulnerabilityItem) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for cvss in vulnerability["cvss"]:
        scored = facts.score(cvss["vector"])
        if scored is not None:
            item = {"type": _SEVERITY[scored.version], "score": scored.vector}
            if item not in out:
                out.append(item)
    return out


def _range(fixed: str) -> dict[str, Any]:
    return {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}


def _status_entry(vendor: str, status: StatusItem) -> dict[str, Any] | None:
    found = package(status["purl"])
    if found is None:
        return None
    pkg, version = found
    entry: dict[str, Any] = {"package": pkg}
    word = status["status"]
    if word == "fixed":
        fixed = status["fixed_version"] or version
        if fixed:
            entry["ranges"] = [_range(fixed)]
    elif version:
        entry["versions"] = [version]
    specific: dict[str, Any] = {"vulnerability": status["vulnerability"], "vendor": vendor, "status": word}
    if status["source_word"]:
        specific["source_word"] = status["source_word"]
    if status["version_range"]:
        specific["version_range"] = status["version_range"]
    entry["database_specific"] = specific
    return entry


def _affected(snapshot: Snapshot) -> tuple[list[dict[str, Any]], list[str]]:
    """The `affected` entries, and lines for `details` naming the packages left out of them."""
    out: list[dict[str, Any]] = []
    elsewhere: list[str] = []
    for vendor in snapshot["vendors"]:
        for status in vendor["statuses"]:
            if not status["purl"]:
                continue
            entry = _status_entry(vendor["name"], status)
            if entry is None:
                elsewhere.append(
                    f"- `{status['purl']}` ({vendor['name']}, {status['vulnerability']}): "
                    f"{_WORDS[status['status']]}; OSV has no ecosystem for this package URL."
                )
            elif status["status"] in ("affected", "fixed"):
                if entry not in out:
                    out.append(entry)
            else:
                elsewhere.append(
                    f"- `{status['purl']}` ({vendor['name']}, {status['vulnerability']}): "
                    f"{_WORDS[status['status']]}."
                )
    for vulnerability in snapshot["vulnerabilities"]:
        for product in vulnerability["products"]:
            if not product["purl"]:
                continue
            found = package(product["purl"])
            if found is None:
                elsewhere.append(
                    f"- `{product['purl']}` ({vulnerability['id']}): affected; "
                    "OSV has no ecosystem for this package URL."
                )
                continue
            pkg, version = found
            entry = {"package": pkg}
            if version:
                entry["versions"] = [version]
            specific: dict[str, Any] = {"vulnerability": vulnerability["id"], "status": "affected"}
            if product["version_range"]:
                specific["version_range"] = product["version_range"]
            entry["database_specific"] = specific
            if entry not in out:
                out.append(entry)
    return out, elsewhere


def _details(snapshot: Snapshot, elsewhere: list[str]) -> str:
    sections = snapshot["sections"]
    parts = [sections["overview"].strip(), sections["description"].strip()]
    vulnerabilities = snapshot["vulnerabilities"]
    if len(vulnerabilities) > 1:
        lines = [
            f"This note covers {len(vulnerabilities)} vulnerabilities; the ids under `related` name "
            "different vulnerabilities, not aliases of one:"
        ]
        for v in vulnerabilities:
            ids = ", ".join(_ids(v))
            cvss = ", ".join(c["vector"] for c in v["cvss"] if facts.score(c["vector"]))
            line = f"- {v['id']}: {v['title'] or 'untitled'}"
            if ids:
                line += f" ({ids})"
            if cvss:
                line += f"; CVSS {cvss}"
            lines.append(line)
        parts.append("\n".join(lines))
    if elsewhere:
        parts.append("Packages not listed under `affected`:\n\n" + "\n".join(elsewhere))
    if sections["credit"].strip():
        parts.append("Credit: " + sections["credit"].strip())
    return "\n\n".join(p for p in parts if p)

"""CVE Record Format 5.2 (issue 12): one published CVE record for each vulnerability of the note that
has a CVE id, the instance acting as the CNA (ACCORD_CVE_ORG_ID).

What a record says, and where it comes from:
- `affected`: one entry per vendor and product (an anonymous vendor by its alias; the snapshot holds
  nothing else). A vendor's answer for all its products has product "n/a", the CVE List's word for an
  unspecified product. Statuses map to CVE's three words: affected and fixed -> "affected" (a fixed
  product was affected; the versions before the fixed one are given as a range only when the vendor
  gave the fixed version), not_affected -> "unaffected", under_investigation and unknown -> "unknown".
  A version range the vendor wrote is kept as its own text in `version`. `packageURL` is the
  product's purl without its version (the schema's rule).
- Products the analysts listed on the vulnerability itself have no vendor: they appear only with a
  `collectionURL` and `packageName` read from a purl of a registry named below, else not at all.
- CVE records have no notes, so what they cannot say is simply left out; nothing is invented.

Not available: when the instance has no CNA org id, when no vulnerability has a CVE id, when the
note has no prose to describe the vulnerability, or when it names no vendor or product.
"""

from __future__ import annotations

import string
import uuid
from typing import Any

from accord.exports import facts
from accord.exports.registry import NotAvailable
from accord.exports.source import Published
from accord.publication.snapshot_types import StatusItem, VendorItem, VulnerabilityItem

_STATUS = {
    "affected": "affected",
    "fixed": "affected",
    "not_affected": "unaffected",
    "under_investigation": "unknown",
    "unknown": "unknown",
}
_METRIC = {"4.0": "cvssV4_0", "3.1": "cvssV3_1", "3.0": "cvssV3_0", "2.0": "cvssV2_0"}
# Package registries whose purl names map plainly onto a collection URL and a package name.
_COLLECTIONS = {
    "pypi": "https://pypi.org",
    "npm": "https://www.npmjs.com",
    "gem": "https://rubygems.org",
    "cargo": "https://crates.io",
    "nuget": "https://nuget.org/packages",
    "composer": "https://packagist.org",
    "maven": "https://repo.maven.apache.org/maven2",
    "golang": "https://pkg.go.dev",
}
_SHORT_NAME_CHARS = frozenset(string.ascii_letters + string.digits + "_-")


def short_name(name: str) -> str:
    """The CNA short name: letters, digits, "_" and "-" (other runs become "_"), 2 to 32
    characters; "" when too little is left (the field is then omitted)."""
    out: list[str] = []
    for char in name.strip():
        if char in _SHORT_NAME_CHARS:
            out.append(char)
        elif out and out[-1] != "_":
            out.append("_")
    value = "".join(out).strip("_")[:32].rstrip("_")
    return value if len(value) >= 2 else ""


def build(published: Published) -> list[dict[str, Any]]:
    site = published.site
    if not site.cve_org_id:
        raise NotAvailable("this instance has no CVE Numbering Authority org id (ACCORD_CVE_ORG_ID)")
    try:
        uuid.UUID(site.cve_org_id)
    except ValueError:
        raise NotAvailable("this instance's CVE Numbering Authority org id (ACCORD_CVE_ORG_ID) is not a UUID")
    snapshot = published.snapshot
    vulnerabilities = [v for v in snapshot["vulnerabilities"] if v["cve"]]
    if not vulnerabilities:
        raise NotAvailable("no CVE id is assigned to a vulnerability of this note")
    return [_record(published, v) for v in vulnerabilities]


def _record(published: Published, vulnerability: VulnerabilityItem) -> dict[str, Any]:
    site = published.site
    snapshot = published.snapshot
    sections = snapshot["sections"]
    name = short_name(site.cve_org_short_name)
    description = (
        vulnerability["description"].strip()
        or sections["overview"].strip()
        or sections["description"].strip()
    )
    if not description:
        raise NotAvailable("the note has no text describing the vulnerability, which a CVE record requires")
    affected = _affected(published, vulnerability)
    if not affected:
        raise NotAvailable("the note names no vendor or product, which a CVE record requires")

    metadata: dict[str, Any] = {"cveId": vulnerability["cve"], "assignerOrgId": site.cve_org_id}
    if name:
        metadata["assignerShortName"] = name
    metadata |= {
        "state": "PUBLISHED",
        "datePublished": facts.first_published(published),
        "dateUpdated": published.published_at,
    }
    provider: dict[str, Any] = {"orgId": site.cve_org_id}
    if name:
        provider["shortName"] = name
    provider["dateUpdated"] = published.published_at

    cna: dict[str, Any] = {"providerMetadata": provider}
    title = facts.cut(vulnerability["title"] or snapshot["title"], 256)
    if title:
        cna["title"] = title
    cna["descriptions"] = [{"lang": "en", "value": facts.cut(description, 4096)}]
    cna["affected"] = affected
    cwe = vulnerability["cwe"]
    if cwe.startswith("CWE-") and cwe[4:].isdigit() and cwe[4] != "0" and len(cwe) <= 9:
        cna["problemTypes"] = [
            {"descriptions": [{"lang": "en", "cweId": cwe, "description": cwe, "type": "CWE"}]}
        ]
    urls = [site.note_url(snapshot["number"]), *facts.reference_urls(sections["references"])]
    cna["references"] = [{"url": url} for url in list(dict.fromkeys(urls))[:512]]
    metrics = _metrics(vulnerability)
    if metrics:
        cna["metrics"] = metrics
    credit = sections["credit"].strip()
    if credit:
        # The credit section is free text naming people in no fixed role, hence "other".
        cna["credits"] = [{"lang": "en", "value": facts.cut(credit, 4096), "type": "other"}]
    return {
        "dataType": "CVE_RECORD",
        "dataVersion": "5.2.0",
        "cveMetadata": metadata,
        "containers": {"cna": cna},
    }


def _metrics(vulnerability: VulnerabilityItem) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for cvss in vulnerability["cvss"]:
        scored = facts.score(cvss["vector"])
        if scored is None:
            continue  # a vector the library cannot read is left out rather than guessed at
        metric: dict[str, Any] = {
            "version": scored.version,
            "vectorString": scored.vector,
            "baseScore": scored.base_score,
        }
        if scored.severity:
            metric["baseSeverity"] = scored.severity
        item = {_METRIC[scored.version]: metric}
        if item not in out:
            out.append(item)
    return out


def _versions(status: StatusItem) -> tuple[list[dict[str, Any]], str]:
    """The `versions` entries and the default status one vendor status gives."""
    word = _STATUS[status["status"]]
    versions: list[dict[str, Any]] = []
    if status["version_range"]:
        # The vendor's own words for the versions; for a fixed status, those versions carry the fix.
        shown = "unaffected" if status["status"] == "fixed" else word
        versions.append({"version": status["version_range"][:1024], "status": shown})
    if status["status"] == "fixed" and status["fixed_version"]:
        # "0" is the schema's convention for the earliest version; "custom": Accord does not know
        # the product's version scheme.
        fixed = status["fixed_version"][:1024]
        versions.append({"version": "0", "status": "affected", "lessThan": fixed, "versionType": "custom"})
    return versions, word


def _affected(published: Published, vulnerability: VulnerabilityItem) -> list[dict[str, Any]]:
    entries: dict[tuple[str, str, str], dict[str, Any]] = {}
    for vendor in published.snapshot["vendors"]:
        for status in vendor["statuses"]:
            if status["vulnerability"] == vulnerability["id"]:
                _add_status(entries, vendor, status)
    out = list(entries.values())
    for product in vulnerability["products"]:
        entry = _package_entry(product["purl"])
        if entry is None:
            continue  # no vendor and no registry: nothing a CVE record can name truthfully
        if product["version_range"]:
            entry["versions"] = [{"version": product["version_range"][:1024], "status": "affected"}]
        else:
            entry["defaultStatus"] = "affected"
        if entry not in out:
            out.append(entry)
    return out


def _add_status(
    entries: dict[tuple[str, str, str], dict[str, Any]], vendor: VendorItem, status: StatusItem
) -> None:
    parts = facts.purl_parts(status["purl"])
    purl = parts[1] if parts else ""
    product = status["product"].strip() or "n/a"
    key = (vendor["name"], product, purl)
    entry = entries.get(key)
    if entry is None:
        entry = {"vendor": vendor["name"][:512], "product": product[:2048]}
        if purl:
            entry["packageURL"] = purl
        entries[key] = entry
    versions, word = _versions(status)
    if versions:
        listed = entry.setdefault("versions", [])
        listed.extend(v for v in versions if v not in listed)
    else:
        entry.setdefault("defaultStatus", word)


def _package_entry(purl: str) -> dict[str, Any] | None:
    parts = facts.purl_parts(purl)
    if parts is None:
        return None
    parsed, bare = parts
    collection = _COLLECTIONS.get(parsed.type)
    if collection is None or (parsed.qualifiers or {}).get("repository_url"):
        return None  # another registry, or a mirror: the collection is not known for sure
    namespace = parsed.namespace or ""
    if parsed.type == "maven":
        if not namespace:
            return None
        name = f"{namespace}:{parsed.name}"
    elif parsed.type in ("npm", "composer", "golang") and namespace:
        name = f"{namespace}/{parsed.name}"
    elif namespace:
        return None  # a namespace these registries do not use: not sure what the name is
    else:
        name = parsed.name
    return {"collectionURL": collection, "packageName": name, "packageURL": bare}

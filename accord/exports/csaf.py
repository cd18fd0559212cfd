"""CSAF 2.0 export (issue 12): a published revision as a CSAF document (OASIS Standard, 2022).

The profile is `csaf_vex` when every status the vendors gave names a product, else
`csaf_security_advisory`; when a profile's rules cannot be met without inventing data (a
vulnerability with no conclusive status, an affected product with no action statement), the next
one down is used, ending with `csaf_base`, and the notes say why (process.md "Exports").

The tree: vendor (public name) → product name → version range, one product each, with ids from
accord.exports.ids, so they survive new revisions. A vendor's answer about all its products is a
product named after the vendor. Products the analysts listed on a vulnerability (no vendor) are
`full_product_names`. Accord's `unknown` has no CSAF word: those vendors are listed in a note.

csaf21.py builds CSAF 2.1 from the same plan (`Plan`), so both documents say the same things.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from accord.exports import facts
from accord.exports.ids import csaf_filename, product_id
from accord.exports.source import Published
from accord.lib.vulnids import parse_purl
from accord.publication.snapshot_types import StatusItem, VendorItem, VulnerabilityItem

CSAF_STATUS = {
    "affected": "known_affected",
    "not_affected": "known_not_affected",
    "fixed": "fixed",
    "under_investigation": "under_investigation",
}
# Product statuses that settle a question (CSAF 2.0 6.1.27.12 wants one in an advisory).
CONCLUSIVE = ("known_affected", "known_not_affected", "fixed")
VEX_JUSTIFICATIONS = (
    "component_not_present",
    "inline_mitigations_already_exist",
    "vulnerable_code_cannot_be_controlled_by_adversary",
    "vulnerable_code_not_in_execute_path",
    "vulnerable_code_not_present",
)
NO_DETAIL = "The vendor reported it is not affected and gave no further detail."
FIXED_NO_DETAIL = "The vendor reported this product fixed and named no version or release."
VENDOR_LEVEL = "A product named after its vendor stands for the vendor's answer for all its products."
_PURL_20 = re.compile(r"^pkg:[A-Za-z.\-+][A-Za-z0-9.\-+]*/.+")  # the CSAF 2.0 schema's pattern
_SECTIONS = (  # snapshot section -> (note category, title)
    ("overview", "summary", "Overview"),
    ("description", "description", "Description"),
    ("impact", "general", "Impact"),
    ("solution", "general", "Solution"),
    ("workarounds", "general", "Workarounds"),
)


@dataclass
class Product:
    pid: str
    name: str  # the full product name
    vendor_key: str  # "" for a product the analysts listed on a vulnerability
    vendor: str
    product: str  # "" = the vendor's answer for all its products
    version_range: str
    purl: str


@dataclass
class Vuln:
    """One vulnerability's part of the plan: product ids by CSAF status, and what goes with them."""

    item: VulnerabilityItem
    status: dict[str, str] = field(default_factory=dict)  # product id -> CSAF product status
    # (category, details, url) -> product ids, in first-seen order
    remediations: dict[tuple[str, str, str], list[str]] = field(default_factory=dict)
    threats: dict[str, list[str]] = field(default_factory=dict)  # impact details -> product ids
    flags: dict[str, list[str]] = field(default_factory=dict)  # VEX justification -> product ids
    notes: list[dict[str, str]] = field(default_factory=list)


@dataclass
class Plan:
    """Everything both CSAF versions say, decided once."""

    published: Published
    products: dict[str, Product] = field(default_factory=dict)
    vulns: list[Vuln] = field(default_factory=list)
    unknown: list[tuple[VendorItem, list[str]]] = field(default_factory=list)  # vendor, vulnerability ids
    left_out: list[str] = field(default_factory=list)  # what this document could not carry, in words
    category: str = "csaf_security_advisory"


def _clean(text: str | None) -> str:
    return (text or "").strip()


def _date(at: str | None) -> str:
    return (at or "")[:10] or "no date recorded"


def _add(bucket: dict[Any, list[str]], key: Any, pid: str) -> None:
    ids = bucket.setdefault(key, [])
    if pid not in ids:
        ids.append(pid)


def _purl(value: str) -> str:
    value = _clean(value)
    return value if value and parse_purl(value) is not None and _PURL_20.match(value) else ""


def _full_name(vendor: str, product: str, version_range: str) -> str:
    if not product:
        return vendor
    name = product if product.casefold().startswith(vendor.casefold()) else f"{vendor} {product}"
    return f"{name} {version_range}".strip()


def _remediations(plan: Plan, vuln: Vuln, pid: str, status: StatusItem | None, word: str) -> None:
    """The action statement for an affected or fixed product: the vendor's fix information, else
    the note's solution (fixed: it is the fix; affected: advice) and workarounds sections. Never an
    invented `none_available` or `no_fix_planned`: the snapshot has no such answer."""
    sections = plan.published.snapshot["sections"]
    solution, workarounds = _clean(sections["solution"]), _clean(sections["workarounds"])
    fixed_version = _clean(status["fixed_version"]) if status else ""
    release = _clean(status["release_reference"]) if status else ""
    if fixed_version or release:
        url = release if facts.is_web_url(release) else ""
        words = [f"Fixed in {fixed_version}." if fixed_version else ""]
        words.append("" if url or not release else f"Release: {release}.")
        details = " ".join(w for w in words if w) or "The vendor published a fix."
        _add(vuln.remediations, ("vendor_fix", details, url), pid)
        return
    if word == "fixed":
        _add(vuln.remediations, ("vendor_fix", solution or FIXED_NO_DETAIL, ""), pid)
        return
    if solution:
        _add(vuln.remediations, ("mitigation", solution, ""), pid)
    if workarounds:
        _add(vuln.remediations, ("workaround", workarounds, ""), pid)


def _not_affected(vuln: Vuln, pid: str, status: StatusItem) -> None:
    """The impact statement a not-affected product needs (VEX 6.1.27.9): the vendor's, else its
    justification in words, else plain words saying there is none; plus the VEX flag for a
    justification CSAF names."""
    justification = _clean(status["justification"])
    impact = _clean(status["impact_statement"])
    if justification in VEX_JUSTIFICATIONS:
        _add(vuln.flags, justification, pid)
    if not impact and justification:
        impact = f"The vendor's justification: {justification.replace('_', ' ')}."
    _add(vuln.threats, impact or NO_DETAIL, pid)


def plan(published: Published, version: str = "2.0") -> Plan:
    snapshot = published.snapshot
    result = Plan(published)
    vulns = {v["id"]: Vuln(v) for v in snapshot["vulnerabilities"]}
    result.vulns = list(vulns.values())
    source_words: dict[str, str] = {}
    conflicts = False
    vendor_level = False

    for vendor in snapshot["vendors"]:
        name = _clean(vendor["name"]) or vendor["key"]
        silent = []
        for status in vendor["statuses"]:
            vuln = vulns.get(status["vulnerability"])
            if vuln is None:
                continue
            if status["status"] == "unknown":
                silent.append(status["vulnerability"])
                continue
            product, version_range = _clean(status["product"]), _clean(status["version_range"])
            pid = product_id(vendor["key"], product, version_range)
            if pid not in result.products:
                result.products[pid] = Product(
                    pid,
                    _full_name(name, product, version_range),
                    vendor["key"],
                    name,
                    product,
                    version_range,
                    "",
                )
            known = result.products[pid]
            known.purl = known.purl or _purl(status["purl"])
            vendor_level = vendor_level or not product
            word = CSAF_STATUS[status["status"]]
            if pid in vuln.status:
                conflicts = conflicts or vuln.status[pid] != word
                continue
            vuln.status[pid] = word
            if status["source_word"]:
                source_words.setdefault(status["source_word"], word)
            if word in ("known_affected", "fixed"):
                _remediations(result, vuln, pid, status, status["status"])
            elif word == "known_not_affected":
                _not_affected(vuln, pid, status)
        if silent:
            result.unknown.append((vendor, silent))

    for vuln in result.vulns:
        seq = vuln.item["id"].rsplit(".", 1)[-1]
        for item in vuln.item["products"]:
            product, version_range = _clean(item["name"]), _clean(item["version_range"])
            if not product:
                continue
            pid = product_id(f"v{seq}", product, version_range)
            purl = _purl(item["purl"])
            result.products.setdefault(
                pid, Product(pid, f"{product} {version_range}".strip(), "", "", product, version_range, purl)
            )
            if pid not in vuln.status:
                vuln.status[pid] = "known_affected"
                _remediations(result, vuln, pid, None, "affected")

    if vendor_level:
        result.left_out.append(VENDOR_LEVEL)
    if source_words:
        pairs = ", ".join(f'"{word}" as {status}' for word, status in sorted(source_words.items()))
        result.left_out.append(f"The archive's own status words are not carried; they are given as {pairs}.")
    if conflicts:
        result.left_out.append(
            "Where one product had two different statuses for a vulnerability, only the first is given."
        )
    if result.unknown:
        result.left_out.append(
            'Accord\'s status "unknown" (notified, no answer) has no CSAF equivalent: those vendors are listed in the '
            'note "Vendors that did not answer".'
        )
    result.category = _category(result, version)
    return result


def _fixed_without_sibling(plan: Plan, version: str) -> bool:
    """CSAF 2.1 6.1.27.13: in an advisory, a fixed product that has versioned siblings under its
    product name needs one of them with another status in the same vulnerability."""
    groups: dict[tuple[str, str], set[str]] = {}
    for p in plan.products.values():
        if p.vendor_key and p.product and p.version_range and version_branch(p.version_range, version):
            groups.setdefault((p.vendor_key, p.product), set()).add(p.pid)
    for vuln in plan.vulns:
        for pid, word in vuln.status.items():
            p = plan.products[pid]
            group = groups.get((p.vendor_key, p.product), set())
            if (
                word == "fixed"
                and pid in group
                and not any(vuln.status.get(o, "fixed") != "fixed" for o in group)
            ):
                return True
    return False


def _category(plan: Plan, version: str) -> str:
    """The most specific profile whose rules the data meets as it is (see the module's docstring)."""
    statuses = [
        s for v in plan.published.snapshot["vendors"] for s in v["statuses"] if s["status"] != "unknown"
    ]
    analysts = any(v.item["products"] for v in plan.vulns)
    product_level = bool(statuses or analysts) and all(_clean(s["product"]) for s in statuses)
    acted = all(
        pid in {p for ids in v.remediations.values() for p in ids}
        for v in plan.vulns
        for pid, word in v.status.items()
        if word == "known_affected"
    )
    # 2.1 6.1.27.7: in VEX, every vulnerability has a product status.
    every_status = version == "2.0" or all(v.status for v in plan.vulns)
    if product_level and acted and every_status:
        return "csaf_vex"
    if product_level:
        plan.left_out.append(
            "Not every vulnerability has a status and an action statement for each affected product, "
            "so this document uses the security advisory profile rather than VEX."
        )
    if version == "2.0":
        advisory = all(any(w in CONCLUSIVE for w in v.status.values()) for v in plan.vulns)
    else:  # 2.1 6.1.27.12 and 6.1.27.13
        advisory = all("known_affected" in v.status.values() for v in plan.vulns)
        advisory = advisory and not _fixed_without_sibling(plan, version)
    if plan.products and plan.vulns and advisory:
        return "csaf_security_advisory"
    plan.left_out.append(
        "Not every vulnerability has the product statuses a security advisory needs"
        + (" (a conclusive one)" if version == "2.0" else " (an affected product)")
        + ", so this document uses the CSAF base profile."
    )
    return "csaf_base"


# The document ---------------------------------------------------------------------------------------


def _note(category: str, title: str, text: str) -> dict[str, str]:
    return {"category": category, "text": text, "title": title}


def _statement_title(vendor: VendorItem) -> str:
    statement = vendor["statement"]
    assert statement is not None
    name = _clean(vendor["name"]) or vendor["key"]
    if statement["signature_state"] == "failed":
        return f"Statement from {name} (its OpenPGP signature did not verify)"
    if statement["signature_state"] == "verified" and statement["fingerprint"] and not vendor["anonymous"]:
        return f"Statement from {name} (OpenPGP signature verified, key {statement['fingerprint']})"
    return f"Statement from {name}"


def _vendor_notes(plan: Plan) -> list[dict[str, str]]:
    notes = []
    for vendor in plan.published.snapshot["vendors"]:
        name = _clean(vendor["name"]) or vendor["key"]
        statement = vendor["statement"]
        if statement is not None and _clean(statement["text"]):
            notes.append(_note("other", _statement_title(vendor), statement["text"]))
        if _clean(vendor["addendum"]):
            notes.append(_note("other", f"Coordinator's addendum for {name}", vendor["addendum"]))
        if _clean(vendor["information"]):
            notes.append(_note("other", f"Information about {name}", vendor["information"]))
    if plan.unknown:
        all_ids = [v.item["id"] for v in plan.vulns]
        lines = []
        for vendor, silent in plan.unknown:
            name = _clean(vendor["name"]) or vendor["key"]
            which = "" if silent == all_ids else f", no status for {', '.join(silent)}"
            lines.append(f"- {name} (notified {_date(vendor['notified_at'])}{which})")
        text = "These vendors were notified and have not answered:\n\n" + "\n".join(lines)
        notes.append(_note("other", "Vendors that did not answer", text))
    return notes


# Where the CSAF provider directory (accord/exports/directory.py) serves each version's documents:
# 2.0 under TLP:WHITE, 2.1 in parallel under /v2.1/ with TLP:CLEAR (the 2.1 draft's transition).
FOLDERS = {"2.0": "white", "2.1": "v2.1/clear"}


def _references(published: Published, version: str) -> list[dict[str, str]]:
    snapshot, site = published.snapshot, published.site
    year = (published.history[0].published_at if published.history else published.published_at)[:4]
    folder = FOLDERS[version]
    refs = [
        {
            "category": "self",
            "summary": "This CSAF document",
            "url": f"{site.url}/.well-known/csaf/{folder}/{year}/{csaf_filename(snapshot['case'])}",
        },
        {
            "category": "external",
            "summary": f"Vulnerability Note {snapshot['case']}",
            "url": site.note_url(snapshot["number"]),
        },
    ]
    seen = {r["url"] for r in refs}
    for url, label in facts.reference_links(snapshot["sections"]["references"]):
        if url not in seen:
            seen.add(url)
            refs.append({"category": "external", "summary": label or url, "url": url})
    return refs


def _tracking(published: Published) -> dict[str, Any]:
    history = [
        {
            "date": r.published_at,
            "number": str(r.number),
            "summary": _clean(r.summary)
            or ("Initial publication" if r.number == 1 else f"Revision {r.number}"),
        }
        for r in published.history
    ] or [
        {"date": published.published_at, "number": str(published.revision), "summary": "Initial publication"}
    ]
    return {
        "current_release_date": published.published_at,
        "generator": {"engine": {"name": "Accord"}},
        "id": published.snapshot["case"],
        "initial_release_date": history[0]["date"],
        "revision_history": history,
        "status": "final",
        "version": str(published.revision),
    }


def _product(product: Product, version: str) -> dict[str, Any]:
    out: dict[str, Any] = {"name": product.name, "product_id": product.pid}
    if product.purl:
        helper = {"purl": product.purl} if version == "2.0" else {"purls": [product.purl]}
        out["product_identification_helper"] = helper
    return out


# Words and shapes that make a version text a range (CSAF 2.0 6.1.31 forbids them in product_version).
_RANGE_WORDS = re.compile(
    r"(?i)^[<>=!~*]|\b(prior\s+to|before|earlier|later|through|all)\b|\.[x*](\b|$)|\d\s*-\s*v?\d+\."
)
_SINGLE = re.compile(r"v?\d+(\.\d+)*([-+~_][0-9A-Za-z.]+)*")
_VERS = re.compile(r"vers:[a-z][a-z0-9+.\-]*/(\S+)")
_OPERATOR = re.compile(r"^([<>!=~]|\*)")


def version_branch(text: str, version: str) -> str | None:
    """The branch category for a version text: `product_version` for one version,
    `product_version_range` for a range (CSAF 2.1 6.1.50/6.1.59: a vers URI or an operator
    expression without spaces, every constraint with an operator), None for a range in words 2.1
    cannot carry as a range: it is then only in the product's name."""
    if _SINGLE.fullmatch(text) and not _RANGE_WORDS.search(text):
        return "product_version"
    if version == "2.0":
        return "product_version_range"
    vers = _VERS.fullmatch(text)
    if vers is not None:
        constraints = [c.strip() for c in vers.group(1).split("|")]
        return "product_version_range" if all(_OPERATOR.match(c) for c in constraints) else None
    return "product_version_range" if _OPERATOR.match(text) and not re.search(r"\s", text) else None


def _product_tree(plan: Plan, version: str) -> dict[str, Any]:
    vendors: dict[str, dict[str, Any]] = {}  # vendor key -> vendor branch
    loose: list[dict[str, Any]] = []
    for product in plan.products.values():
        leaf = _product(product, version)
        if not product.vendor_key:
            loose.append(leaf)
            continue
        branch = vendors.setdefault(
            product.vendor_key, {"category": "vendor", "name": product.vendor, "branches": []}
        )
        kind = version_branch(product.version_range, version) if product.version_range else None
        if not product.product:
            branch["branches"].append({"category": "product_name", "name": product.vendor, "product": leaf})
        elif kind is None:
            branch["branches"].append({"category": "product_name", "name": product.product, "product": leaf})
        else:
            versioned = {"category": kind, "name": product.version_range, "product": leaf}
            named = [b for b in branch["branches"] if b["name"] == product.product and "branches" in b]
            if named:
                named[0]["branches"].append(versioned)
            else:
                branch["branches"].append(
                    {"category": "product_name", "name": product.product, "branches": [versioned]}
                )
    tree: dict[str, Any] = {}
    if vendors:
        tree["branches"] = list(vendors.values())
    if loose:
        tree["full_product_names"] = loose
    return tree


# The CSAF object each CVSS version goes in (2.0 has no base severity).
_CVSS_KEYS = {"2.0": "cvss_v2", "3.0": "cvss_v3", "3.1": "cvss_v3", "4.0": "cvss_v4"}


def _score(vector: str) -> tuple[str, dict[str, Any]] | None:
    """("cvss_v2" | "cvss_v3" | "cvss_v4", the CVSS object), scored by facts.score (the `cvss`
    library); None when the vector does not parse (it is then given as text only)."""
    scored = facts.score(vector)
    if scored is None:
        return None
    cvss: dict[str, Any] = {
        "version": scored.version,
        "vectorString": scored.vector,
        "baseScore": scored.base_score,
    }
    if scored.severity:
        cvss["baseSeverity"] = scored.severity
    return _CVSS_KEYS[scored.version], cvss


def scored_products(vuln: Vuln) -> list[str]:
    """CVSS scores apply to the products the vulnerability affects (or affected)."""
    return sorted(pid for pid, word in vuln.status.items() if word in ("known_affected", "fixed"))


def cvss_entries(plan: Plan, vuln: Vuln, version: str) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """The scores CSAF `version` can carry for `vuln` ({"cvss_v3": {...}}, at most one per CVSS
    version: 6.1.7), and the vectors given as text only, in words."""
    found: dict[str, dict[str, Any]] = {}
    text: list[str] = []
    for entry in vuln.item["cvss"]:
        vector = _clean(entry["vector"])
        if entry["version"] == "4.0" and version == "2.0":
            text.append(f"CVSS 4.0 vector (CSAF 2.0 cannot carry it): {vector}")
            continue
        score = _score(vector)
        if score is None:
            text.append(f"CVSS {entry['version']} vector that does not parse: {vector}")
        elif score[0] in found or not scored_products(vuln):
            text.append(f"CVSS {entry['version']} vector: {vector}")
        else:
            found[score[0]] = score[1]
    return found, text


def vulnerability_ids(plan: Plan, vuln: Vuln, cve_seen: set[str]) -> tuple[str, list[dict[str, str]]]:
    item = vuln.item
    ids = [{"system_name": f"{plan.published.site.name} vulnerability id", "text": item["id"]}]
    for alias in item["aliases"]:
        alias = _clean(alias)
        system = "EUVD" if alias.startswith("EUVD-") else "GCVE" if alias.startswith("GCVE-") else ""
        if system:
            ids.append({"system_name": system, "text": alias})
    cve = _clean(item["cve"])
    if cve and cve in cve_seen:  # 6.1.23: one CVE, one vulnerability
        ids.append({"system_name": "CVE", "text": cve})
        cve = ""
    cve_seen.add(cve)
    return cve, ids


def vulnerability_notes(plan: Plan, vuln: Vuln, cvss_text: list[str]) -> list[dict[str, str]]:
    item = vuln.item
    notes = []
    if _clean(item["description"]):
        notes.append(_note("description", "Description", item["description"]))
    if _clean(item["cwe"]):
        notes.append(
            _note("other", "Weakness", f"{_clean(item['cwe'])} (given as text: CSAF needs the CWE's name).")
        )
    if cvss_text:
        notes.append(_note("other", "CVSS", "\n".join(cvss_text)))
    if not notes:  # 6.1.27.5: every vulnerability has a note
        notes.append(
            _note(
                "summary",
                "Summary",
                _clean(item["title"]) or _clean(plan.published.snapshot["title"]) or item["id"],
            )
        )
    return notes


def product_status(vuln: Vuln) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for word in ("fixed", "known_affected", "known_not_affected", "under_investigation"):
        ids = sorted(pid for pid, w in vuln.status.items() if w == word)
        if ids:
            out[word] = ids
    return out


def remediations(vuln: Vuln) -> list[dict[str, Any]]:
    out = []
    for (category, details, url), ids in vuln.remediations.items():
        remediation: dict[str, Any] = {"category": category, "details": details, "product_ids": sorted(ids)}
        if url:
            remediation["url"] = url
        out.append(remediation)
    return out


def threats(vuln: Vuln) -> list[dict[str, Any]]:
    return [
        {"category": "impact", "details": d, "product_ids": sorted(ids)} for d, ids in vuln.threats.items()
    ]


def flags(vuln: Vuln) -> list[dict[str, Any]]:
    return [{"label": label, "product_ids": sorted(ids)} for label, ids in vuln.flags.items()]


def vulnerability(plan: Plan, vuln: Vuln, version: str, cve_seen: set[str]) -> dict[str, Any]:
    cve, ids = vulnerability_ids(plan, vuln, cve_seen)
    scores, cvss_text = cvss_entries(plan, vuln, version)
    out: dict[str, Any] = {}
    if cve:
        out["cve"] = cve
    out["ids"] = ids
    out["notes"] = vulnerability_notes(plan, vuln, cvss_text)
    for key, value in (("product_status", product_status(vuln)), ("remediations", remediations(vuln))):
        if value:
            out[key] = value
    if scores:
        products = scored_products(vuln)
        if version == "2.0":
            out["scores"] = [{"products": products, **scores}]
        else:
            out["metrics"] = [{"content": scores, "products": products}]
    for key, value in (("threats", threats(vuln)), ("flags", flags(vuln))):
        if value:
            out[key] = value
    if _clean(vuln.item["title"]):
        out["title"] = _clean(vuln.item["title"])
    return out


def document(plan: Plan, version: str = "2.0") -> dict[str, Any]:
    """The CSAF document of `plan` in CSAF `version` ("2.0" or "2.1"); csaf21 adds what only 2.1
    can say."""
    published = plan.published
    snapshot, site = published.snapshot, published.site
    cve_seen: set[str] = set()
    vulns = [vulnerability(plan, v, version, cve_seen) for v in plan.vulns]
    notes = [
        _note(category, title, snapshot["sections"][name])  # type: ignore[literal-required]
        for name, category, title in _SECTIONS
        if _clean(snapshot["sections"][name])  # type: ignore[literal-required]
    ]
    notes += _vendor_notes(plan)
    left_out = list(plan.left_out)
    if any(c["version"] == "4.0" for v in plan.vulns for c in v.item["cvss"]) and version == "2.0":
        left_out.append(
            "CSAF 2.0 cannot carry CVSS 4.0: those vectors are given as text in the vulnerability notes."
        )
    if any(
        p.version_range and version_branch(p.version_range, version) is None for p in plan.products.values()
    ):
        left_out.append(
            "Version ranges written in words (not a vers URI or an expression like <2.1) are given in the product "
            "names only: CSAF 2.1 accepts no other range."
        )
    if any(_clean(v.item["cwe"]) for v in plan.vulns):
        left_out.append(
            "Weaknesses (CWE ids) are given as text in the vulnerability notes, without the CWE name CSAF requires."
        )
    if left_out:
        notes.append(
            _note("other", "What this CSAF document does not carry", "\n".join(f"- {t}" for t in left_out))
        )

    publisher: dict[str, Any] = {"category": "coordinator", "name": site.name, "namespace": site.url}
    if site.contact_email:
        publisher["contact_details" if version == "2.0" else "contact"] = (
            site.contact_email if version == "2.0" else {"email": site.contact_email}
        )
    doc: dict[str, Any] = {}
    if version != "2.0":
        doc["$schema"] = "https://docs.oasis-open.org/csaf/csaf/v2.1/schema/csaf.json"
    credit = _clean(snapshot["sections"]["credit"])
    header: dict[str, Any] = {}
    if credit:
        header["acknowledgments"] = [{"summary": credit}]
    title = _clean(snapshot["title"])
    header |= {
        "category": plan.category,
        "csaf_version": version,
        "distribution": {"tlp": {"label": "WHITE" if version == "2.0" else "CLEAR"}},
        "lang": "en",
        "notes": notes,
        "publisher": publisher,
        "references": _references(published, version),
        "title": f"{snapshot['case']}: {title}" if title else snapshot["case"],
        "tracking": _tracking(published),
    }
    doc["document"] = header
    tree = _product_tree(plan, version)
    if tree:
        doc["product_tree"] = tree
    if vulns:
        doc["vulnerabilities"] = vulns
    return doc


def build(published: Published) -> dict[str, Any]:
    return document(plan(published), "2.0")

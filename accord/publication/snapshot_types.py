"""The shape of a published revision (`Revision.snapshot`): the contract between the snapshot
builder, the public site, the public API and the exports (issue 12).

A snapshot is built once, through the presenter's public view, when a revision is made, and never
changes afterwards. It holds only what the public may read: anonymous vendors by alias (unless they
chose to be named at publication), no addresses, no key ids of anonymous vendors, no private text.
Dates are ISO 8601 strings in UTC ("2026-11-30T12:00:00Z") or null. Markdown sections are the
source text; pages render them with the `markdown` filter (markdown-it-py, then nh3).
"""

from __future__ import annotations

from typing import Literal, TypedDict

SCHEMA = 1

# Accord's vocabulary (accord.answers.models.VexStatus), plus "unknown" for a vendor that was
# notified and never answered: never an empty list.
StatusWord = Literal["affected", "not_affected", "fixed", "under_investigation", "unknown"]


class Sections(TypedDict):
    overview: str
    description: str
    impact: str
    solution: str
    workarounds: str
    references: str
    credit: str


class Cvss(TypedDict):
    version: str  # "3.1", "4.0"
    vector: str
    score: float | None


class ProductItem(TypedDict):
    name: str
    version_range: str
    purl: str


class VulnerabilityItem(TypedDict):
    id: str  # "VU#854306.1": stable, the case label and the vulnerability's sequence number
    title: str
    description: str
    cve: str  # "" when none
    cwe: str  # "CWE-79" or ""
    cvss: list[Cvss]
    aliases: list[str]  # other identifiers: EUVD-…, GCVE-… (issue 12)
    products: list[ProductItem]


class StatusItem(TypedDict):
    vulnerability: str  # VulnerabilityItem.id
    status: StatusWord
    product: str  # "" = the vendor's answer for everything
    version_range: str
    purl: str
    source_word: str  # the archive's own word ("Vulnerable"), "" for statuses given in Accord
    justification: str
    impact_statement: str
    fixed_version: str
    release_reference: str


class StatementItem(TypedDict):
    id: int  # accord.answers.models.Statement pk: the raw link serves its exact bytes
    version: int
    text: str  # the bytes decoded as UTF-8 (with replacement) for display; the raw link is exact
    sha256: str  # of the exact bytes
    signature_state: Literal["verified", "failed", "unsigned"]
    fingerprint: str  # "" for anonymous vendors and unverified statements
    signature_kind: str  # "none", "clearsigned", "detached"
    received_by_mail: bool
    at: str | None


class VendorItem(TypedDict):
    key: str  # stable across revisions: "p<participant pk>", or "a<archive record id>" for imports
    name: str  # the public name: the alias for an anonymous vendor
    anonymous: bool
    notified_at: str | None
    responded_at: str | None
    statement_at: str | None
    statuses: list[StatusItem]  # one "unknown" per vulnerability when the vendor never answered
    statement: StatementItem | None
    addendum: str  # the coordinator's words, shown apart from the statement; "" when none
    information: str  # the coordinator's information about the vendor (archive VendorInformation)


class TimelineItem(TypedDict):
    at: str
    what: str  # "first contact attempt", "vendor response", "fix available", "publication", …


class Snapshot(TypedDict):
    schema: int  # SCHEMA
    case: str  # "VU#854306"
    number: int  # the case's number (854306); the revision's number is Revision.number
    title: str
    sections: Sections
    vulnerabilities: list[VulnerabilityItem]
    vendors: list[VendorItem]
    timeline: list[TimelineItem]
    first_published_at: str | None  # of revision 1
    source: Literal["accord", "certcc-archive"]

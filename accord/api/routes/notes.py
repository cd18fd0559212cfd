"""Public JSON of published Vulnerability Notes (no authentication). Reads go through
accord.publication.public only: never a draft, a pending or discarded revision."""

from __future__ import annotations

from typing import Any, Literal

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Router
from pydantic import BaseModel

from accord.api.auth import rule
from accord.api.base import paginate
from accord.api.errors import ApiError
from accord.api.schemas import Error, Instant, page_of
from accord.exports import lookup
from accord.lib.ids import case_label
from accord.lib.time import rfc3339
from accord.publication import public, views_exports
from accord.publication.models import Revision

router = Router(tags=["notes"])

MAX_QUERY = 200


class NoteSummaryOut(BaseModel):
    id: str  # "VU#854306"
    title: str
    revision: int
    first_published_at: Instant | None
    published_at: Instant | None
    url: str


class CvssOut(BaseModel):
    version: str
    vector: str
    score: float | None


class ProductOut(BaseModel):
    name: str
    version_range: str
    purl: str


class VulnerabilityOut(BaseModel):
    id: str
    title: str
    description: str
    cve: str
    cwe: str
    cvss: list[CvssOut]
    aliases: list[str]
    products: list[ProductOut]


class StatusOut(BaseModel):
    vulnerability: str
    status: Literal["affected", "not_affected", "fixed", "under_investigation", "unknown"]
    product: str
    version_range: str
    purl: str
    source_word: str
    justification: str
    impact_statement: str
    fixed_version: str
    release_reference: str


class StatementOut(BaseModel):
    id: int
    version: int
    text: str
    sha256: str
    raw_url: str
    signature_url: str | None
    signature_state: Literal["verified", "failed", "unsigned"]
    fingerprint: str
    signature_kind: str
    received_by_mail: bool
    at: str | None


class VendorOut(BaseModel):
    key: str
    name: str
    anonymous: bool
    notified_at: str | None
    responded_at: str | None
    statement_at: str | None
    statuses: list[StatusOut]
    statement: StatementOut | None
    addendum: str
    information: str


class TimelineOut(BaseModel):
    at: str
    what: str


class RevisionRef(BaseModel):
    number: int
    published_at: Instant | None
    change_summary: str
    url: str


class NoteOut(BaseModel):
    id: str
    title: str
    revision: int
    published_at: Instant | None
    first_published_at: str | None
    change_summary: str
    sections: dict[str, str]
    vulnerabilities: list[VulnerabilityOut]
    vendors: list[VendorOut]
    timeline: list[TimelineOut]
    source: str
    revisions: list[RevisionRef]


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def _summary(row: Revision) -> NoteSummaryOut:
    case = row.note.case
    return NoteSummaryOut(
        id=case_label(case.number),
        title=getattr(row, "title", None) or "",
        revision=row.number or 0,
        first_published_at=row.note.first_published_at,
        published_at=row.published_at,
        url=_absolute(reverse("publication:note", args=[case.url_ref])),
    )


@router.get(
    "/notes",
    response={200: page_of(NoteSummaryOut), 400: Error},
    summary="Published Vulnerability Notes, newest first (public)",
    description="Filters: `year` (of first publication), `vendor` (its public name: the alias of an "
    "anonymous vendor), `q` (full text over published revisions; every word must appear).",
    auth=rule("public"),
)
def list_notes(
    request: HttpRequest,
    year: int | None = None,
    vendor: str = "",
    q: str = "",
    cursor: str | None = None,
    limit: int | None = None,
) -> dict[str, Any]:
    if year is not None and not 1 <= year <= 9999:
        raise ApiError(400, "year must be between 1 and 9999.", [{"field": "year", "message": "a year"}])
    if len(vendor) > MAX_QUERY or len(q) > MAX_QUERY:
        raise ApiError(400, f"vendor and q take at most {MAX_QUERY} characters.")
    rows = public.published_notes(year=year, vendor=vendor, q=q)
    return paginate(
        rows,
        ordering=("-published_at", "-id"),
        cursor=cursor,
        limit=limit,
        serialize=lambda page: [_summary(row) for row in page],
    )


def _statement(ref: str, item: dict[str, Any] | None, anonymous: bool) -> dict[str, Any] | None:
    if not item:
        return None
    raw = _absolute(reverse("publication:statement_raw", args=[ref, item["id"]]))
    signature = None
    if not anonymous and item.get("signature_kind") == "detached":
        signature = _absolute(reverse("publication:statement_signature", args=[ref, item["id"]]))
    return {**item, "raw_url": raw, "signature_url": signature}


def _vendor(ref: str, vendor: dict[str, Any], vulnerabilities: list[str]) -> dict[str, Any]:
    statuses = list(vendor.get("statuses") or [])
    if not statuses:
        # Never an empty list: a vendor without statuses is "unknown" for every vulnerability.
        statuses = [
            {
                "vulnerability": v,
                "status": "unknown",
                **dict.fromkeys(
                    (
                        "product",
                        "version_range",
                        "purl",
                        "source_word",
                        "justification",
                        "impact_statement",
                        "fixed_version",
                        "release_reference",
                    ),
                    "",
                ),
            }
            for v in vulnerabilities
        ]
    anonymous = bool(vendor.get("anonymous"))
    return {**vendor, "statuses": statuses, "statement": _statement(ref, vendor.get("statement"), anonymous)}


@router.get(
    "/notes/{case}",
    response={200: NoteOut, 404: Error, 410: Error},
    summary="A published Vulnerability Note: its latest revision, or `?revision=k` (public)",
    description="Each vendor has its statuses per vulnerability; a vendor notified that never answered "
    "has status `unknown`, never an empty list. Statements are verbatim, with a link to their exact "
    "bytes. A withdrawn note answers 410 with the reason.",
    auth=rule("public"),
)
def get_note(request: HttpRequest, case: str, revision: int | None = None) -> NoteOut:
    found = public.note_for(case, revision)
    if found is None:
        raise ApiError(404, "No published note has this id.")
    label = case_label(found.number)
    if found.withdrawn:
        withdrawn = rfc3339(found.note.withdrawn_at) if found.note.withdrawn_at else "unknown"
        raise ApiError(
            410, f"{label} was withdrawn ({withdrawn}): {found.note.withdrawn_reason or 'no reason given'}"
        )
    assert found.revision is not None
    snapshot = found.snapshot
    ref = found.note.case.url_ref
    ids = [v["id"] for v in snapshot.get("vulnerabilities", [])]
    return NoteOut(
        id=label,
        title=snapshot.get("title", ""),
        revision=found.revision.number or 0,
        published_at=found.revision.published_at,
        first_published_at=snapshot.get("first_published_at"),
        change_summary=found.revision.change_summary,
        sections=dict(snapshot.get("sections") or {}),
        vulnerabilities=snapshot.get("vulnerabilities", []),
        vendors=[VendorOut.model_validate(_vendor(ref, v, ids)) for v in snapshot.get("vendors", [])],
        timeline=snapshot.get("timeline", []),
        source=snapshot.get("source", "accord"),
        revisions=[
            RevisionRef(
                number=r.number or 0,
                published_at=r.published_at,
                change_summary=r.change_summary,
                url=_absolute(reverse("publication:revision", args=[ref, r.number])),
            )
            for r in found.history
        ],
    )


ExportFormat = Literal["csaf", "csaf21", "cve5", "osv", "openvex"]


@router.get(
    "/notes/{case}/exports/{format}",
    response={200: dict[str, Any] | list[dict[str, Any]], 400: Error, 404: Error, 410: Error},
    summary="A published note as CSAF 2.0, CSAF 2.1, CVE JSON 5.2, OSV or OpenVEX (public)",
    description="The document of the latest revision, or of `?revision=k`: the same bytes as the "
    "public URL `/vuls/{case}/csaf.json` (csaf-2.1.json, cve.json, osv.json, openvex.json) and "
    "`accord export`. `cve5` is a JSON array of CVE records, one per vulnerability with a CVE id. "
    "`csaf21` exists only when the instance sets ACCORD_CSAF_21. 404 when the note has no public "
    "revision, or when the format cannot describe this note (`detail` says why); 410 when the note "
    "was withdrawn.",
    auth=rule("public"),
)
def get_note_export(
    request: HttpRequest, case: str, format: ExportFormat, revision: int | None = None
) -> HttpResponse:
    try:
        found = lookup.export(case, format, revision)
    except lookup.Unavailable as exc:
        raise ApiError(exc.status, exc.detail)
    return views_exports.export_response(found)

"""Build a revision's snapshot (snapshot_types.Snapshot) from a case and its note.

Everything goes through the presenter's public viewer (accord.cases.presenter.Viewer.of_public),
so an anonymous vendor appears by its alias and a statement without its OpenPGP armour or an
anonymous vendor's fingerprint, unless the vendor chose to be named at publication
(Participant.named_at_publication): then it is named and signed like any named vendor. The same data always gives the same snapshot: vendors are sorted
by public name then key, statuses by vulnerability then product. The number of queries does not
depend on the number of vendors (everything is prefetched).
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.db.models import Prefetch

from accord.answers.models import Addendum, Statement, Status, VexStatus
from accord.cases.models import Case, Participant, Vulnerability
from accord.cases.presenter import Viewer, answer_of
from accord.lib.time import rfc3339 as iso
from accord.publication.models import SECTIONS, Note
from accord.publication.snapshot_types import (
    SCHEMA,
    Cvss,
    Sections,
    Snapshot,
    StatementItem,
    StatusItem,
    TimelineItem,
    VendorItem,
    VulnerabilityItem,
)


def _cvss(v: Vulnerability) -> list[Cvss]:
    out: list[Cvss] = []
    if v.cvss3_vector:
        version = "3.0" if v.cvss3_vector.startswith("CVSS:3.0") else "3.1"
        score = float(v.cvss3_score) if v.cvss3_score is not None else None
        out.append({"version": version, "vector": v.cvss3_vector, "score": score})
    if v.cvss4_vector:
        score = float(v.cvss4_score) if v.cvss4_score is not None else None
        out.append({"version": "4.0", "vector": v.cvss4_vector, "score": score})
    return out


def _vulnerabilities(case: Case) -> list[Vulnerability]:
    return list(case.vulnerabilities.order_by("seq").prefetch_related("products"))


def _vendors(case: Case) -> list[Participant]:
    return list(
        case.participants.filter(kind=Participant.Kind.VENDOR)
        .select_related("organization", "user", "answer")
        .prefetch_related(
            Prefetch(
                "statuses",
                queryset=Status.objects.select_related("vulnerability").order_by(
                    "vulnerability__seq", "product", "id"
                ),
            ),
            Prefetch(
                "statements",
                # Every vendor's latest statement is published, whether or not the vendor shared
                # it with the other participants before publication (that is all `share` says).
                queryset=Statement.objects.order_by("-version"),
                to_attr="statements_newest_first",
            ),
            Prefetch(
                "addenda", queryset=Addendum.objects.order_by("-created_at", "-id"), to_attr="addenda_list"
            ),
        )
    )


def _statement(viewer: Viewer, statement: Statement, participant: Participant) -> StatementItem:
    shown = viewer.statement(statement, participant)
    anonymous = viewer.masked(participant)  # named at publication: signed like any named vendor
    verified = statement.verification == Statement.Verification.VERIFIED
    return {
        "id": statement.pk,
        "version": statement.version,
        "text": shown.display_text,
        "sha256": hashlib.sha256(statement.text_bytes).hexdigest(),
        "signature_state": statement.verification,  # type: ignore[typeddict-item]
        "fingerprint": (shown.fingerprint or "") if verified and not anonymous else "",
        "signature_kind": "none" if anonymous else statement.signature_kind,
        "received_by_mail": statement.received_by_mail,
        "at": iso(statement.created_at),
    }


def _status(s: Status, label: str) -> StatusItem:
    return {
        "vulnerability": label,
        "status": s.status,  # type: ignore[typeddict-item]
        "product": s.product,
        "version_range": s.version_range,
        "purl": s.purl,
        "source_word": s.source_word,
        "justification": s.justification,
        "impact_statement": s.impact_statement,
        "fixed_version": s.fixed_version,
        "release_reference": s.release_reference,
    }


def _unknown(label: str) -> StatusItem:
    return _status(Status(status=VexStatus.UNKNOWN), label)


def _vendor(viewer: Viewer, p: Participant, labels: dict[int, str]) -> VendorItem | None:
    answer = answer_of(p)
    responded = answer.answered_at if answer else None
    notified = p.first_contact_at or p.v_at
    if notified is None and responded is None:
        return None  # never told of the case: not in the note
    statuses = [
        _status(s, labels[s.vulnerability_id]) for s in p.statuses.all() if s.vulnerability_id in labels
    ]
    # A vulnerability the vendor gave no status for is "unknown", explicitly, never missing.
    answered = {s["vulnerability"] for s in statuses}
    statuses += [_unknown(label) for label in labels.values() if label not in answered]
    order = {label: i for i, label in enumerate(labels.values())}
    statuses.sort(key=lambda s: (order[s["vulnerability"]], s["product"]))
    versions: list[Statement] = getattr(p, "statements_newest_first", [])
    statement = _statement(viewer, versions[0], p) if versions else None
    addenda: list[Addendum] = getattr(p, "addenda_list", [])
    return {
        "key": f"p{p.pk}",
        "name": viewer.label(p),
        "anonymous": viewer.name(p) is None,
        "notified_at": iso(notified),
        "responded_at": iso(responded),
        "statement_at": statement["at"] if statement else None,
        "statuses": statuses,
        "statement": statement,
        "addendum": addenda[0].text if addenda else "",
        "information": p.vendor_information,
    }


def build_snapshot(
    case: Case,
    note: Note,
    *,
    at: dt.datetime,
    first_published_at: dt.datetime | None = None,
    sections: dict[str, str] | None = None,
) -> Snapshot:
    """The public snapshot of `case` and `note` as published at `at`.
    `sections`: the draft's sections (default: the note's current ones)."""
    viewer = Viewer.of_public()
    source = sections if sections is not None else note.sections()
    vulnerabilities = _vulnerabilities(case)
    labels = {v.pk: f"{case.label}.{v.seq}" for v in vulnerabilities}
    vuln_items: list[VulnerabilityItem] = [
        {
            "id": labels[v.pk],
            "title": v.title,
            "description": v.description,
            "cve": v.cve,
            "cwe": v.cwe,
            "cvss": _cvss(v),
            "aliases": v.aliases,
            "products": [
                {"name": p.name, "version_range": p.version_range, "purl": p.purl} for p in v.products.all()
            ],
        }
        for v in vulnerabilities
    ]
    vendors = [item for item in (_vendor(viewer, p, labels) for p in _vendors(case)) if item is not None]
    vendors.sort(key=lambda v: (v["name"].casefold(), v["name"], int(v["key"][1:])))
    return {
        "schema": SCHEMA,
        "case": case.label,
        "number": case.number,
        "title": case.title,
        "sections": Sections(**{name: source.get(name, "") for name in SECTIONS}),  # type: ignore[typeddict-item]
        "vulnerabilities": vuln_items,
        "vendors": vendors,
        "timeline": _timeline(case, vendors, at),
        "first_published_at": iso(first_published_at or at),
        "source": "accord",
    }


def _timeline(case: Case, vendors: list[VendorItem], at: dt.datetime) -> list[TimelineItem]:
    items: list[tuple[str, int, str]] = []
    if case.first_contact_at:
        items.append((iso(case.first_contact_at) or "", 0, "first contact attempt"))
    for v in vendors:
        if v["responded_at"]:
            items.append((v["responded_at"], 1, f"vendor response: {v['name']}"))
    fixed = [s for v in vendors for s in v["statuses"] if s["status"] == "fixed"]
    fix_at = min(
        (v["responded_at"] or "" for v in vendors if any(s["status"] == "fixed" for s in v["statuses"])),
        default="",
    )
    if fixed and fix_at:
        items.append((fix_at, 2, "fix available"))
    items.append((iso(at) or "", 3, "publication"))
    items.sort()
    return [{"at": when, "what": what} for when, _, what in items]

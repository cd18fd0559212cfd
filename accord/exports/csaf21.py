"""CSAF 2.1 export (issue 12), pinned to the draft stage PyPI csaf validates (CSD04,
`csaf validate --spec-version v21csd04`); 2.1 is not an OASIS Standard yet.

The document is the CSAF 2.0 one built from the same plan (csaf.plan), in 2.1's words (TLP CLEAR,
`metrics` that may carry CVSS 4.0, `purls`, the publisher's `contact`), plus what only 2.1 can
say: the disclosure history as `document.involvement`, so a vendor that never answered (a
notification "attempted") is told apart from one that assessed the case and is not affected.
No license expression: the instance has no setting for one, and none is invented.
"""

from __future__ import annotations

import re
from typing import Any

from accord.exports import csaf
from accord.exports.source import Published

COORDINATOR = "EID-coordinator"
_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
NO_EMBARGO = (
    "The embargo is not part of the note's public record, so the disclosure history (involvement) has no "
    "embargo action."
)


def _when(at: str | None) -> str | None:
    """An RFC 3339 instant, or None: the archive has dates like "200-04-25" (year 200), which are
    no date-time; such an action is left out like one without a date."""
    return at if at and _INSTANT.match(at) else None


def _entity(vendor_key: str) -> str:
    return f"EID-{vendor_key}"  # keys are "p<pk>" or "a<record>": stable across revisions


ARCHIVE_COORDINATOR = "CERT Coordination Center (CERT/CC)"


def _sentence(text: str) -> str:
    """A full stop, unless the text already ends with one ("Nortel Networks, Inc.")."""
    return text if text.endswith(".") else text + "."


def involvement(plan: csaf.Plan) -> dict[str, Any] | None:
    """The parties (the coordinator and each vendor by its public name) and what they did, from
    the vendors' dates: notification (completed when the vendor answered, else attempted), the
    vendor's assessment when it answered, and a fix release for the products it reported fixed.
    Actions without a date are left out; disputes are not in the snapshot."""
    published = plan.published
    site = published.site
    # An archived note was coordinated by CERT/CC, not by this instance, which only republishes it.
    archived = published.snapshot.get("source") == "certcc-archive"
    coordinator_name = ARCHIVE_COORDINATOR if archived else site.name
    coordinator: dict[str, Any] = {
        "category": "coordinator",
        "entity_id": COORDINATOR,
        "name": coordinator_name,
    }
    if site.contact_email and not archived:
        coordinator["contact"] = {"email": site.contact_email}
    entities = [coordinator]
    actions: list[dict[str, Any]] = []
    for vendor in published.snapshot["vendors"]:
        key, name = vendor["key"], vendor["name"].strip() or vendor["key"]
        entity = _entity(key)
        entities.append({"category": "vendor", "entity_id": entity, "name": name})
        notified, answered = _when(vendor["notified_at"]), _when(vendor["responded_at"])
        products = sorted(p.pid for p in plan.products.values() if p.vendor_key == key)
        fixed = sorted(
            {pid for v in plan.vulns for pid, word in v.status.items() if word == "fixed" and pid in products}
        )
        if notified:
            actions.append(
                {
                    "acting_entity_refs": [COORDINATOR],
                    "action_id": f"notification-{key}",
                    "category": "notification",
                    "date": notified,
                    "receiving_entity_refs": [entity],
                    "status": "completed" if vendor["responded_at"] else "attempted",
                    "summary": _sentence(f"{coordinator_name} notified {name}"),
                }
            )
        if answered:
            action = {
                "acting_entity_refs": [entity],
                "action_id": f"assessment-{key}",
                "category": "assessment",
                "date": answered,
                "status": "completed",
                "summary": _sentence(f"{name} answered"),
            }
            if products:
                action["product_ids"] = products
            actions.append(action)
        released = answered or _when(vendor["statement_at"])
        if fixed and released:
            actions.append(
                {
                    "acting_entity_refs": [entity],
                    "action_id": f"fix_release-{key}",
                    "category": "fix_release",
                    "date": released,
                    "product_ids": fixed,
                    "status": "completed",
                    "summary": _sentence(f"{name} reported a fix"),
                }
            )
    if not actions:
        return None
    actions.sort(key=lambda a: (a["date"], a["action_id"]))
    return {"actions": actions, "entities": entities}


def build(published: Published) -> dict[str, Any]:
    plan = csaf.plan(published, "2.1")
    plan.left_out.append(NO_EMBARGO)
    doc = csaf.document(plan, "2.1")
    record = involvement(plan)
    if record is not None:
        doc["document"]["involvement"] = record
    return doc

"""The case timeline as people read it: who, what, and the details, with anonymity kept."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from accord.cases.anonymity import Viewer
from accord.cases.event_visibility import PARTICIPANT_KEYS
from accord.cases.models import CaseEvent, Participant
from accord.cases.views.common import parse_instant

KIND_WORDS = {
    "report.received": "Report received",
    "report.validate": "Report validated",
    "report.invalidate": "Report marked invalid",
    "report.defer": "Report deferred",
    "report.accept": "Report accepted",
    "report.duplicate": "A duplicate report was linked",
    "report.close": "Report closed",
    "report.note": "Message on the report",
    "report.assigned": "Report assigned",
    "case.updated": "Case edited",
    "case.analysts": "Analysts assigned",
    "vulnerability.added": "Vulnerability added",
    "vulnerability.updated": "Vulnerability edited",
    "product.added": "Product added",
    "participant.added": "Participant added",
    "contact.attempt": "Contact attempt",
    "policy.applied": "Current policy applied",
    "embargo.proposed": "Embargo proposed",
    "embargo.accepted": "Embargo accepted",
    "embargo.rejected": "Embargo proposal rejected",
    "embargo.terminated": "Embargo terminated",
    "embargo.expired": "Embargo ended at its end instant",
    "fact.set": "Case state set",
    "fact.claimed": "Case state claimed",
    "fact.confirmed": "Claim confirmed",
    "fact.dismissed": "Claim dismissed",
    "fact.vendor": "Vendor state set",
    "ssvc.triage": "SSVC coordinator triage",
    "ssvc.publish": "SSVC coordinator publish",
    "participants.added": "Vendors added",
    "vendors.notified": "Vendors notified",
    "participant.seen": "Opened the case for the first time",
    "participant.claimed": "Account claimed from a notification",
    "participant.claim_approved": "Claimed account approved",
    "participant.tracking_id": "Tracking id set",
    "participant.member_access": "Members who see the case chosen",
    "embargo.joined": "Embargo accepted by a participant",
    "embargo.declined": "Embargo declined by a participant",
    "answer.submitted": "Answer submitted",
    "answer.addendum": "Coordinator's addendum",
    "answer.info_answered": "Request for information answered",
    "case.vendor_texts": "Vendor-facing texts edited",
}
LABELS = {
    "old": "from",
    "new": "to",
    "ends_at": "ends",
    "current_ends_at": "current end",
    "old_ends_at": "previous end",
    "rejected_ends_at": "rejected end",
    "at": "at",
    "target_publication_at": "target publication date",
    "old_target": "previous target",
    "target": "target",
    "days": "days",
    "old_days": "previous days",
}


@dataclass
class Detail:
    label: str
    text: str = ""
    instant: Any = None


@dataclass
class Entry:
    event: CaseEvent
    what: str
    who: str
    details: list[Detail]


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return "—"
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ", ".join(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def participant_name(participant: Participant, viewer: Viewer) -> str:
    """The alias, with the real name where accord.cases.anonymity's Viewer allows it."""
    if viewer.sees_real_name(participant):
        real = participant.real_name
        return participant.alias if real == participant.alias else f"{real} ({participant.alias})"
    return participant.alias


def _who(event: CaseEvent, viewer: Viewer) -> str:
    actor = event.actor
    if event.participant is not None and (actor is None or not actor.is_coordinator_staff):
        return participant_name(event.participant, viewer)
    if actor is None:
        return "Accord"
    if viewer.is_coordinator or actor.is_coordinator_staff:
        return actor.display_name if actor.pk != viewer.user_id else f"{actor.display_name} (you)"
    return "You" if actor.pk == viewer.user_id else "A participant"


def _flatten(label: str, value: Any, out: list[Detail], depth: int = 0) -> None:
    if value in ("", None, [], {}):
        return
    if isinstance(value, dict) and depth < 3:
        for key, inner in value.items():
            _flatten(f"{label} {LABELS.get(key, key.replace('_', ' '))}", inner, out, depth + 1)
        return
    instant = parse_instant(value)
    out.append(Detail(label, "" if instant else _text(value), instant))


def describe(event: CaseEvent, viewer: Viewer) -> Entry:
    details: list[Detail] = []
    for key, value in (event.data or {}).items():
        if not viewer.is_coordinator and key not in PARTICIPANT_KEYS:
            continue
        _flatten(LABELS.get(key, key.replace("_", " ")), value, details)
    return Entry(
        event=event,
        what=KIND_WORDS.get(event.kind, event.kind),
        who=_who(event, viewer),
        details=details,
    )

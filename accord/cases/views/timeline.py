"""The timeline as people read it: who, what and the details, laid out for a page.

What a viewer may see of each event (its audience, its keys, the actor's label) is decided by
accord.cases.presenter; this module only turns the shown data into readable lines.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from accord.cases.events import KINDS
from accord.cases.models import CaseEvent
from accord.cases.presenter import Shown
from accord.cases.views.common import parse_instant

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


def _flatten(label: str, value: Any, out: list[Detail], depth: int = 0) -> None:
    if value in ("", None, [], {}):
        return
    if isinstance(value, dict) and depth < 3:
        for key, inner in value.items():
            _flatten(f"{label} {LABELS.get(key, key.replace('_', ' '))}", inner, out, depth + 1)
        return
    instant = parse_instant(value)
    out.append(Detail(label, "" if instant else _text(value), instant))


def describe(shown: Shown) -> Entry:
    details: list[Detail] = []
    for key, value in shown.data.items():
        _flatten(LABELS.get(key, key.replace("_", " ")), value, details)
    who = "you" if shown.who.me else shown.who.name
    return Entry(event=shown.event, what=shown.what, who=who, details=details)


def kind_choices(kinds: list[str]) -> list[tuple[str, str]]:
    """(kind, words) for a timeline filter."""
    return [(k, KINDS[k].words if k in KINDS else k) for k in kinds]

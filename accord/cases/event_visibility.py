"""Which timeline events, and which of their details, participants see. Analysts see everything.

One rule for the case page and the API, so neither can show what the other hides.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet

from accord.cases.models import CaseEvent

# Coordinator-internal events that participants do not see.
INTERNAL_KINDS = ("report.note", "report.assigned", "ssvc.triage", "ssvc.publish", "case.analysts")
# The details participants see; anything else (names, notes, addresses) stays with the analysts.
PARTICIPANT_KEYS = frozenset(
    {
        "old",
        "new",
        "ends_at",
        "current_ends_at",
        "old_ends_at",
        "rejected_ends_at",
        "reason",
        "fact",
        "facts",
        "evidence",
        "at",
        "first",
        "target_publication_at",
        "days",
        "old_days",
        "target",
        "old_target",
        "vulnerability",
        "name",
        "version_range",
        "purl",
        "embargo",
        "embargo_ends_at",
        "termination_due",
        "case_number",
        "changes",
    }
)
# Events about one participant that only that participant's own members see (another vendor's
# tracking id, its answers or its claim are not co-participants' business).
OWN_KINDS = (
    "participant.tracking_id",
    "participant.member_access",
    "participant.seen",
    "participant.claimed",
    "participant.claim_approved",
    "answer.submitted",
    "answer.addendum",
    "answer.info_answered",
)


def events_for_participant(
    events: QuerySet[CaseEvent], own_participant_ids: Iterable[int]
) -> QuerySet[CaseEvent]:
    return events.exclude(kind__in=INTERNAL_KINDS).exclude(
        Q(kind__in=OWN_KINDS) & ~Q(participant_id__in=list(own_participant_ids))
    )


def participant_data(data: dict[str, Any]) -> dict[str, Any]:
    """The details of an event a participant may see."""
    return {key: value for key, value in data.items() if key in PARTICIPANT_KEYS}

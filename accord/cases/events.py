from __future__ import annotations

from typing import Any

from accord.cases.models import Case, CaseEvent, Participant, Report


def record(
    kind: str,
    /,
    *,
    case: Case | None = None,
    report: Report | None = None,
    actor: Any = None,
    participant: Participant | None = None,
    **data: Any,
) -> CaseEvent:
    """Append one event to the timeline. `data` holds old and new values, JSON-ready."""
    return CaseEvent.objects.create(
        case=case,
        report=report,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        participant=participant,
        kind=kind,
        data=data,
    )

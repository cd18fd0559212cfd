"""The analyst's part of the dashboard: what needs attention. One query per list."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from accord.cases.models import Case, FactReport, Participant, Report
from accord.cases.states import EM, RM

LIST_LIMIT = 50


def notify_next(cases: Any) -> Any:
    """Public cases (P) with vendors not yet aware (no V): notifying them comes next (process.md)."""
    unaware = Participant.objects.filter(kind=Participant.Kind.VENDOR, v_at__isnull=True).values("case_id")
    return cases.filter(p_at__isnull=False, pk__in=unaware).order_by("p_at")


def analyst_sections(user: Any) -> dict[str, Any]:
    now = timezone.now()
    near = now + dt.timedelta(days=settings.TARGET_NEAR_DAYS)
    cases = Case.objects.filter(quiet=False)
    mine = (
        cases.filter(
            Q(owner=user) | Q(pk__in=Case.analysts.through.objects.filter(user=user).values("case_id"))
        )
        .select_related("owner")
        .order_by("target_publication_at", "-created_at")
    )
    return {
        "now": now,
        "near_days": settings.TARGET_NEAR_DAYS,
        "my_cases": list(mine[:LIST_LIMIT]),
        "target_near": list(
            cases.filter(target_publication_at__isnull=False, target_publication_at__lte=near).order_by(
                "target_publication_at"
            )[:LIST_LIMIT]
        ),
        "termination_due": list(
            cases.filter(
                embargo_termination_due=True, embargo_state__in=(EM.ACTIVE, EM.REVISE, EM.PROPOSED)
            ).order_by("embargo_ends_at")[:LIST_LIMIT]
        ),
        "claims": list(
            FactReport.objects.filter(confirmed_at__isnull=True, dismissed_at__isnull=True, case__quiet=False)
            .select_related("case")
            .order_by("created_at")[:LIST_LIMIT]
        ),
        "triage": list(
            Report.objects.filter(state__in=(RM.RECEIVED, RM.VALID), case__isnull=True)
            .select_related("assigned_to")
            .order_by("created_at")[:LIST_LIMIT]
        ),
        "early": list(
            cases.filter(Q(x_at__isnull=False) | Q(a_at__isnull=False)).order_by("-created_at")[:LIST_LIMIT]
        ),
        "notify_next": list(notify_next(cases)[:LIST_LIMIT]),
        "list_limit": LIST_LIMIT,
    }

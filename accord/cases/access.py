"""The one access gate for reports and cases. Missing and forbidden give the same 404."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from accord.accounts.models import hash_secret
from accord.cases.models import Case, Participant, Report
from accord.lib.ids import parse_case_ref


def reports_visible_to(user: Any) -> QuerySet[Report]:
    if not getattr(user, "is_authenticated", False):
        return Report.objects.none()
    if user.is_analyst:
        return Report.objects.all()
    return Report.objects.filter(submitted_by=user)


def access_report(user: Any, report_id: str) -> Report:
    report = reports_visible_to(user).filter(pk=str(report_id)).first()
    if report is None:
        raise Http404("No such report.")
    return report


def access_report_by_key(key: str) -> Report:
    """The private follow link of an (anonymous) reporter."""
    report = Report.objects.filter(access_key_hash=hash_secret(key or "")).first() if key else None
    if report is None:
        raise Http404("No such report.")
    return report


def cases_visible_to(user: Any) -> QuerySet[Case]:
    if not getattr(user, "is_authenticated", False):
        return Case.objects.none()
    if user.is_analyst:
        return Case.objects.all()
    # A vendor admin may narrow a case to some members (CaseMemberAccess); no rows means everyone.
    mine = Participant.objects.filter(
        Q(user=user)
        | (
            Q(organization__memberships__user=user)
            & (Q(member_access__isnull=True) | Q(member_access__user=user))
        )
    ).exclude(embargo_answer=Participant.EmbargoAnswer.DECLINED)
    return Case.objects.filter(pk__in=mine.values("case_id"))


def access_case(user: Any, ref: str | int, need: str = "read") -> Case:
    """Fetch a case for `user`. need: "read" (participants and analysts) or "write" (analysts)."""
    number = ref if isinstance(ref, int) else parse_case_ref(str(ref))
    if number is None:
        raise Http404("No such case.")
    case = cases_visible_to(user).filter(number=number).first()
    if case is None:
        raise Http404("No such case.")
    if need in ("write", "publish") and not user.is_analyst:
        raise Http404("No such case.")
    if need == "publish" and not user.is_publisher:
        raise Http404("No such case.")
    return case


def own_participants(user: Any, case: Case) -> QuerySet[Participant]:
    """The caller's own participant rows in `case`: their organisations', or theirs as a person."""
    if not getattr(user, "is_authenticated", False):
        return Participant.objects.none()
    return case.participants.filter(Q(user=user) | Q(organization__memberships__user=user))


def participant_of(user: Any, case: Case) -> Participant | None:
    return own_participants(user, case).select_related("organization").first()

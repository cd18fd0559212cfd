"""The one access gate for reports and cases. Missing and forbidden give the same 404.

`access_case(user, ref, need=...)` is the only way code fetches a case for a person. It
returns the caller's `Standing`: the case, the caller's own participant rows in it, their
embargo answers and whether the caller is coordinator staff. Pages, API routes, actions,
jobs and the presenter read the standing; none of them re-derives it.

The caller is a user, or a `ReporterKey`: whoever holds a report's follow secret (the reporter,
who may have no account). A key reaches its own report and, once the report is accepted, that
report's case through the reporter's participant row (Participant.report); nothing else.

Coordinator rights come only from a staff role (process.md "Who is the coordinator"): a
member of the coordinator organisation without one sees no case it does not participate in.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import Http404

from accord.accounts.models import hash_secret
from accord.cases.models import Case, Participant, Report
from accord.cases.states import EM
from accord.lib.errors import RuleViolation
from accord.lib.ids import parse_case_ref

Need = Literal["terms", "read", "act", "write", "publish"]
NEEDS: tuple[str, ...] = ("terms", "read", "act", "write", "publish")
# Embargo states a participant must accept before seeing details (process.md "Joining an embargo").
ANSWERING = (EM.ACTIVE, EM.REVISE)


@dataclass(frozen=True, eq=False)
class ReporterKey:
    """Whoever holds a report's follow secret: its reporter, with or without an account.

    It is no user and never becomes request.user. Where a caller goes (`access_case(key, ...)`,
    an action's `by`) it reaches that report and its case as the reporter's participant, and is
    an outsider to everything else: not signed in, no role.
    """

    report: Report

    pk = None
    is_authenticated = False
    is_active = False
    is_analyst = False
    is_publisher = False
    is_coordinator_admin = False
    is_coordinator_staff = False

    def __repr__(self) -> str:
        return f"<ReporterKey of {self.report.pk}>"


def reporter_key(secret: str) -> ReporterKey | None:
    """The holder of the report whose follow secret this is, or None. Accord's API tokens
    (`accord_…`) are never follow secrets, so the two credentials cannot be confused."""
    secret = (secret or "").strip()
    if not secret or len(secret) > 200 or secret.startswith(settings.API_TOKEN_PREFIX):
        return None
    report = Report.objects.filter(access_key_hash=hash_secret(secret)).select_related("case").first()
    return ReporterKey(report) if report is not None else None


def _signed_in(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_active", False))


def is_staff(user: Any) -> bool:
    """Coordinator staff (analyst, publisher or admin): the only source of coordinator rights."""
    return _signed_in(user) and bool(user.is_analyst)


# --- Reports ----------------------------------------------------------------------------------------


def reports_visible_to(user: Any) -> QuerySet[Report]:
    if isinstance(user, ReporterKey):
        return Report.objects.filter(pk=user.report.pk)
    if not _signed_in(user):
        return Report.objects.none()
    if is_staff(user):
        return Report.objects.all()
    return Report.objects.filter(submitted_by=user)


def access_report(user: Any, report_id: str) -> Report:
    report = reports_visible_to(user).filter(pk=str(report_id)[:32]).first()
    if report is None:
        raise Http404("No such report.")
    return report


def access_report_by_key(key: str) -> Report:
    """The private follow link of an (anonymous) reporter."""
    report = Report.objects.filter(access_key_hash=hash_secret(key or "")).first() if key else None
    if report is None:
        raise Http404("No such report.")
    return report


def reporter_rows(key: ReporterKey) -> QuerySet[Participant]:
    """The reporter's participant row that a follow secret stands for (none before acceptance)."""
    return Participant.objects.filter(report=key.report, kind=Participant.Kind.REPORTER).exclude(
        embargo_answer=Participant.EmbargoAnswer.DECLINED
    )


# --- Cases ------------------------------------------------------------------------------------------


def _own_rows(user: Any) -> Q:
    """Participant rows through which `user` takes part: as a person, or as a member of the
    organisation (narrowed by the vendor admin's choice of members, CaseMemberAccess). The
    coordinator's own rows give nothing to non-staff, and a declined embargo closes the case."""
    return (
        (
            Q(user=user)
            | (
                Q(organization__memberships__user=user)
                & (Q(member_access__isnull=True) | Q(member_access__user=user))
            )
        )
        & ~Q(kind=Participant.Kind.COORDINATOR)
        & ~Q(embargo_answer=Participant.EmbargoAnswer.DECLINED)
    )


@dataclass(frozen=True)
class Standing:
    """What the caller is to one case. Staff see everything; others through their own rows."""

    case: Case
    user: Any
    staff: bool
    publisher: bool
    own: tuple[Participant, ...] = ()
    own_ids: frozenset[int] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "own_ids", frozenset(p.pk for p in self.own))

    @property
    def participant(self) -> Participant | None:
        """The caller's participation (its vendor row first), for actions taken as a participant."""
        return self.vendor or (self.own[0] if self.own else None)

    @property
    def vendor(self) -> Participant | None:
        return next((p for p in self.own if p.kind == Participant.Kind.VENDOR), None)

    @property
    def embargo_pending(self) -> bool:
        """A vendor invited into an Active embargo that its organisation has not accepted yet:
        it sees only the terms, and may only accept or decline."""
        if self.staff or self.case.embargo_state not in ANSWERING:
            return False
        vendors = [p for p in self.own if p.kind == Participant.Kind.VENDOR]
        others = [p for p in self.own if p.kind != Participant.Kind.VENDOR]
        return (
            bool(vendors)
            and not others
            and all(p.embargo_answer != Participant.EmbargoAnswer.ACCEPTED for p in vendors)
        )

    @property
    def reaches(self) -> bool:
        return self.staff or bool(self.own)

    def speaks_for(self, participant: Participant) -> bool:
        """May act for `participant`: its own members (past the embargo gate), or staff for anyone."""
        if self.staff:
            return True
        return participant.pk in self.own_ids and not self.embargo_pending

    def over(self, case: Case) -> Standing:
        """The same standing over `case` as an action returned it (fresh fields, same rows)."""
        return dataclasses.replace(self, case=case)

    def check(self, need: str) -> Standing:
        """Raise unless the caller has `need`: 404 when it must not know the case, 409 when it
        must first accept the embargo."""
        if need not in NEEDS:
            raise ValueError(f"unknown need {need!r}")
        if not self.reaches:
            raise Http404("No such case.")
        if need in ("write", "publish") and not self.staff:
            raise Http404("No such case.")
        if need == "publish" and not self.publisher:
            raise Http404("No such case.")
        if need in ("read", "act") and self.embargo_pending:
            raise RuleViolation(
                "embargo-accept-first",
                "Your organisation must accept the embargo before it sees or acts on the case; "
                "read its terms and accept or decline",
            )
        return self


def standing_of(user: Any, case: Case) -> Standing:
    """The caller's standing in `case` (one query for a participant, none for staff)."""
    if isinstance(user, ReporterKey):
        return standing_of_reporter(user, case)
    if not _signed_in(user):
        return Standing(case, user, False, False)
    if is_staff(user):
        return Standing(case, user, True, bool(user.is_publisher))
    own = tuple(
        Participant.objects.filter(_own_rows(user), case=case)
        .select_related("organization", "user")
        .distinct()
        .order_by("id")
    )
    return Standing(case, user, False, False, own)


def standing_of_reporter(key: ReporterKey, case: Case) -> Standing:
    """The follow secret's standing in `case`: the reporter's participant row when `case` is its
    report's case, else no standing at all (so 404). No user: the presenter treats the caller
    as that participant, which sees what the case's participants may see."""
    own = tuple(reporter_rows(key).filter(case=case).select_related("organization", "user").order_by("id"))
    return Standing(case, key, False, False, own)


def standings_of(user: Any, cases: list[Case]) -> dict[int, Standing]:
    """Standings for a page of cases, in one query."""
    if isinstance(user, ReporterKey) or not _signed_in(user) or is_staff(user):
        return {c.pk: standing_of(user, c) for c in cases}
    rows: dict[int, list[Participant]] = {}
    for p in (
        Participant.objects.filter(_own_rows(user), case__in=cases)
        .select_related("organization", "user")
        .distinct()
        .order_by("id")
    ):
        rows.setdefault(p.case_id, []).append(p)
    return {c.pk: Standing(c, user, False, False, tuple(rows.get(c.pk, ()))) for c in cases}


def own_participations(user: Any) -> QuerySet[Participant]:
    """Every participant row through which `user` takes part in a case, across cases."""
    if isinstance(user, ReporterKey):
        return reporter_rows(user)
    if not _signed_in(user):
        return Participant.objects.none()
    return Participant.objects.filter(_own_rows(user)).distinct()


def cases_visible_to(user: Any) -> QuerySet[Case]:
    """Every case `user` reaches (at least its terms): lists and search start here."""
    if isinstance(user, ReporterKey):
        return Case.objects.filter(pk__in=reporter_rows(user).values("case_id"))
    if not _signed_in(user):
        return Case.objects.none()
    if is_staff(user):
        return Case.objects.all()
    return Case.objects.filter(pk__in=Participant.objects.filter(_own_rows(user)).values("case_id"))


def access_case(user: Any, ref: str | int, need: str = "read") -> Standing:
    """The case named by `ref` with the caller's standing, or 404 (missing and forbidden alike).

    need: "terms" (an invited participant may read the embargo terms), "read" and "act" (an
    accepted participant, or staff), "write" (analysts), "publish" (publishers).
    """
    number = ref if isinstance(ref, int) else parse_case_ref(str(ref))
    if number is None or not (_signed_in(user) or isinstance(user, ReporterKey)):
        raise Http404("No such case.")
    case = Case.objects.filter(number=number).select_related("owner").first()
    if case is None:
        raise Http404("No such case.")
    return standing_of(user, case).check(need)


# --- Threads ----------------------------------------------------------------------------------------


def threads_visible(standing: Standing) -> QuerySet[Any]:
    """The threads of the standing's case its holder may read: staff every thread; a participant
    past the embargo gate the case discussion, its own private thread and the topics it is a
    member of. Nobody else reads any (an invited vendor sees no thread before it accepts)."""
    from accord.conversation.models import Thread

    threads = Thread.objects.filter(case=standing.case)
    if standing.staff:
        return threads
    if not standing.own or standing.embargo_pending:
        return Thread.objects.none()
    own = list(standing.own_ids)
    return threads.filter(
        Q(kind=Thread.Kind.CASE)
        | Q(kind=Thread.Kind.PRIVATE, participant__in=own)
        | Q(
            kind=Thread.Kind.TOPIC,
            pk__in=Thread.members.through.objects.filter(participant__in=own).values("thread"),
        )
    )


def access_thread(standing: Standing, thread_id: Any) -> Any:
    """One thread of the case the standing may read, or 404 (missing and forbidden alike)."""
    from accord.lib.ids import parse_id

    number = parse_id(thread_id)
    thread = threads_visible(standing).filter(pk=number).first() if number is not None else None
    if thread is None:
        raise Http404("No such thread.")
    return thread

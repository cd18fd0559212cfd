"""The vendor table of a case: filters, counts per filter and pages, for the Vendors tab and
for GET /api/v1/cases/{case}/participants alike.

Filters (all optional, combined with "and"):
- `status`: the vendor gave that status (affected, not_affected, fixed, under_investigation) for
  any vulnerability of the case, or for the one named by `vulnerability`; `unknown` also matches
  a vendor that gave no status at all. `not_shared`: vendors whose answer the viewer may not see.
- `answered`: whether the vendor has answered; `notified`: whether a notification reached it.
- `q`: part of the name as the viewer sees it (an anonymous vendor only by its alias).
- `unresponsive` (the coordinator only; ignored for others): whether the vendor is marked
  unresponsive (accord.cases.reminders).

What a viewer may see comes from the presenter (accord.cases.presenter.Viewer): a vendor's status
is visible to the coordinator, to the vendor's own members, and to others only when it shared
its answer. The status filter and its counts therefore run only over the answers the viewer may
see, so that no count tells an unshared status. Whether a vendor was notified and whether it
answered are visible to every participant (process.md "Vendor answers").

Every function here costs a fixed number of queries, whatever the number of vendors.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from accord.answers.models import Status, VexStatus
from accord.cases.models import Case, Participant
from accord.cases.presenter import Viewer
from accord.cases.reminders import with_responses
from accord.lib.ids import parse_id

STATUSES: tuple[str, ...] = (
    VexStatus.AFFECTED.value,
    VexStatus.NOT_AFFECTED.value,
    VexStatus.FIXED.value,
    VexStatus.UNDER_INVESTIGATION.value,
    VexStatus.UNKNOWN.value,
)
NOT_SHARED = "not_shared"
STATUS_FILTERS: tuple[str, ...] = (*STATUSES, NOT_SHARED)
STATUS_LABELS = {
    "affected": "Affected",
    "not_affected": "Not affected",
    "fixed": "Fixed",
    "under_investigation": "Under investigation",
    "unknown": "Unknown",
    NOT_SHARED: "Not shared",
}
PAGE_SIZES = (50, 100)
SEARCH_LIMIT = 100


@dataclass(frozen=True)
class VendorFilters:
    status: str = ""
    answered: bool | None = None
    notified: bool | None = None
    q: str = ""
    vulnerability: int | None = None  # a vulnerability's seq in the case (VU#123456.<seq>)
    unresponsive: bool | None = None  # the coordinator only (for_viewer drops it for others)
    per: int = PAGE_SIZES[0]

    @classmethod
    def from_query(cls, params: Any) -> VendorFilters:
        """From a page's GET parameters. A value that means nothing is ignored, never an error."""
        status = str(params.get("status", "") or "")
        per = parse_id(params.get("per"))
        return cls(
            status=status if status in STATUS_FILTERS else "",
            answered=_yes_no(params.get("answered")),
            notified=_yes_no(params.get("notified")),
            q=" ".join(str(params.get("q", "") or "").replace("\x00", "").split())[:SEARCH_LIMIT],
            vulnerability=parse_id(params.get("vulnerability")),
            unresponsive=_yes_no(params.get("unresponsive")),
            per=per if per in PAGE_SIZES else PAGE_SIZES[0],
        )

    def for_viewer(self, viewer: Viewer) -> VendorFilters:
        """These filters as `viewer` may use them: only the coordinator asks who is unresponsive."""
        return self if viewer.staff else replace(self, unresponsive=None)

    @property
    def active(self) -> bool:
        return bool(
            self.status
            or self.answered is not None
            or self.notified is not None
            or self.q
            or self.vulnerability
            or self.unresponsive is not None
        )

    def params(self, **changes: Any) -> dict[str, str]:
        """The GET parameters of these filters (with `changes`), leaving out the defaults."""
        chosen = replace(self, **changes)
        out: dict[str, str] = {}
        if chosen.q:
            out["q"] = chosen.q
        if chosen.vulnerability:
            out["vulnerability"] = str(chosen.vulnerability)
        if chosen.status:
            out["status"] = chosen.status
        if chosen.answered is not None:
            out["answered"] = "yes" if chosen.answered else "no"
        if chosen.notified is not None:
            out["notified"] = "yes" if chosen.notified else "no"
        if chosen.unresponsive is not None:
            out["unresponsive"] = "yes" if chosen.unresponsive else "no"
        if chosen.per != PAGE_SIZES[0]:
            out["per"] = str(chosen.per)
        return out

    def query(self, **changes: Any) -> str:
        """The URL query of these filters with `changes` ("" for none): paging keeps them."""
        return urlencode(self.params(**changes))


def _yes_no(value: Any) -> bool | None:
    text = str(value or "").strip().lower()
    if text in ("yes", "true", "1"):
        return True
    if text in ("no", "false", "0"):
        return False
    return None


def vendors_in(case: Case) -> QuerySet[Participant]:
    return Participant.objects.filter(case=case, kind=Participant.Kind.VENDOR)


def _statuses(vulnerability_id: int | None) -> QuerySet[Status]:
    rows = Status.objects.filter(participant_id=OuterRef("pk"))
    if vulnerability_id is not None:
        rows = rows.filter(vulnerability_id=vulnerability_id)
    return rows


def status_condition(status: str, vulnerability_id: int | None) -> Q:
    """Vendors that gave `status` (for the vulnerability, when one is named). "unknown" also
    matches vendors that gave no status."""
    gave = Q(Exists(_statuses(vulnerability_id).filter(status=status)))
    if status == VexStatus.UNKNOWN:
        return gave | ~Q(Exists(_statuses(vulnerability_id)))
    return gave


ANSWERED = Q(answer__answered_at__isnull=False)
NOTIFIED = Q(first_contact_at__isnull=False)
UNRESPONSIVE = Q(unresponsive=True)  # on participants loaded through with_responses


@dataclass
class VendorQuery:
    """The filters applied for one viewer on one case."""

    case: Case
    viewer: Viewer
    filters: VendorFilters
    vulnerability_id: int | None = None

    @classmethod
    def of(cls, case: Case, viewer: Viewer, filters: VendorFilters) -> VendorQuery:
        filters = filters.for_viewer(viewer)
        vulnerability_id = None
        if filters.vulnerability:
            # No such vulnerability: a status filter on it matches nothing (id 0 names no row).
            found = case.vulnerabilities.filter(seq=filters.vulnerability).values_list("pk", flat=True)
            vulnerability_id = next(iter(found), 0)
        return cls(case, viewer, filters, vulnerability_id)

    @property
    def visible(self) -> Q | None:
        return self.viewer.answers_visible()

    def status_q(self, status: str) -> Q:
        """The status filter as this viewer may apply it: only over answers it may see."""
        if status == NOT_SHARED:
            visible = self.visible
            # To the coordinator, "not shared" is the vendor's own choice not to share its answer.
            return ~Q(answer__share=True) if visible is None else ~visible
        condition = status_condition(status, self.vulnerability_id)
        visible = self.visible
        return condition if visible is None else condition & visible

    def conditions(self, *, skip: str = "") -> Q:
        f = self.filters
        q = Q()
        if f.q:
            q &= self.viewer.name_matches(f.q)
        if f.status and skip != "status":
            q &= self.status_q(f.status)
        if f.answered is not None and skip != "answered":
            q &= ANSWERED if f.answered else ~ANSWERED
        if f.notified is not None and skip != "notified":
            q &= NOTIFIED if f.notified else ~NOTIFIED
        if f.unresponsive is not None and skip != "unresponsive":
            q &= UNRESPONSIVE if f.unresponsive else ~UNRESPONSIVE
        return q

    def apply(self, queryset: QuerySet[Participant], *, skip: str = "") -> QuerySet[Participant]:
        """`queryset` (this case's participants; for the coordinator loaded through
        with_responses) narrowed to vendors matching the filters."""
        return queryset.filter(kind=Participant.Kind.VENDOR).filter(self.conditions(skip=skip))

    def vendors(self) -> QuerySet[Participant]:
        """The case's vendors; for the coordinator with their responses and unresponsive mark."""
        vendors = vendors_in(self.case)
        return with_responses(vendors) if self.viewer.staff else vendors

    def matching(self) -> QuerySet[Participant]:
        return self.apply(self.vendors())

    def counts(self) -> Counts:
        """How many vendors each filter value would show, the other filters kept: three queries,
        and a fourth for the coordinator (who is unresponsive)."""
        statuses = [s for s in STATUS_FILTERS if s != NOT_SHARED or self.visible is not None]
        by_status = self.apply(self.vendors(), skip="status").aggregate(
            all=Count("pk"), **{s: Count("pk", filter=self.status_q(s)) for s in statuses}
        )
        by_answer = self.apply(self.vendors(), skip="answered").aggregate(
            all=Count("pk"), yes=Count("pk", filter=ANSWERED)
        )
        by_notice = self.apply(self.vendors(), skip="notified").aggregate(
            all=Count("pk"), yes=Count("pk", filter=NOTIFIED)
        )
        by_response = None
        if self.viewer.staff:
            by_response = self.apply(self.vendors(), skip="unresponsive").aggregate(
                all=Count("pk"), yes=Count("pk", filter=UNRESPONSIVE)
            )
        return Counts(
            status={s: by_status[s] for s in statuses},
            status_all=by_status["all"],
            answered={True: by_answer["yes"], False: by_answer["all"] - by_answer["yes"]},
            answered_all=by_answer["all"],
            notified={True: by_notice["yes"], False: by_notice["all"] - by_notice["yes"]},
            notified_all=by_notice["all"],
            unresponsive=by_response["yes"] if by_response else None,
            unresponsive_all=by_response["all"] if by_response else None,
        )


@dataclass(frozen=True)
class Counts:
    status: dict[str, int]
    status_all: int
    answered: dict[bool, int]
    answered_all: int
    notified: dict[bool, int]
    notified_all: int
    unresponsive: int | None = None  # None: not the coordinator
    unresponsive_all: int | None = None


@dataclass(frozen=True)
class FacetOption:
    label: str
    count: int
    query: str
    current: bool


@dataclass(frozen=True)
class Facet:
    name: str
    label: str
    options: list[FacetOption]


def facets(filters: VendorFilters, counts: Counts) -> list[Facet]:
    """The filter links of the Vendors tab, each with its count; each link starts at page 1."""

    def option(label: str, count: int, current: bool, **change: Any) -> FacetOption:
        return FacetOption(label, count, filters.query(**change), current)

    status = [option("Any status", counts.status_all, not filters.status, status="")] + [
        option(STATUS_LABELS[s], counts.status[s], filters.status == s, status=s) for s in counts.status
    ]
    answered = [
        option("All", counts.answered_all, filters.answered is None, answered=None),
        option("Answered", counts.answered[True], filters.answered is True, answered=True),
        option("Not answered", counts.answered[False], filters.answered is False, answered=False),
    ]
    notified = [
        option("All", counts.notified_all, filters.notified is None, notified=None),
        option("Notified", counts.notified[True], filters.notified is True, notified=True),
        option("Not notified", counts.notified[False], filters.notified is False, notified=False),
    ]
    shown = [
        Facet("status", "Status", status),
        Facet("answered", "Answer", answered),
        Facet("notified", "Notification", notified),
    ]
    if counts.unresponsive is not None and counts.unresponsive_all is not None:
        shown.append(
            Facet(
                "unresponsive",
                "Response",
                [
                    option("All", counts.unresponsive_all, filters.unresponsive is None, unresponsive=None),
                    option(
                        "Unresponsive", counts.unresponsive, filters.unresponsive is True, unresponsive=True
                    ),
                ],
            )
        )
    return shown

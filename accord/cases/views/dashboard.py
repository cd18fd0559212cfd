"""The analyst's dashboard: a work queue (issue 8).

Each queue is one card with a count and a section of rows, each row a link to where the work
is done. The queues come in order of urgency (QUEUE_ORDER): what may have to end an embargo
now first, then dates and questions others wait on, then the steady flow of reports and
directory changes, then what is only worth a look (new statements) and the analyst's own cases.

Every list is one query (two for the directory's contacts and keys), cut at LIST_LIMIT rows
("50+" on its card), so the page costs the same with 2 vendors or 2,000. Quiet (imported,
historical) cases never appear (process.md "Publication"). The coordinator's staff see every
case, through the gate (`cases_visible_to`), and names through the presenter.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from accord.answers.models import Statement
from accord.cases.access import cases_visible_to
from accord.cases.models import Case, FactReport, Participant, Report
from accord.cases.presenter import Viewer
from accord.cases.states import EM, RM, Fact
from accord.cases.views.cases import case_url, proposed_by
from accord.cases.views.vendors import vendor_url
from accord.conversation.models import Message
from accord.conversation.queries import request_rows
from accord.vendors.queries import pending_contacts, pending_keys, requested_at

LIST_LIMIT = 50
# "New statements" are those vendors sent (not recorded for them by an analyst) in the last
# NEW_STATEMENT_DAYS days: simple to explain, and no "seen" state to keep per analyst.
NEW_STATEMENT_DAYS = 7
# The cards and sections, most urgent first.
QUEUE_ORDER = (
    "due",  # attacks observed: the embargo may have to end now
    "notify",  # public while vendors are unaware: notify them next (process.md)
    "claims",  # P, X or A claimed: confirming may end the embargo
    "early",  # exploit public or attacks: consider publishing early
    "near",  # target dates near or past
    "requests",  # vendors wait for an answer
    "proposed",  # embargo dates wait for a decision
    "triage",  # new reports
    "mail",  # mail the gateway could not route (accord.mailgate.triage)
    "directory",  # vendor admins' changes to where notifications go
    "statements",  # worth a look
    "mine",  # the analyst's own cases
)


@dataclass
class Row:
    href: str
    label: str  # the link's text: a VU#, a report id, a vendor
    title: str = ""  # what it is about, after the link
    detail: str = ""  # one plain sentence
    at: dt.datetime | None = None
    at_label: str = ""  # "received", "asked", "since", …
    badge: str = ""
    badge_variant: str = ""


@dataclass
class Queue:
    key: str  # its section is #dash-<key>
    card: str  # the card's words
    heading: str
    rows: list[Row]
    urgent: bool = True
    note: str = ""  # what the list is, in a sentence, under the heading
    more: tuple[str, str] | None = None  # (words, url) of the full list elsewhere
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def full(self) -> bool:
        return len(self.rows) >= LIST_LIMIT


def notify_next(cases: QuerySet[Case]) -> QuerySet[Case]:
    """Public cases (P) with vendors not yet aware (no V): notifying them comes next (process.md)."""
    unaware = Participant.objects.filter(kind=Participant.Kind.VENDOR, v_at__isnull=True).values("case_id")
    return cases.filter(p_at__isnull=False, pk__in=unaware).order_by("p_at")


def _first(queryset: QuerySet[Any]) -> list[Any]:
    return list(queryset[:LIST_LIMIT])


def _due(cases: QuerySet[Case]) -> Queue:
    found = _first(
        cases.filter(
            embargo_termination_due=True, embargo_state__in=(EM.ACTIVE, EM.REVISE, EM.PROPOSED)
        ).order_by("embargo_ends_at")
    )
    rows = [
        Row(
            case_url(c, "#embargo"),
            c.label,
            c.title,
            f"Attacks observed (A): the embargo ({EM(c.embargo_state).label}) may have to end now.",
            c.embargo_ends_at,
            "it ends",
        )
        for c in found
    ]
    return Queue("due", "Embargo termination due", "Embargoes with termination due", rows)


def _notify(cases: QuerySet[Case]) -> Queue:
    rows = [
        Row(
            case_url(c),
            c.label,
            c.title,
            "Public (P): notify the vendors not yet aware.",
            c.p_at,
            "public since",
        )
        for c in _first(notify_next(cases))
    ]
    return Queue(
        "notify",
        "Public, vendors not yet aware",
        "Public, with vendors not yet aware: notify them next",
        rows,
    )


def _claims(cases: QuerySet[Case], viewer: Viewer) -> Queue:
    found = _first(
        FactReport.objects.filter(confirmed_at__isnull=True, dismissed_at__isnull=True, case__in=cases)
        .select_related("case", "reported_by", "participant__organization", "participant__user")
        .order_by("created_at", "id")
    )
    rows = [
        Row(
            case_url(claim.case, "#state"),
            claim.case.label,
            f"{claim.fact} ({Fact(claim.fact).label})",
            f"Claimed by {viewer.claimant(claim).name}: confirm or dismiss it.",
            claim.created_at,
            "claimed",
        )
        for claim in found
    ]
    return Queue("claims", "Claims to confirm", "Claims waiting for confirmation", rows)


def _early(cases: QuerySet[Case]) -> Queue:
    rows = []
    for c in _first(cases.filter(Q(x_at__isnull=False) | Q(a_at__isnull=False)).order_by("-created_at")):
        facts = [
            words for at, words in ((c.x_at, "exploit public (X)"), (c.a_at, "attacks observed (A)")) if at
        ]
        rows.append(
            Row(
                case_url(c, "#state"),
                c.label,
                c.title,
                f"{' and '.join(facts).capitalize()}: consider the publish decision.",
                c.x_at or c.a_at,
                "since",
            )
        )
    return Queue(
        "early",
        "Exploit public or attacks observed",
        "Early disclosure: exploit public or attacks observed",
        rows,
    )


def _near(cases: QuerySet[Case], now: dt.datetime) -> Queue:
    near = now + dt.timedelta(days=settings.TARGET_NEAR_DAYS)
    found = _first(
        cases.filter(target_publication_at__isnull=False, target_publication_at__lte=near).order_by(
            "target_publication_at"
        )
    )
    rows = []
    for c in found:
        past = c.target_publication_at is not None and c.target_publication_at < now
        rows.append(
            Row(
                case_url(c, "#dates"),
                c.label,
                c.title,
                at=c.target_publication_at,
                at_label="target",
                badge="past" if past else "",
                badge_variant="danger" if past else "",
            )
        )
    return Queue(
        "near",
        "Target date near or past",
        f"Target date within {settings.TARGET_NEAR_DAYS} days or past",
        rows,
    )


def _requests(cases: QuerySet[Case], viewer: Viewer) -> Queue:
    """Requests for information for the coordinator: open ones a vendor or the reporter asked
    (in a case or on a report), and any request that was answered and waits for an analyst to
    relay the answer or close it."""
    waiting = Message.objects.filter(
        Q(thread__case__in=cases) | Q(thread__case__isnull=True, thread__report__isnull=False)
    ).filter(
        Q(request=Message.Request.OPEN) & (Q(author_participant__isnull=False) | Q(from_reporter=True))
        | Q(request=Message.Request.ANSWERED)
    )
    rows = [
        Row(
            r.url,
            r.label,
            "",
            f"“{r.excerpt}”",
            r.message.created_at if r.message.request == Message.Request.OPEN else r.message.answered_at,
            "asked" if r.message.request == Message.Request.OPEN else "answered, to close",
        )
        for r in request_rows(waiting, viewer, limit=LIST_LIMIT)
    ]
    return Queue(
        "requests",
        "Open information requests",
        "Open information requests",
        rows,
        note="Answer each in its thread (a reply to the request), then close it once it is settled.",
    )


def _proposed(cases: QuerySet[Case], viewer: Viewer) -> Queue:
    found = _first(
        cases.filter(embargo_state__in=(EM.PROPOSED, EM.REVISE))
        .select_related("embargo_proposed_by", "embargo_proposer__organization", "embargo_proposer__user")
        .order_by("embargo_proposed_ends_at", "id")
    )
    rows = []
    for c in found:
        who = proposed_by(c, viewer) or "someone"
        what = "A new embargo" if c.embargo_state == EM.PROPOSED else "A new end of the Active embargo"
        rows.append(
            Row(
                case_url(c, "#embargo"),
                c.label,
                c.title,
                f"{what}, proposed by {who}: accept, reject or counter it.",
                c.embargo_proposed_ends_at,
                "proposed end",
            )
        )
    return Queue("proposed", "Proposed embargo dates", "Proposed embargo dates", rows)


def _triage() -> Queue:
    found = _first(
        Report.objects.filter(state__in=(RM.RECEIVED, RM.VALID), case__isnull=True)
        .select_related("assigned_to")
        .order_by("created_at")
    )
    rows = [
        Row(
            reverse("cases:report_detail", kwargs={"report_id": r.pk}),
            r.pk,
            r.title,
            f"Assigned to {r.assigned_to.display_name}." if r.assigned_to_id else "Not assigned.",
            r.created_at,
            "received",
            r.get_state_display(),
            "info",
        )
        for r in found
    ]
    return Queue(
        "triage",
        "Reports waiting in triage",
        "Reports waiting in triage",
        rows,
        more=("The triage queue", reverse("cases:triage")),
    )


def _mail() -> Queue:
    from accord.mailgate.triage import reason_of
    from accord.mailgate.views import triage_queryset

    rows = []
    for m in _first(triage_queryset()):
        for_case = m.case.label if m.case is not None else ""
        rows.append(
            Row(
                reverse("mailgate:detail", kwargs={"inbound_id": m.pk}),
                m.subject or "(no subject)",
                "",
                f"From {m.from_address or 'an unreadable address'}: {reason_of(m)}.",
                m.received_at,
                "received",
                f"for {for_case} from a non-participant" if for_case else "",
                "warning" if for_case else "",
            )
        )
    return Queue(
        "mail",
        "Mail waiting for triage",
        "Mail waiting for triage",
        rows,
        note="Link each to a case, turn it into a report, or mark it as spam.",
        more=("The mail triage inbox", reverse("mailgate:triage")),
    )


def _directory() -> Queue:
    items: list[Any] = [*pending_contacts()[:LIST_LIMIT], *pending_keys()[:LIST_LIMIT]]
    items.sort(key=lambda item: (requested_at(item), item.pk))
    rows = []
    for item in items[:LIST_LIMIT]:
        change = item.pending_change
        what = f"contact {item.email}" if hasattr(item, "email") else f"key {item.grouped_fingerprint}"
        rows.append(
            Row(
                reverse("vendors:detail", kwargs={"org_id": item.organization_id}),
                item.organization.name,
                "",
                f"Asks to {change} the {what}.",
                requested_at(item),
                "asked",
            )
        )
    pending = reverse("vendors:pending")
    return Queue(
        "directory",
        "Pending vendor changes",
        "Pending vendor directory changes",
        rows,
        note="Vendor admins' changes to where notifications go wait for an analyst's approval.",
        more=("Decide on the pending changes", pending),
    )


def _statements(cases: QuerySet[Case], viewer: Viewer, now: dt.datetime) -> Queue:
    since = now - dt.timedelta(days=NEW_STATEMENT_DAYS)
    found = _first(
        Statement.objects.filter(created_at__gte=since, on_behalf=False, participant__case__in=cases)
        .select_related("participant__case", "participant__organization", "participant__user")
        .order_by("-created_at", "-id")
    )
    rows = [
        Row(
            vendor_url(s.participant.case, s.participant, "#statements"),
            f"{s.participant.case.label}: {viewer.label(s.participant)}",
            "",
            f"Statement version {s.version}, {viewer.signature_label(s, s.participant)}.",
            s.created_at,
            "sent",
        )
        for s in found
    ]
    return Queue(
        "statements",
        f"New statements ({NEW_STATEMENT_DAYS} days)",
        f"New statements (the last {NEW_STATEMENT_DAYS} days)",
        rows,
        urgent=False,
        note=f"Statements vendors sent in the last {NEW_STATEMENT_DAYS} days, newest first "
        "(not those an analyst recorded for a vendor).",
    )


def _mine(cases: QuerySet[Case], user: Any) -> Queue:
    found = _first(
        cases.filter(
            Q(owner=user) | Q(pk__in=Case.analysts.through.objects.filter(user=user).values("case_id"))
        )
        .select_related("owner")
        .order_by("target_publication_at", "-created_at")
    )
    rows = [
        Row(
            case_url(c),
            c.label,
            c.title,
            "" if c.target_publication_at else "No target date yet.",
            c.target_publication_at,
            "target",
            "owner" if c.owner_id == user.pk else "",
        )
        for c in found
    ]
    return Queue("mine", "My cases", "My cases", rows, urgent=False)


def analyst_sections(user: Any) -> dict[str, Any]:
    """The analyst's work queues, in QUEUE_ORDER (see the module's docstring)."""
    now = timezone.now()
    cases = cases_visible_to(user).filter(quiet=False)
    viewer = Viewer.coordinator()
    queues = {
        q.key: q
        for q in (
            _due(cases),
            _notify(cases),
            _claims(cases, viewer),
            _early(cases),
            _near(cases, now),
            _requests(cases, viewer),
            _proposed(cases, viewer),
            _triage(),
            _mail(),
            _directory(),
            _statements(cases, viewer, now),
            _mine(cases, user),
        )
    }
    ordered = [queues[key] for key in QUEUE_ORDER]
    return {
        "now": now,
        "queues": ordered,  # the cards, all of them
        "idle": [q for q in ordered if not q.rows],  # one line each under "Nothing waiting"
        "list_limit": LIST_LIMIT,
    }

"""The analysts' vendor pages of a case: adding, notifying, the vendor table, answers on a
vendor's behalf, addenda, information requests and pending claims.

The vendor table's query count does not grow with the number of vendors (100 per page).
"""

from __future__ import annotations

import csv
import io
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.functions import Lower
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.views.decorators.http import require_POST

from accord.accounts.models import Organization, User
from accord.answers import actions as answer_actions
from accord.answers.models import Answer, Statement, Status
from accord.cases.access import Standing, access_case
from accord.cases.actions import participants as participant_actions
from accord.cases.models import Case, ClaimLink, Participant
from accord.cases.presenter import Viewer, answer_of
from accord.cases.reminders import annotated, with_responses
from accord.cases.vendor_table import PAGE_SIZES, VendorFilters, VendorQuery, facets, vendors_in
from accord.cases.views.answer_form import AnswerForm, answer_form_from, answer_initial, run_answer
from accord.cases.views.cases import terms_only, workspace
from accord.cases.views.common import refusal
from accord.cases.views.portal import statement_rows
from accord.conversation.models import Message
from accord.conversation.queries import request_rows
from accord.core.access import access
from accord.lib.errors import InvalidInput, RuleViolation
from accord.lib.ids import parse_id, parse_ids
from accord.vendors.models import ChangeStatus, Contact

MAX_AT_ONCE = participant_actions.MAX_VENDORS_AT_ONCE
# How many vendors a message or the "cannot be notified" notice names before "and N more".
NAMED_AT_MOST = 10


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def vendors_url(case: Case, anchor: str = "") -> str:
    return reverse("cases:vendors", kwargs={"case": case.url_ref}) + anchor


class AddVendorsForm(forms.Form):
    name = forms.CharField(label="One vendor (organisation name)", required=False, max_length=200)
    names = forms.CharField(
        label="Several vendors, one name per line",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    csv_file = forms.FileField(label='Or a CSV file with a "name" column', required=False)
    anonymous = forms.BooleanField(label="Anonymous: others in the case see only the alias", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs["list"] = "vendor-names"


class VendorTextsForm(forms.Form):
    vendor_summary = forms.CharField(
        label="Vendor-facing summary of the report",
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=participant_actions.VENDOR_TEXT_LIMIT,
    )
    notification_text = forms.CharField(
        label="Notification text (the coordinator's note to vendors, read in the portal)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=participant_actions.VENDOR_TEXT_LIMIT,
    )


def _names_from(request: HttpRequest, form: AddVendorsForm) -> list[str]:
    data = form.cleaned_data
    names: list[str] = []
    if data["name"].strip():
        names.append(data["name"].strip())
    names += [line.strip() for line in (data["names"] or "").splitlines() if line.strip()]
    upload = request.FILES.get("csv_file")
    if upload is not None:
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidInput("csv_file", "The CSV file is not UTF-8 text.")
        reader = csv.DictReader(io.StringIO(text))
        fields = [f.strip().lower() for f in reader.fieldnames or []]
        if "name" not in fields:
            raise InvalidInput("csv_file", 'The CSV file needs a "name" column.')
        column = (reader.fieldnames or [])[fields.index("name")]
        for row_number, row in enumerate(reader, start=2):
            value = (row.get(column) or "").strip()
            if not value:
                raise InvalidInput("csv_file", f"Row {row_number}: the name is empty.")
            names.append(value)
    names = list(dict.fromkeys(names))
    if not names:
        raise InvalidInput("name", "Name at least one vendor.")
    if len(names) > MAX_AT_ONCE:
        raise InvalidInput("names", f"At most {MAX_AT_ONCE:,} vendors at once.")
    return names


def resolve_vendors(names: list[str]) -> tuple[list[Organization], list[str], list[str]]:
    """Names to vendor organisations, case-insensitively: (found, matching none, matching several)."""
    lowered = {n.lower() for n in names}
    by_name: dict[str, list[Organization]] = {}
    for org in Organization.objects.annotate(lname=Lower("name")).filter(
        kind=Organization.Kind.VENDOR, lname__in=lowered
    ):
        by_name.setdefault(org.name.lower(), []).append(org)
    found, unknown, ambiguous = [], [], []
    for name in names:
        matches = by_name.get(name.lower(), [])
        if not matches:
            unknown.append(name)
        elif len(matches) > 1:
            ambiguous.append(name)
        else:
            found.append(matches[0])
    return found, unknown, ambiguous


def _usable_contacts() -> Any:
    """Contacts a notification goes to (as accord.vendors.queries.notification_contacts)."""
    return Contact.objects.filter(status=ChangeStatus.ACTIVE, role__in=(Contact.Role.TO, Contact.Role.CC))


def unreachable_vendors(case: Case) -> Any:
    """Vendors of the case not notified yet that have no contact a notification could go to."""
    usable = _usable_contacts().filter(organization=OuterRef("organization_id"))
    return case.participants.filter(kind=Participant.Kind.VENDOR, first_contact_at__isnull=True).filter(
        ~Exists(usable)
    )


def _vendor_rows(case: Case, participants: list[Participant]) -> list[dict[str, Any]]:
    """One row per vendor of the page, in a fixed number of queries."""
    ids = [p.pk for p in participants]
    reachable = set(
        _usable_contacts()
        .filter(organization_id__in=[p.organization_id for p in participants])
        .values_list("organization_id", flat=True)
    )
    statuses: dict[int, list[Status]] = {}
    for status in Status.objects.filter(participant_id__in=ids).order_by(
        "vulnerability__seq", "product", "id"
    ):
        statuses.setdefault(status.participant_id, []).append(status)
    latest: dict[int, Statement] = {}
    for statement in (
        Statement.objects.filter(participant_id__in=ids)
        .defer("text", "signature")
        .select_related("recorded_by")
        .order_by("participant_id", "-version")
    ):
        latest.setdefault(statement.participant_id, statement)
    rows = []
    coordinator = Viewer.coordinator()
    for p in participants:
        current = latest.get(p.pk)
        rows.append(
            {
                "p": p,
                "statuses": statuses.get(p.pk, []),
                "statement": current,
                "label": coordinator.signature_label(current, p) if current else "no statement",
                "shared": bool((answer := answer_of(p)) and answer.share),
                "reachable": p.organization_id in reachable,
                "reminders": coordinator.reminders(p),  # p comes through with_responses
            }
        )
    return rows


def _table(request: HttpRequest, standing: Standing) -> dict[str, Any]:
    """The filtered, paged vendor table with its counts, as this reader may see it."""
    case = standing.case
    viewer = Viewer.of(standing)
    filters = VendorFilters.from_query(request.GET).for_viewer(viewer)
    query = VendorQuery.of(case, viewer, filters)
    counts = query.counts()
    vendors = Paginator(
        query.matching().select_related("organization", "user", "answer").order_by("id"), filters.per
    ).get_page(request.GET.get("page"))
    return {
        "vendors": vendors,
        "filters": filters,
        "facets": facets(filters, counts),
        "query": filters.query(),
        "clear_query": VendorFilters(per=filters.per).query(),
        "page_sizes": [(size, filters.query(per=size), size == filters.per) for size in PAGE_SIZES],
        "vulnerability_choices": list(case.vulnerabilities.order_by("seq").values_list("seq", "title")),
    }


def _participant_rows(viewer: Viewer, participants: list[Participant]) -> list[dict[str, Any]]:
    """One row per vendor of the page as a participant sees it: statuses only where shared."""
    shown = [viewer.participant(p) for p in participants]
    visible = [v.participant.pk for v in shown if v.rm_state is not None]
    statuses: dict[int, list[Status]] = {}
    # [0] names no row: the query runs even when no answer on the page is visible, so that the
    # page's query count does not depend on the data.
    for status in Status.objects.filter(participant_id__in=visible or [0]).select_related("vulnerability"):
        statuses.setdefault(status.participant_id, []).append(status)
    return [
        {
            "view": v,
            "p": v.participant,
            "shared": v.rm_state is not None,
            "statuses": statuses.get(v.participant.pk, []),
        }
        for v in shown
    ]


def vendors_page(request: HttpRequest, standing: Standing, status: int = 200, **given: Any) -> HttpResponse:
    """The Vendors tab. Analysts also add, notify and answer here; participants see the same
    table through the presenter. Its query count does not grow with the number of vendors."""
    if standing.embargo_pending:
        return terms_only(request, standing, status=409)
    case = standing.case
    context = workspace(request, standing, "vendors")
    context.update(_table(request, standing))
    page_rows = list(context["vendors"].object_list)
    if not standing.staff:
        viewer = Viewer.of(standing)
        others = (
            case.participants.exclude(kind=Participant.Kind.VENDOR)
            .select_related("organization", "user")
            .order_by("id")
        )
        context.update(
            {
                "participant_rows": _participant_rows(viewer, page_rows),
                "others": [(viewer.long_label(p), p.pk in standing.own_ids) for p in others],
            }
        )
        return render(request, "cases/vendors_page.html", context, status=status)
    vulnerabilities = {v.pk: v for v in case.vulnerabilities.all()}
    rows = _vendor_rows(case, page_rows)
    for row in rows:
        row["status_labels"] = [
            (vulnerabilities[s.vulnerability_id].seq if s.vulnerability_id in vulnerabilities else "?", s)
            for s in row["statuses"]
        ]
    pending_claims = list(
        ClaimLink.objects.filter(participant__case=case, used_by__isnull=False, approved=False)
        .select_related("used_by", "participant__organization")
        .order_by("-used_at")
    )
    open_requests = request_rows(
        Message.objects.filter(
            thread__case=case, request=Message.Request.OPEN, author_participant__isnull=False
        ),
        Viewer.coordinator(),
    )
    # Always both queries, so the count of queries does not depend on the data.
    unreachable = unreachable_vendors(case)
    unreachable_named = list(unreachable.select_related("organization").order_by("id")[:NAMED_AT_MOST])
    unreachable_count = unreachable.count()
    # Case-wide, whatever the filters: one query.
    alerts = with_responses(vendors_in(case)).aggregate(
        not_notified=Count("pk", filter=Q(first_contact_at__isnull=True)),
        marked=Count("pk", filter=Q(unresponsive=True)),  # not "unresponsive": the annotation's name
    )
    context.update(
        {
            "rows": rows,
            "add_form": given.get("add_form") or AddVendorsForm(auto_id="add-%s"),
            "texts_form": given.get("texts_form")
            or VendorTextsForm(
                initial={"vendor_summary": case.vendor_summary, "notification_text": case.notification_text},
                auto_id="texts-%s",
            ),
            "problems": given.get("problems"),
            "unreachable": unreachable_named,
            "unreachable_count": unreachable_count,
            "unreachable_more": unreachable_count - len(unreachable_named),
            "vendor_names": list(
                Organization.objects.filter(kind=Organization.Kind.VENDOR)
                .order_by("name")
                .values_list("name", flat=True)
            ),
            "share_contact": case.reports.filter(share_contact=True).exists(),
            "pending_claims": pending_claims,
            "open_requests": open_requests,
            "not_notified": alerts["not_notified"],
            "unresponsive_count": alerts["marked"],
            "max_at_once": MAX_AT_ONCE,
        }
    )
    return render(request, "cases/vendors_page.html", context, status=status)


@access("object:case")
def vendors(request: HttpRequest, case: str) -> HttpResponse:
    """The Vendors tab of a case, for everyone who may read it."""
    return vendors_page(request, access_case(request.user, case, need="terms"))


@require_POST
@access("analyst")
def vendors_add(request: HttpRequest, case: str) -> HttpResponse:
    user = _user(request)
    standing = access_case(user, case, need="write")
    obj = standing.case
    form = AddVendorsForm(request.POST, request.FILES, auto_id="add-%s")
    if not form.is_valid():
        messages.error(request, "Nothing added: see the errors in the form.")
        return vendors_page(request, standing, status=400, add_form=form)
    try:
        names = _names_from(request, form)
        found, unknown, ambiguous = resolve_vendors(names)
        if unknown or ambiguous:
            messages.error(request, "Nothing added: some names match no vendor or several.")
            return vendors_page(
                request,
                standing,
                status=400,
                add_form=form,
                problems={"unknown": unknown, "ambiguous": ambiguous},
            )
        added = participant_actions.add_vendors(obj, found, by=user, anonymous=form.cleaned_data["anonymous"])
    except (RuleViolation, InvalidInput) as exc:
        field = getattr(exc, "field", None)
        form.add_error(field if field in form.fields else None, refusal(exc))
        messages.error(request, f"Nothing added: {refusal(exc)}")
        return vendors_page(request, standing, status=400, add_form=form)
    if len(added) <= 5:
        words = ", ".join(f"{p.organization.name} as {p.alias}" for p in added if p.organization)
    else:
        words = f"{len(added):,} vendors"
    messages.success(request, f"Added {words}.")
    return redirect(vendors_url(obj))


@require_POST
@access("analyst")
def vendors_texts(request: HttpRequest, case: str) -> HttpResponse:
    user = _user(request)
    standing = access_case(user, case, need="write")
    obj = standing.case
    form = VendorTextsForm(request.POST, auto_id="texts-%s")
    if form.is_valid():
        try:
            participant_actions.update_vendor_texts(
                obj,
                vendor_summary=form.cleaned_data["vendor_summary"],
                notification_text=form.cleaned_data["notification_text"],
                by=user,
            )
        except (RuleViolation, InvalidInput) as exc:
            form.add_error(None, refusal(exc))
        else:
            messages.success(request, "The vendor-facing texts are saved.")
            return redirect(vendors_url(obj, "#texts"))
    messages.error(request, "Not saved: see the errors in the form.")
    return vendors_page(request, standing, status=400, texts_form=form)


@require_POST
@access("analyst")
def vendors_notify(request: HttpRequest, case: str) -> HttpResponse:
    user = _user(request)
    obj = access_case(user, case, need="write").case
    waiting = obj.participants.filter(
        kind=Participant.Kind.VENDOR, first_contact_at__isnull=True
    ).select_related("organization")
    if request.POST.get("all") != "1":
        waiting = waiting.filter(pk__in=parse_ids(request.POST.getlist("participant")))
    targets = list(waiting)
    if not targets:
        messages.error(request, "Choose vendors that were not notified yet.")
        return redirect(vendors_url(obj))
    try:
        result = participant_actions.notify_vendors(obj, targets, by=user)
    except (RuleViolation, InvalidInput) as exc:
        messages.error(request, refusal(exc))
        return redirect(vendors_url(obj))
    notified: list[Participant] = result["notified"]
    held: list[Participant] = result.get("held", [])
    unreachable: list[Participant] = [p for p in result["unreachable"] if p not in held]
    # A notification that reached nobody is never shown as a success.
    if not notified:
        if unreachable or not held:
            messages.error(
                request,
                format_html(
                    "Nobody was notified: {} no active “to” or “cc” contact address. {} {}",
                    _linked_names(unreachable, verb=True),
                    _how_to_reach(unreachable),
                    ""
                    if obj.first_contact_at
                    else "No vendor was contacted, so the target date and the default embargo have not started.",
                ),
            )
    else:
        messages.success(request, f"Notified {_plain_names(notified)}.")
        if unreachable:
            messages.warning(
                request,
                format_html(
                    "Not notified: {} no active “to” or “cc” contact address. {}",
                    _linked_names(unreachable, verb=True),
                    _how_to_reach(unreachable),
                ),
            )
    if held:
        messages.warning(
            request,
            format_html(
                "Not mailed: {} (encrypted mail only, and no valid key is pinned). Pin a key on the "
                "directory page, then notify again; the case's Mail tab shows the mail held back.",
                _linked_names(held, verb=False),
            ),
        )
    return redirect(vendors_url(obj, "#unreachable" if unreachable else "#list"))


def _plain_names(participants: list[Participant]) -> str:
    """ "Acme", "Acme and Globex", "Acme, Globex and Initech", or "1,234 vendors" past 5."""
    if len(participants) > 5:
        return f"{len(participants):,} vendors"
    names = [p.organization.name if p.organization else p.alias for p in participants]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _linked_names(participants: list[Participant], *, verb: bool = False) -> SafeString:
    """Each vendor's name linked to its directory entry, where a contact is added; "has"/"have"."""
    shown = participants[:NAMED_AT_MOST]
    links = [
        format_html(
            '<a href="{}#add-contact">{}</a>',
            reverse("vendors:detail", kwargs={"org_id": p.organization_id}),
            p.organization.name if p.organization else p.alias,
        )
        for p in shown
    ]
    rest = len(participants) - len(shown)
    if rest:
        links.append(format_html("{} more", f"{rest:,}"))
    if len(links) == 1:
        joined = links[0]
    else:
        joined = format_html(
            "{} and {}", format_html_join(", ", "{}", ((link,) for link in links[:-1])), links[-1]
        )
    if not verb:
        return joined
    return format_html("{} {}", joined, "has" if len(participants) == 1 else "have")


def _how_to_reach(participants: list[Participant]) -> str:
    if len(participants) == 1:
        return "Add a contact on its directory page, then notify it."
    return "Add a contact on each vendor's directory page, then notify them."


@require_POST
@access("analyst")
def claim_approve(request: HttpRequest, case: str) -> HttpResponse:
    user = _user(request)
    obj = access_case(user, case, need="write").case
    link_id = parse_id(request.POST.get("link"))
    link = (
        ClaimLink.objects.filter(participant__case=obj, pk=link_id).select_related("used_by").first()
        if link_id
        else None
    )
    if link is None:
        messages.error(request, "There is no such claim in this case.")
        return redirect(vendors_url(obj, "#claims"))
    try:
        participant_actions.approve_claim(link, by=user)
    except (RuleViolation, InvalidInput) as exc:
        messages.error(request, refusal(exc))
    else:
        who = link.used_by.email if link.used_by else "the account"
        messages.success(request, f"{who} is now a member of the vendor.")
    return redirect(vendors_url(obj, "#claims"))


# --- One vendor: answers on its behalf, addenda, information requests ----------------------------


def vendor_of(user: User, case: str, participant_id: str) -> tuple[Case, Participant]:
    """A vendor of the case for an analyst's page, or 404 (missing, another case's, not a vendor)."""
    obj = access_case(user, case, need="write").case
    pk = parse_id(participant_id)
    participant = (
        obj.participants.filter(kind=Participant.Kind.VENDOR, pk=pk).select_related("organization").first()
        if pk
        else None
    )
    if participant is None:
        raise Http404("No such vendor in this case.")
    return obj, participant


def vendor_page(
    request: HttpRequest, case: Case, participant: Participant, status: int = 200, **given: Any
) -> HttpResponse:
    vulnerabilities = list(case.vulnerabilities.order_by("seq"))
    form = given.get("answer_form") or AnswerForm(
        initial=answer_initial(participant), vulnerabilities=vulnerabilities, auto_id="answer-%s"
    )
    context = {
        "case": case,
        "vendor": participant,
        "answer_form": form,
        "statuses": list(
            Status.objects.filter(participant=participant).select_related("vulnerability", "recorded_by")
        ),
        "statements": statement_rows(participant, Viewer.coordinator()),
        "requests": request_rows(
            Message.objects.filter(thread__participant=participant, request=Message.Request.OPEN),
            Viewer.coordinator(),
        ),
        "answer": Answer.objects.filter(participant=participant).first(),
        "reminders": Viewer.coordinator().reminders(annotated(participant)),
        "target_passed": case.target_publication_at is not None
        and case.target_publication_at <= timezone.now(),
    }
    return render(request, "cases/vendors_vendor.html", context, status=status)


def vendor_url(case: Case, participant: Participant, anchor: str = "") -> str:
    return (
        reverse("cases:vendor_detail", kwargs={"case": case.url_ref, "participant_id": participant.pk})
        + anchor
    )


@access("analyst")
def vendor_detail(request: HttpRequest, case: str, participant_id: str) -> HttpResponse:
    user = _user(request)
    obj, participant = vendor_of(user, case, participant_id)
    if request.method == "POST":
        form, adding = answer_form_from(request, list(obj.vulnerabilities.order_by("seq")))
        if adding:  # "Add a product" without JavaScript: the same form with one more row
            return vendor_page(request, obj, participant, answer_form=form)
        done, message = run_answer(request, participant, form, user)
        if done:
            messages.success(
                request, f"{message} It shows as recorded by {user.display_name} for the vendor."
            )
            return redirect(vendor_url(obj, participant, "#answer"))
        messages.error(request, message)
        return vendor_page(request, obj, participant, status=400, answer_form=form)
    return vendor_page(request, obj, participant)


@require_POST
@access("analyst")
def vendor_publication_name(request: HttpRequest, case: str, participant_id: str) -> HttpResponse:
    """An analyst records an anonymous vendor's choice to be named at publication, for it."""
    user = _user(request)
    obj, participant = vendor_of(user, case, participant_id)
    try:
        participant_actions.set_named_at_publication(participant, request.POST.get("named") == "1", by=user)
    except (RuleViolation, InvalidInput) as exc:
        messages.error(request, refusal(exc))
    else:
        messages.success(request, "The vendor's choice for publication is recorded on its behalf.")
    return redirect(vendor_url(obj, participant, "#publication-name"))


@require_POST
@access("analyst")
def vendor_addendum(request: HttpRequest, case: str, participant_id: str) -> HttpResponse:
    user = _user(request)
    obj, participant = vendor_of(user, case, participant_id)
    try:
        answer_actions.add_addendum(participant, request.POST.get("text", ""), by=user)
    except (RuleViolation, InvalidInput) as exc:
        messages.error(request, refusal(exc))
    else:
        messages.success(request, "The coordinator's addendum is added.")
    return redirect(vendor_url(obj, participant, "#statements"))

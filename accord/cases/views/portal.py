"""The vendor portal: the organisation's cases, joining an embargo, and the four-question answer.

Vendors read a case only after accepting its Active embargo (process.md "Joining an embargo").
Statements are stored byte for byte as they came: the textarea's text encoded as UTF-8 as is
(CRLF included), or an uploaded file's bytes unchanged; they are always shown escaped.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accord.accounts.models import Membership, User
from accord.answers import actions as answer_actions
from accord.answers.actions import AnswerInput, StatementInput, StatusInput
from accord.answers.models import Addendum, Answer, Justification, Statement, Status, VexStatus
from accord.cases.access import Standing, access_case, own_participations, standings_of
from accord.cases.actions import participants as participant_actions
from accord.cases.models import Case, CaseMemberAccess, Participant, Vulnerability
from accord.cases.presenter import Viewer
from accord.cases.views.common import refusal
from accord.core.access import access
from accord.lib.errors import InvalidInput, RuleViolation
from accord.lib.ids import parse_id, parse_ids

PRODUCT_ROWS = 2
SHARED_LIMIT = 100


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


# --- The answer form (shared with the analysts' "on the vendor's behalf" page) -------------------

STATUS_CHOICES = [(s.value, s.label) for s in VexStatus]
JUSTIFICATION_CHOICES = [("", "—")] + [(j.value, j.label) for j in Justification]


class AnswerForm(forms.Form):
    """Per vulnerability a status row, optional extra rows per product, and the statement."""

    need_more_information = forms.CharField(
        label="Need more information? Ask the coordinator",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=20_000,
    )
    statement_text = forms.CharField(
        label="Statement (text)",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="Stored exactly as you send it; paste an OpenPGP clearsigned text as it is.",
    )
    statement_file = forms.FileField(label="Or the statement as a file", required=False)
    signature_file = forms.FileField(
        label="Detached OpenPGP signature of the statement (optional file)", required=False
    )
    references = forms.CharField(
        label="References (one per line)", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    share = forms.BooleanField(
        label="Share my status and statement with the other participants before publication",
        required=False,
    )

    def __init__(self, *args: Any, vulnerabilities: list[Vulnerability], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.vulnerabilities = vulnerabilities
        self.rows: list[tuple[str, str, list[str]]] = []  # (prefix, legend, field names)
        for v in vulnerabilities:
            prefix = f"v{v.seq}"
            self.rows.append(
                (prefix, f"{v.label}{': ' + v.title if v.title else ''}", self._status_fields(prefix))
            )
        choices = [("", "—")] + [(str(v.seq), v.label) for v in vulnerabilities]
        for index in range(PRODUCT_ROWS if vulnerabilities else 0):
            prefix = f"p{index}"
            self.fields[f"{prefix}_vulnerability"] = forms.ChoiceField(
                label="Vulnerability", choices=choices, required=False
            )
            self.fields[f"{prefix}_product"] = forms.CharField(
                label="Product name", required=False, max_length=300
            )
            self.fields[f"{prefix}_version_range"] = forms.CharField(
                label="Version range", required=False, max_length=200
            )
            self.fields[f"{prefix}_purl"] = forms.CharField(
                label="Package URL (purl)", required=False, max_length=500
            )
            names = [f"{prefix}_{n}" for n in ("vulnerability", "product", "version_range", "purl")]
            self.rows.append(
                (prefix, f"Extra product row {index + 1} (optional)", names + self._status_fields(prefix))
            )

    def _status_fields(self, prefix: str) -> list[str]:
        self.fields[f"{prefix}_status"] = forms.ChoiceField(
            label="Status", choices=STATUS_CHOICES, initial=VexStatus.UNKNOWN.value, required=False
        )
        self.fields[f"{prefix}_justification"] = forms.ChoiceField(
            label="Justification (for not affected)", choices=JUSTIFICATION_CHOICES, required=False
        )
        self.fields[f"{prefix}_impact_statement"] = forms.CharField(
            label="Impact statement (for not affected)",
            required=False,
            widget=forms.Textarea(attrs={"rows": 2}),
            max_length=10_000,
        )
        self.fields[f"{prefix}_fixed_version"] = forms.CharField(
            label="Fixed version (for fixed)", required=False, max_length=200
        )
        self.fields[f"{prefix}_release_reference"] = forms.CharField(
            label="Release reference (for fixed)", required=False, max_length=500
        )
        self.fields[f"{prefix}_expected_fix_date"] = forms.DateField(
            label="Expected fix date", required=False, widget=forms.DateInput(attrs={"type": "date"})
        )
        self.fields[f"{prefix}_will_not_fix"] = forms.BooleanField(label="We will not fix", required=False)
        return [
            f"{prefix}_{n}"
            for n in (
                "status",
                "justification",
                "impact_statement",
                "fixed_version",
                "release_reference",
                "expected_fix_date",
                "will_not_fix",
            )
        ]

    def row_fields(self) -> list[tuple[str, str, list[Any]]]:
        return [(prefix, legend, [self[name] for name in names]) for prefix, legend, names in self.rows]

    def plain_fields(self) -> list[Any]:
        return [
            self[name]
            for name in (
                "need_more_information",
                "statement_text",
                "statement_file",
                "signature_file",
                "references",
                "share",
            )
        ]


def answer_initial(participant: Participant) -> dict[str, Any]:
    """The current answer as the form's starting values, so that a resubmission keeps it."""
    initial: dict[str, Any] = {}
    answer = Answer.objects.filter(participant=participant).first()
    initial["share"] = bool(answer and answer.share)
    extra = 0
    for status in Status.objects.filter(participant=participant).select_related("vulnerability"):
        if status.product:
            if extra >= PRODUCT_ROWS:
                continue
            prefix = f"p{extra}"
            extra += 1
            initial.update(
                {
                    f"{prefix}_vulnerability": str(status.vulnerability.seq),
                    f"{prefix}_product": status.product,
                    f"{prefix}_version_range": status.version_range,
                    f"{prefix}_purl": status.purl,
                }
            )
        else:
            prefix = f"v{status.vulnerability.seq}"
        initial.update(
            {
                f"{prefix}_status": status.status,
                f"{prefix}_justification": status.justification,
                f"{prefix}_impact_statement": status.impact_statement,
                f"{prefix}_fixed_version": status.fixed_version,
                f"{prefix}_release_reference": status.release_reference,
                f"{prefix}_expected_fix_date": status.expected_fix_date,
                f"{prefix}_will_not_fix": status.will_not_fix,
            }
        )
    return initial


def _status_input(data: dict[str, Any], prefix: str, vulnerability: str, **product: str) -> StatusInput:
    return StatusInput(
        vulnerability=vulnerability,
        status=data[f"{prefix}_status"] or VexStatus.UNKNOWN.value,
        justification=data[f"{prefix}_justification"] or "",
        impact_statement=data[f"{prefix}_impact_statement"] or "",
        fixed_version=data[f"{prefix}_fixed_version"] or "",
        release_reference=data[f"{prefix}_release_reference"] or "",
        expected_fix_date=data[f"{prefix}_expected_fix_date"],
        will_not_fix=bool(data[f"{prefix}_will_not_fix"]),
        **product,
    )


def answer_input(request: HttpRequest, form: AnswerForm) -> AnswerInput:
    """The action's input from a valid form. The statement's bytes are exactly what came."""
    data = form.cleaned_data
    statuses = [_status_input(data, f"v{v.seq}", str(v.seq)) for v in form.vulnerabilities]
    for index in range(PRODUCT_ROWS if form.vulnerabilities else 0):
        prefix = f"p{index}"
        product = (data[f"{prefix}_product"] or "").strip()
        if not product:
            continue
        if not data[f"{prefix}_vulnerability"]:
            raise InvalidInput(f"{prefix}_vulnerability", "Choose the vulnerability of this product row.")
        statuses.append(
            _status_input(
                data,
                prefix,
                data[f"{prefix}_vulnerability"],
                product=product,
                version_range=data[f"{prefix}_version_range"] or "",
                purl=data[f"{prefix}_purl"] or "",
            )
        )
    # The raw POST text, never the form's cleaned value: no stripping, no newline conversion.
    text = request.POST.get("statement_text", "")
    upload = request.FILES.get("statement_file")
    signature_upload = request.FILES.get("signature_file")
    statement = None
    if upload is not None and text.strip():
        raise InvalidInput("statement_text", "Give the statement as text or as a file, not both.")
    if upload is not None:
        limit = answer_actions.statement_limit()
        if upload.size is not None and upload.size > limit:
            raise InvalidInput("statement_file", f"A statement is limited to {limit:,} bytes.")
        raw = upload.read()
        statement = StatementInput(text=raw)
    elif text.strip():
        statement = StatementInput(text=text.encode("utf-8"))
    if signature_upload is not None:
        if statement is None:
            raise InvalidInput("signature_file", "A signature needs the statement it signs.")
        if signature_upload.size is not None and signature_upload.size > 100_000:
            raise InvalidInput("signature_file", "That signature is too large to be one.")
        try:
            statement.signature = signature_upload.read().decode("ascii")
        except UnicodeDecodeError:
            raise InvalidInput("signature_file", "Upload an ASCII-armoured OpenPGP signature.")
    if statement is not None:
        statement.references = data["references"] or ""
    return AnswerInput(
        statuses=statuses,
        statement=statement,
        need_more_information=data["need_more_information"] or "",
        share=bool(data["share"]),
    )


def run_answer(
    request: HttpRequest, participant: Participant, form: AnswerForm, by: User
) -> tuple[bool, str]:
    """Validate and submit; (done, message). Nothing is stored when anything is refused."""
    if not form.is_valid():
        return False, "Not saved: see the errors in the form below."
    try:
        answer_actions.submit_answer(participant, answer_input(request, form), by=by)
    except (RuleViolation, InvalidInput) as exc:
        field = getattr(exc, "field", None) or ""
        name = field.replace(".", "_")
        if name in form.fields:
            form.add_error(name, refusal(exc))
        return False, f"Not saved: {refusal(exc)}"
    return True, "Your answer is recorded." if not by.is_analyst else "The answer is recorded."


def statement_rows(participant: Participant, viewer: Viewer) -> list[dict[str, Any]]:
    """Every version of a vendor's statement, newest first, as `viewer` may see it, with the
    coordinator's addenda (the viewer is the coordinator or the vendor's own members)."""
    statements = list(
        Statement.objects.filter(participant=participant).select_related("recorded_by").order_by("-version")
    )
    addenda = [
        {
            "text": a.text,
            "created_at": a.created_at,
            "statement_id": a.statement_id,
            "author": viewer.person(a.author).name if a.author else "the coordinator",
        }
        for a in Addendum.objects.filter(participant=participant).select_related("author")
    ]
    return [
        {
            "statement": s,
            "shown": viewer.statement(s, participant),
            "addenda": [a for a in addenda if a["statement_id"] == s.pk],
        }
        for s in statements
    ] + (
        [{"statement": None, "shown": None, "addenda": [a for a in addenda if a["statement_id"] is None]}]
        if any(a["statement_id"] is None for a in addenda)
        else []
    )


# --- The vendor's view of a case -----------------------------------------------------------------


def vendor_context(
    request: HttpRequest, standing: Standing, viewer: Viewer, given: dict[str, Any]
) -> dict[str, Any]:
    """What a vendor participant sees on the case page after joining the embargo."""
    case, own = standing.case, standing.vendor
    assert own is not None
    vulnerabilities = list(case.vulnerabilities.order_by("seq"))
    form = given.get("answer_form") or AnswerForm(
        initial=answer_initial(own), vulnerabilities=vulnerabilities, auto_id="answer-%s"
    )
    statuses = list(Status.objects.filter(participant=own).select_related("vulnerability"))
    reports = list(case.reports.filter(share_contact=True))
    # Other vendors' answers, only where they chose to share them.
    shared = list(
        Answer.objects.filter(participant__case=case, share=True)
        .exclude(participant=own)
        .select_related("participant__organization", "participant__user")
        .order_by("participant_id")[:SHARED_LIMIT]
    )
    shared_ids = [a.participant_id for a in shared]
    shared_statuses: dict[int, list[Status]] = {}
    for status in Status.objects.filter(participant_id__in=shared_ids).select_related("vulnerability"):
        shared_statuses.setdefault(status.participant_id, []).append(status)
    latest: dict[int, Statement] = {}
    for statement in (
        Statement.objects.filter(participant_id__in=shared_ids)
        .select_related("recorded_by")
        .order_by("participant_id", "-version")
    ):
        latest.setdefault(statement.participant_id, statement)
    shared_rows = []
    for answer in shared:
        p = answer.participant
        current = latest.get(p.pk)
        shared_rows.append(
            {
                "name": viewer.label(p),
                "statuses": shared_statuses.get(p.pk, []),
                "statement": viewer.statement(current, p) if current else None,
            }
        )
    return {
        "vendor_view": True,
        "answer_form": form,
        "own_statuses": statuses,
        "own_statements": statement_rows(own, viewer),
        "own_requests": list(own.info_requests.all()),
        "shared_contacts": reports,
        "shared_rows": shared_rows,
        "own_answer": Answer.objects.filter(participant=own).first(),
    }


def _own_vendor(request: HttpRequest, case: str, need: str) -> tuple[Standing, Participant]:
    """The caller's vendor participation through the gate; others in the case get 409."""
    standing = access_case(request.user, case, need=need)
    if standing.vendor is None:
        raise RuleViolation("participant-member", "Only a vendor in this case does this")
    return standing, standing.vendor


def _case_redirect(case: Case, anchor: str = "") -> HttpResponse:
    from accord.cases.views.cases import case_url

    return redirect(case_url(case, anchor))


@require_POST
@access("object:case")
def embargo_join(request: HttpRequest, case: str) -> HttpResponse:
    """One click: the organisation accepts the embargo until the stated instant."""
    standing, own = _own_vendor(request, case, "terms")
    obj = standing.case
    try:
        participant_actions.answer_embargo(own, accept=True, by=_user(request))
    except (RuleViolation, InvalidInput) as exc:
        messages.error(request, refusal(exc))
    else:
        messages.success(request, "Your organisation accepts the embargo. The case details follow.")
    return _case_redirect(obj)


@access("object:case")
def embargo_decline(request: HttpRequest, case: str) -> HttpResponse:
    """Declining asks for confirmation first: afterwards the organisation sees nothing more."""
    standing, own = _own_vendor(request, case, "terms")
    obj = standing.case
    if request.method == "POST":
        try:
            participant_actions.answer_embargo(own, accept=False, by=_user(request))
        except (RuleViolation, InvalidInput) as exc:
            messages.error(request, refusal(exc))
            return _case_redirect(obj)
        messages.success(
            request, f"Your organisation declined the embargo of {obj.label}; the case is closed to you."
        )
        return redirect("cases:portal")
    return render(request, "cases/portal_decline.html", {"case": obj, "own": own})


@require_POST
@access("object:case")
def vendor_answer(request: HttpRequest, case: str) -> HttpResponse:
    """The vendor's answer to the four questions and its statement."""
    standing, own = _own_vendor(request, case, "act")
    obj = standing.case
    vulnerabilities = list(obj.vulnerabilities.order_by("seq"))
    form = AnswerForm(request.POST, request.FILES, vulnerabilities=vulnerabilities, auto_id="answer-%s")
    done, message = run_answer(request, own, form, _user(request))
    if done:
        messages.success(request, message)
        return _case_redirect(obj, "#answer")
    messages.error(request, message)
    from accord.cases.views.cases import case_page

    return case_page(request, standing, status=400, answer_form=form)


# --- The portal ----------------------------------------------------------------------------------


def _my_participations(user: User) -> Any:
    """The caller's organisations' vendor participations, newest case first (through the gate)."""
    return (
        own_participations(user)
        .filter(kind=Participant.Kind.VENDOR)
        .select_related("case", "organization")
        .order_by("-case__created_at", "-id")
    )


@access("authenticated")
def portal(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    rows = list(_my_participations(user)[:500])
    standings = standings_of(user, list({p.case_id: p.case for p in rows}.values()))
    admin_orgs = set(
        Membership.objects.filter(user=user, role=Membership.Role.ADMIN).values_list(
            "organization_id", flat=True
        )
    )
    members: dict[int, list[Membership]] = {}
    for m in Membership.objects.filter(organization_id__in=admin_orgs).select_related("user"):
        members.setdefault(m.organization_id, []).append(m)
    chosen: dict[int, set[int]] = {}
    for row in CaseMemberAccess.objects.filter(
        participant__in=[p.pk for p in rows if p.organization_id in admin_orgs]
    ):
        chosen.setdefault(row.participant_id, set()).add(row.user_id)
    entries = [
        {
            "p": p,
            "gated": standings[p.case_id].embargo_pending,
            "members": members.get(p.organization_id or 0, []) if p.organization_id in admin_orgs else [],
            "chosen": chosen.get(p.pk, set()),
        }
        for p in rows
    ]
    vendor_orgs = [
        m.organization
        for m in user.memberships.select_related("organization")
        if m.organization.kind == "vendor"
    ]
    return render(
        request,
        "cases/portal_home.html",
        {
            "entries": entries,
            "admin_entries": [e for e in entries if e["members"]],
            "vendor_orgs": vendor_orgs,
        },
    )


def _my_participant(request: HttpRequest) -> Participant | None:
    """The caller's organisation's participation named in the form (None: a message says so)."""
    value = request.POST.get("participant", "")
    number = parse_id(value)
    participant = _my_participations(_user(request)).filter(pk=number).first() if number else None
    if participant is None:
        messages.error(request, "There is no such case of your organisation.")
    return participant


@require_POST
@access("authenticated")
def portal_tracking(request: HttpRequest) -> HttpResponse:
    participant = _my_participant(request)
    if participant is None:
        return redirect("cases:portal")
    try:
        participant_actions.set_tracking_id(
            participant, request.POST.get("tracking_id", ""), by=_user(request)
        )
    except (RuleViolation, InvalidInput) as exc:
        messages.error(request, refusal(exc))
    else:
        messages.success(request, f"Your tracking id for {participant.case.label} is saved.")
    return redirect("cases:portal")


@require_POST
@access("authenticated")
def portal_access(request: HttpRequest) -> HttpResponse:
    participant = _my_participant(request)
    if participant is None:
        return redirect("cases:portal")
    ids = parse_ids(request.POST.getlist("members"))
    users = list(User.objects.filter(pk__in=ids)) if request.POST.get("everyone") != "1" else []
    try:
        participant_actions.set_member_access(participant, users, by=_user(request))
    except (RuleViolation, InvalidInput) as exc:
        messages.error(request, refusal(exc))
    else:
        who = "every member" if not users else ", ".join(u.display_name for u in users)
        messages.success(request, f"{participant.case.label} is visible to {who}.")
    return redirect("cases:portal")

"""The answer form: the coordinator's four questions (mission.md), in order, for the vendor's own
answer page and for the analysts' "on the vendor's behalf" page.

1. Is this a real vulnerability? A status per vulnerability ("not affected" with a reason).
2. Is it already fixed? The fixed version and the release: the status becomes "fixed".
3. If not, when will a fix be ready? An expected date, or "we will not fix".
4. Do you need more information? A request to the coordinator.

Rows per product answer questions 1 to 3 for one product; they are added on demand ("Add a
product": without JavaScript the button posts the form back and the page returns with one more
row, everything typed kept; static/accord.js adds the row in place).

"Not answered yet" is an answer of its own: a vulnerability left so sends no status, and a form
with none sends no statuses at all, so a vendor who only asks a question keeps its statuses
(accord.answers.actions.submit_answer). Statements are taken from the raw POST, never cleaned.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.http import HttpRequest, QueryDict

from accord.accounts.models import User
from accord.answers import actions as answer_actions
from accord.answers.actions import AnswerInput, StatementInput, StatusInput
from accord.answers.models import Answer, Justification, Status, VexStatus
from accord.cases.models import Participant, Vulnerability
from accord.cases.views.common import refusal
from accord.lib.errors import InvalidInput, RuleViolation

MAX_PRODUCT_ROWS = 100
ADD_PRODUCT = "add_product"  # the name of the "Add a product" button
TEMPLATE_PREFIX = "p__n__"  # the row static/accord.js copies; "__n__" becomes the row's index
NOT_ANSWERED = ""

# Question 1 in the vendor's words; "fixed" is question 2's answer (a fixed version).
STATUS_CHOICES = [
    (NOT_ANSWERED, "Not answered yet"),
    (VexStatus.AFFECTED.value, "Yes, it affects us"),
    (VexStatus.NOT_AFFECTED.value, "No, we are not affected"),
    (VexStatus.UNDER_INVESTIGATION.value, "We are still investigating"),
    (VexStatus.UNKNOWN.value, "We do not know"),
]
JUSTIFICATION_CHOICES = [("", "—")] + [(j.value, j.label.capitalize()) for j in Justification]
# The fields of questions 1-3 in each row, after the product's own fields.
Q1 = ("status", "justification", "impact_statement")
Q2 = ("fixed_version", "release_reference")
Q3 = ("expected_fix_date", "will_not_fix")
PRODUCT = ("vulnerability", "product", "version_range", "purl")
ANSWER_FIELDS = Q1 + Q2 + Q3
PLAIN = ("need_more_information", "statement_text", "statement_file", "signature_file", "references", "share")


def _row_count(data: Any) -> int:
    """How many product rows a posted form has: its counter, or the highest row index it sends
    (a client that posts p0_* without the counter, or rows a script added)."""
    count = 0
    counter = str(data.get("products", "") if data is not None else "")
    if re.fullmatch(r"[0-9]{1,3}", counter):
        count = int(counter)
    for name in data or ():
        match = re.match(r"p([0-9]{1,3})_", name)
        if match:
            count = max(count, int(match.group(1)) + 1)
    return min(count, MAX_PRODUCT_ROWS)


class AnswerForm(forms.Form):
    """Per vulnerability the answers to questions 1-3, product rows, question 4 and the statement."""

    added_row = 0  # the row "Add a product" just added (its product name takes the focus)
    files_dropped = False  # files were chosen before "Add a product": they must be chosen again

    products = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)
    need_more_information = forms.CharField(
        label="Your question to the coordinator",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=20_000,
        help_text="It goes to your private thread with the coordinator, who answers there (and asks the "
        "reporter when needed). Asking "
        "records no answer to the other questions.",
    )
    statement_text = forms.CharField(
        label="Statement",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="Stored exactly as you send it: paste an OpenPGP clearsigned text as it is. A new "
        "text becomes a new version; the earlier ones stay, listed below the form.",
    )
    statement_file = forms.FileField(
        label="Or the statement as a file",
        required=False,
        widget=forms.FileInput,
        help_text="A text file, stored byte for byte.",
    )
    signature_file = forms.FileField(
        label="Detached OpenPGP signature of the statement (optional)",
        required=False,
        widget=forms.FileInput(attrs={"accept": ".asc,.sig,application/pgp-signature"}),
        help_text="An ASCII-armoured signature file (.asc, from gpg --armor --detach-sign) made "
        "over the statement exactly as you send it. It is checked against your organisation's "
        "approved keys.",
    )
    references = forms.CharField(
        label="References (one per line)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Your advisory, release notes or bug tracker entries.",
    )
    share = forms.BooleanField(
        label="Share my answers and statement with the other participants before publication",
        required=False,
        help_text="Otherwise they see only that you were notified and whether you answered.",
    )

    def __init__(
        self,
        *args: Any,
        vulnerabilities: list[Vulnerability],
        product_rows: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.vulnerabilities = vulnerabilities
        if product_rows is None:
            product_rows = _row_count(self.data) if self.is_bound else int(self.initial.get("products") or 0)
        self.product_rows = min(product_rows, MAX_PRODUCT_ROWS) if vulnerabilities else 0
        self.initial["products"] = self.product_rows
        if self.is_bound:  # the counter the page sends back counts every row shown
            data = QueryDict(mutable=True)
            data.update(self.data)
            data["products"] = str(self.product_rows)
            self.data = data
        self.choices = [("", "Choose…")] + [
            (str(v.seq), f"{v.label}{': ' + v.title if v.title else ''}") for v in vulnerabilities
        ]
        for v in vulnerabilities:
            self._answer_fields(f"v{v.seq}")
        for index in range(self.product_rows):
            self._product_fields(f"p{index}")

    # --- Building the fields ----------------------------------------------------------------------

    def _product_fields(self, prefix: str) -> None:
        self.fields[f"{prefix}_vulnerability"] = forms.ChoiceField(
            label="Vulnerability", choices=self.choices, required=False
        )
        if len(self.vulnerabilities) == 1:
            self.initial.setdefault(f"{prefix}_vulnerability", str(self.vulnerabilities[0].seq))
        self.fields[f"{prefix}_product"] = forms.CharField(
            label="Product name",
            required=False,
            max_length=300,
            help_text="Leave it empty to drop this row.",
        )
        self.fields[f"{prefix}_version_range"] = forms.CharField(
            label="Versions", required=False, max_length=200, help_text="For example: < 2.0, or 1.4 to 1.9"
        )
        self.fields[f"{prefix}_purl"] = forms.CharField(
            label="Package URL (purl, optional)",
            required=False,
            max_length=500,
            help_text="For example: pkg:npm/widget-server",
        )
        self._answer_fields(prefix)

    def _answer_fields(self, prefix: str) -> None:
        self.fields[f"{prefix}_status"] = forms.ChoiceField(
            label="Is it real for you?",
            choices=STATUS_CHOICES,
            initial=NOT_ANSWERED,
            required=False,
            widget=forms.RadioSelect,
        )
        self.fields[f"{prefix}_justification"] = forms.ChoiceField(
            label="If not affected: why not?",
            choices=JUSTIFICATION_CHOICES,
            required=False,
            help_text="“Not affected” needs a reason here or an impact statement below.",
        )
        self.fields[f"{prefix}_impact_statement"] = forms.CharField(
            label="If not affected: impact statement",
            required=False,
            widget=forms.Textarea(attrs={"rows": 2}),
            max_length=10_000,
            help_text="In your words, why the vulnerability cannot be exploited in your product.",
        )
        self.fields[f"{prefix}_fixed_version"] = forms.CharField(
            label="Fixed in version",
            required=False,
            max_length=200,
            help_text="Your answer then reads “fixed”.",
        )
        self.fields[f"{prefix}_release_reference"] = forms.CharField(
            label="Release reference",
            required=False,
            max_length=500,
            help_text="A link to the release notes or advisory, or its identifier.",
        )
        self.fields[f"{prefix}_expected_fix_date"] = forms.DateField(
            label="Expected fix date",
            required=False,
            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        )
        self.fields[f"{prefix}_will_not_fix"] = forms.BooleanField(label="We will not fix it", required=False)

    # --- What the template reads ------------------------------------------------------------------

    def _group(self, prefix: str, names: tuple[str, ...]) -> list[Any]:
        return [self[f"{prefix}_{name}"] for name in names]

    def questions(self) -> list[dict[str, Any]]:
        """Questions 1-3, each with one group of fields per vulnerability."""
        groups = [
            ("q1", "1. Is this a real vulnerability in your products?", Q1),
            ("q2", "2. Is it already fixed?", Q2),
            ("q3", "3. If not, when will a fix be ready?", Q3),
        ]
        return [
            {
                "id": key,
                "legend": legend,
                "rows": [(v, self._group(f"v{v.seq}", names)) for v in self.vulnerabilities],
            }
            for key, legend, names in groups
        ]

    def product_row_fields(self) -> list[tuple[int, list[Any], list[Any], list[Any], list[Any]]]:
        """Each product row: (number, product fields, question 1, 2 and 3 fields)."""
        return [
            (
                index + 1,
                self._group(f"p{index}", PRODUCT),
                self._group(f"p{index}", Q1),
                self._group(f"p{index}", Q2),
                self._group(f"p{index}", Q3),
            )
            for index in range(self.product_rows)
        ]

    def template_row(self) -> AnswerForm:
        """An unbound form with the one product row static/accord.js copies (prefix p__n__)."""
        form = AnswerForm(vulnerabilities=self.vulnerabilities, product_rows=0, auto_id=self.auto_id)
        form._product_fields(TEMPLATE_PREFIX)
        return form

    def template_fields(self) -> tuple[list[Any], list[Any], list[Any], list[Any]]:
        return (
            self._group(TEMPLATE_PREFIX, PRODUCT),
            self._group(TEMPLATE_PREFIX, Q1),
            self._group(TEMPLATE_PREFIX, Q2),
            self._group(TEMPLATE_PREFIX, Q3),
        )

    def plain(self) -> dict[str, Any]:
        return {name: self[name] for name in PLAIN}

    def error_links(self) -> list[tuple[str, str]]:
        """(field id, "where: what to fix") for the error summary at the top of the page."""
        where: dict[str, str] = {}
        for v in self.vulnerabilities:
            for name in ANSWER_FIELDS:
                where[f"v{v.seq}_{name}"] = v.label
        for index in range(self.product_rows):
            for name in PRODUCT + ANSWER_FIELDS:
                where[f"p{index}_{name}"] = f"Product {index + 1}"
        links = []
        for name, errors in self.errors.items():
            if name not in self.fields:
                continue
            field = self[name]
            label = f"{where[name]}, {field.label}" if name in where else field.label
            target = field.id_for_label or field.auto_id
            if isinstance(field.field.widget, forms.RadioSelect):
                target = f"{field.auto_id}_0"
            links.append((target, f"{label}: {' '.join(str(e) for e in errors)}"))
        return links

    # --- Checking the answers ---------------------------------------------------------------------

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for v in self.vulnerabilities:
            self._check_row(data, f"v{v.seq}")
        for index in range(self.product_rows):
            prefix = f"p{index}"
            product = (data.get(f"{prefix}_product") or "").strip()
            filled = any(_given(data.get(f"{prefix}_{n}")) for n in ("version_range", "purl", *ANSWER_FIELDS))
            if not product:
                if filled:
                    self.add_error(f"{prefix}_product", "Name the product, or clear this row.")
                continue
            if not data.get(f"{prefix}_vulnerability"):
                self.add_error(f"{prefix}_vulnerability", "Choose the vulnerability this product answers.")
            if not data.get(f"{prefix}_status"):
                self.add_error(f"{prefix}_status", "Answer question 1 for this product.")
            self._check_row(data, prefix)
        return data

    def _check_row(self, data: dict[str, Any], prefix: str) -> None:
        status = data.get(f"{prefix}_status") or NOT_ANSWERED
        given = [n for n in ANSWER_FIELDS[1:] if _given(data.get(f"{prefix}_{n}"))]
        if status == NOT_ANSWERED:
            if given:
                self.add_error(
                    f"{prefix}_status", "Answer question 1 first: is it a real vulnerability for you?"
                )
            return
        justification = data.get(f"{prefix}_justification")
        impact = (data.get(f"{prefix}_impact_statement") or "").strip()
        if status == VexStatus.NOT_AFFECTED:
            if not (justification or impact):
                self.add_error(
                    f"{prefix}_justification", "Say why not: choose a reason or write an impact statement."
                )
            for name in Q2 + Q3:
                if name in given:
                    self.add_error(f"{prefix}_{name}", 'This goes with "Yes, it affects us".')
            return
        if justification:
            self.add_error(f"{prefix}_justification", 'A reason goes only with "No, we are not affected".')
        if impact:
            self.add_error(
                f"{prefix}_impact_statement", 'An impact statement goes only with "No, we are not affected".'
            )
        if status != VexStatus.AFFECTED:
            for name in Q2:
                if name in given:
                    self.add_error(f"{prefix}_{name}", 'A fix goes with "Yes, it affects us".')
        elif "release_reference" in given and "fixed_version" not in given:
            self.add_error(f"{prefix}_fixed_version", "Say which version fixes it.")
        if "fixed_version" in given and "will_not_fix" in given:
            self.add_error(f"{prefix}_will_not_fix", "A fixed version and “we will not fix it” contradict.")


def _given(value: Any) -> bool:
    if isinstance(value, str):
        return bool(value.strip())
    return bool(value)


# --- From the stored answer to the form, and from the form to the action ------------------------


def answer_initial(participant: Participant) -> dict[str, Any]:
    """The current answer as the form's starting values, so that a resubmission keeps it."""
    initial: dict[str, Any] = {}
    answer = Answer.objects.filter(participant=participant).first()
    initial["share"] = bool(answer and answer.share)
    rows = 0
    for status in Status.objects.filter(participant=participant).select_related("vulnerability"):
        if status.product:
            if rows >= MAX_PRODUCT_ROWS:
                continue
            prefix = f"p{rows}"
            rows += 1
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
        fixed = status.status == VexStatus.FIXED
        initial.update(
            {
                f"{prefix}_status": VexStatus.AFFECTED.value if fixed else status.status,
                f"{prefix}_justification": status.justification,
                f"{prefix}_impact_statement": status.impact_statement,
                f"{prefix}_fixed_version": status.fixed_version,
                f"{prefix}_release_reference": status.release_reference,
                f"{prefix}_expected_fix_date": status.expected_fix_date,
                f"{prefix}_will_not_fix": status.will_not_fix,
            }
        )
    initial["products"] = rows
    return initial


def _status_input(data: dict[str, Any], prefix: str, vulnerability: str, **product: str) -> StatusInput:
    fixed_version = (data[f"{prefix}_fixed_version"] or "").strip()
    status = data[f"{prefix}_status"]
    return StatusInput(
        vulnerability=vulnerability,
        status=VexStatus.FIXED.value if fixed_version else status,
        justification=data[f"{prefix}_justification"] or "",
        impact_statement=data[f"{prefix}_impact_statement"] or "",
        fixed_version=fixed_version,
        release_reference=data[f"{prefix}_release_reference"] or "",
        expected_fix_date=data[f"{prefix}_expected_fix_date"],
        will_not_fix=bool(data[f"{prefix}_will_not_fix"]),
        **product,
    )


def answer_input(request: HttpRequest, form: AnswerForm) -> AnswerInput:
    """The action's input from a valid form. The statement's bytes are exactly what came."""
    data = form.cleaned_data
    statuses = [
        _status_input(data, f"v{v.seq}", str(v.seq))
        for v in form.vulnerabilities
        if data[f"v{v.seq}_status"] != NOT_ANSWERED
    ]
    for index in range(form.product_rows):
        prefix = f"p{index}"
        product = (data[f"{prefix}_product"] or "").strip()
        if not product:
            continue
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
        statement = StatementInput(text=upload.read())
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
            raise InvalidInput(
                "signature_file",
                "That is a binary signature: upload the ASCII-armoured one (.asc, gpg --armor --detach-sign).",
            )
    if statement is not None:
        statement.references = data["references"] or ""
    return AnswerInput(
        # No answer to any of questions 1-3: the vendor's statuses stay as they are.
        statuses=statuses or None,
        statement=statement,
        need_more_information=data["need_more_information"] or "",
        share=bool(data["share"]),
    )


def answer_form_from(request: HttpRequest, vulnerabilities: list[Vulnerability]) -> tuple[AnswerForm, bool]:
    """The posted answer form, and whether the poster asked for one more product row ("Add a
    product" without JavaScript). Then the form comes back unbound with everything typed as its
    starting values and one more row, and nothing is recorded or checked yet."""
    posted = AnswerForm(request.POST, request.FILES, vulnerabilities=vulnerabilities, auto_id="answer-%s")
    if ADD_PRODUCT not in request.POST:
        return posted, False
    rows = min(posted.product_rows + 1, MAX_PRODUCT_ROWS)
    initial = _typed(request.POST, posted)
    initial["products"] = rows
    form = AnswerForm(
        initial=initial, vulnerabilities=vulnerabilities, product_rows=rows, auto_id="answer-%s"
    )
    form.added_row = rows
    if rows:  # the new row's product name takes the focus
        form.fields[f"p{rows - 1}_product"].widget.attrs["autofocus"] = True
    form.files_dropped = bool(request.FILES)
    return form, True


def _typed(data: QueryDict, form: AnswerForm) -> dict[str, Any]:
    """What was typed, as starting values (a browser does not send an unchecked box)."""
    initial: dict[str, Any] = {}
    for name, field in form.fields.items():
        if isinstance(field, forms.FileField):
            continue
        if isinstance(field, forms.BooleanField):
            initial[name] = data.get(name) in ("on", "true", "1", "True")
        elif name in data:
            initial[name] = data.get(name)
    return initial


def run_answer(
    request: HttpRequest, participant: Participant, form: AnswerForm, by: User
) -> tuple[bool, str]:
    """Validate and submit; (done, message). Nothing is stored when anything is refused."""
    if not form.is_valid():
        return False, "Not sent: correct the answers marked below."
    try:
        answer = answer_actions.submit_answer(participant, answer_input(request, form), by=by)
    except (RuleViolation, InvalidInput) as exc:
        field = getattr(exc, "field", None) or ""
        name = field.replace(".", "_")
        form.add_error(name if name in form.fields else None, refusal(exc))
        return False, f"Not sent: {refusal(exc)}"
    return True, done_message(answer.changed, analyst=by.is_analyst)


def done_message(changed: list[str], *, analyst: bool) -> str:
    """What was recorded, in words."""
    if not changed:
        return "Nothing changed: the answer is the same as before."
    own = "the " if analyst else "your "
    parts = []
    if "statuses" in changed:
        parts.append(f"{own}answers to questions 1 to 3")
    if "statement" in changed:
        parts.append(f"{own}statement")
    if "share" in changed:
        parts.append(f"{own}sharing choice")
    said = f"Recorded: {_and(parts)}." if parts else ""
    if "info_request" in changed:
        asked = (
            "The question is recorded for the vendor."
            if analyst
            else "Your question is sent to the coordinator."
        )
        said = f"{said} {asked}".strip()
    return said


def _and(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]

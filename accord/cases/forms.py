"""Forms of the report, triage, case and policy pages. They only read input: actions decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

from accord.cases import ssvc
from accord.cases.actions.reports import LIMITS, REQUIRED
from accord.cases.states import RM, SHARED_FACTS, Fact
from accord.lib.ids import MAX_ID, parse_id

TEXTAREA = forms.Textarea(attrs={"rows": 5})
SHORT_TEXTAREA = forms.Textarea(attrs={"rows": 3})


def _text(label: str, name: str, *, required: bool = False, area: bool = False, help_text: str = "") -> Any:
    limit = LIMITS[name]
    widget = forms.Textarea(attrs={"rows": 6 if limit > 10_000 else 3}) if area else None
    return forms.CharField(
        label=label, max_length=limit, required=required, widget=widget, help_text=help_text, strip=False
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one <input type=file multiple>; checked by the view, by name."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        if not data:
            return []
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(item, initial) for item in files]


def attachment_help() -> str:
    megabytes = settings.REPORT_MAX_ATTACHMENT_BYTES // (1024 * 1024)
    return (
        f"Up to {settings.REPORT_MAX_ATTACHMENTS} files of at most {megabytes} MB each. "
        f"Accepted: {', '.join(settings.REPORT_ATTACHMENT_TYPES)}."
    )


class ReportForm(forms.Form):
    """Every field of ReportInput, grouped into fieldsets by `FIELDSETS`."""

    # About you
    reporter_name = _text("Name or pseudonym", "reporter_name")
    reporter_organization = _text("Organisation", "reporter_organization")
    reporter_email = forms.EmailField(
        label="Email",
        required=False,
        max_length=LIMITS["reporter_email"],
        help_text="We send the report id and a private link to follow the report here.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    reporter_pgp_key = _text(
        "OpenPGP public key (optional)",
        "reporter_pgp_key",
        area=True,
        help_text="ASCII-armoured. We use it to encrypt mail to you.",
    )
    share_contact = forms.BooleanField(label="Share my contact details with the vendors", required=False)
    credit = forms.BooleanField(label="Credit me in the published note", required=False, initial=True)
    credit_name = _text(
        "Credit name",
        "credit_name",
        help_text="How to credit you; your name if left empty. Without a name we thank "
        "“an anonymous reporter”.",
    )
    # Vendor contact so far
    affected_vendors = _text("Affected vendor(s)", "affected_vendors", area=True)
    vendor_contacted = forms.BooleanField(label="I have contacted the vendor(s)", required=False)
    vendor_contacted_on = forms.DateField(
        label="When you contacted them", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    vendor_contact_summary = _text("Summary of the contact", "vendor_contact_summary", area=True)
    coordinate_all_vendors = forms.BooleanField(
        label="Coordinate with all affected vendors",
        required=False,
        help_text="For a flaw in a component that others ship too: we contact every vendor at once.",
    )
    anonymous_to_vendors = forms.BooleanField(
        label="Stay anonymous towards the other vendors",
        required=False,
        help_text="They see only an alias for your organisation.",
    )
    # The vulnerability
    product = _text("Product", "product", required=True)
    version = _text("Version(s)", "version", required=True)
    description = _text(
        "Description",
        "description",
        required=True,
        area=True,
        help_text="What is wrong, and how to see it happen. Markdown works: put code between two lines of ```.",
    )
    exploitation = _text("How is it exploited?", "exploitation", area=True)
    impact = _text("Impact", "impact", area=True)
    discovery = _text("How was it found?", "discovery", area=True)
    # Public? exploited?
    is_public = forms.BooleanField(label="It is already public", required=False)
    public_references = _text(
        "Where it is public", "public_references", area=True, help_text="URLs or references."
    )
    is_exploited = forms.BooleanField(label="It is being exploited", required=False)
    exploited_references = _text(
        "Evidence of exploitation", "exploited_references", area=True, help_text="URLs or references."
    )
    # Disclosure plans
    disclosure_plans = _text(
        "Your disclosure plans",
        "disclosure_plans",
        area=True,
        help_text="For example a talk, a paper or a blog post, and when.",
    )
    # Attachments
    attachments = MultipleFileField(label="Files", required=False)
    # A private comment
    coordinator_comment = _text(
        "Private comment for the coordinator",
        "coordinator_comment",
        area=True,
        help_text="Only the coordinator's analysts read this.",
    )
    # The honeypot: people do not see it, and bots fill it in.
    website = forms.CharField(
        label="Leave this field empty",
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    # The vulnerability first: it is all a minimal report needs. Each group: legend, help, fields.
    FIELDSETS = (
        (
            "The vulnerability",
            "",
            ("product", "version", "description", "exploitation", "impact", "discovery"),
        ),
        (
            "About you",
            "All optional: leave them empty to report anonymously. With an email we can tell you "
            "when we write to you or accept the report.",
            (
                "reporter_name",
                "reporter_organization",
                "reporter_email",
                "reporter_pgp_key",
                "share_contact",
                "credit",
                "credit_name",
            ),
        ),
        (
            "Vendor contact so far",
            "",
            (
                "affected_vendors",
                "vendor_contacted",
                "vendor_contacted_on",
                "vendor_contact_summary",
                "coordinate_all_vendors",
                "anonymous_to_vendors",
            ),
        ),
        (
            "Is it public or exploited?",
            "",
            ("is_public", "public_references", "is_exploited", "exploited_references"),
        ),
        ("Your disclosure plans", "", ("disclosure_plans",)),
        ("Attachments", "", ("attachments",)),
        ("A private comment for the coordinator", "", ("coordinator_comment",)),
    )
    VENDOR_ONLY = ("coordinate_all_vendors", "anonymous_to_vendors")

    def __init__(self, *args: Any, vendor: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not vendor:
            for name in self.VENDOR_ONLY:
                del self.fields[name]
        self.fields["attachments"].help_text = attachment_help()
        accept = ",".join(settings.REPORT_ATTACHMENT_TYPES)
        self.fields["attachments"].widget.attrs["accept"] = accept

    def fieldsets(self) -> list[tuple[str, str, list[forms.BoundField]]]:
        return [
            (legend, help_text, [self[name] for name in names if name in self.fields])
            for legend, help_text, names in self.FIELDSETS
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        # Text keeps its spaces (code), so a blank-only answer passes the field: refuse it here,
        # with the other errors, rather than in a second round from the action.
        for name in REQUIRED:
            value = cleaned.get(name)
            if isinstance(value, str) and not value.strip():
                self.add_error(name, forms.Field.default_error_messages["required"])
        return cleaned

    @property
    def honeypot_filled(self) -> bool:
        return bool((self.data.get("website") or "").strip())


class CreditForm(forms.Form):
    """The reporter's credit preference, on the follow page."""

    credit = forms.BooleanField(label="Credit me in the published note", required=False)
    credit_name = forms.CharField(
        label="Credit name",
        max_length=LIMITS["credit_name"],
        required=False,
        help_text="How to credit you; your name if left empty. Without a name we thank "
        "“an anonymous reporter”.",
    )


ASSIGNED_CHOICES = (("", "anyone"), ("me", "assigned to me"), ("none", "unassigned"))


class TriageFilterForm(forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=200)
    state = forms.ChoiceField(
        label="State", required=False, choices=(("", "open (Received or Valid)"), ("all", "any"), *RM.choices)
    )
    assigned = forms.ChoiceField(label="Assigned", required=False, choices=ASSIGNED_CHOICES)


class AnalystChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.display_name} <{obj.email}>" if obj.name else obj.email

    def to_python(self, value: Any) -> Any:
        if value not in self.empty_values and parse_id(value) is None:  # "٣" is not user 3
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class AssignForm(forms.Form):
    analyst = AnalystChoiceField(
        label="Assign to", queryset=None, required=False, empty_label="nobody (unassigned)"
    )

    def __init__(self, *args: Any, analysts: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["analyst"].queryset = analysts  # type: ignore[attr-defined]


class ReasonForm(forms.Form):
    reason = forms.CharField(label="Reason", required=False, max_length=2000, widget=SHORT_TEXTAREA)


class DuplicateForm(forms.Form):
    case = forms.CharField(
        label="Duplicate of case", max_length=40, help_text="Its id, for example VU#123456."
    )


def decision_form_class(decision: ssvc.Decision) -> type[forms.Form]:
    """A form with one radio group per decision point of an SSVC table, plus the analyst's choice."""
    fields: dict[str, Any] = {}
    for point in decision.points:
        fields[point.key] = forms.ChoiceField(
            label=point.name,
            help_text=point.question,
            choices=point.choices(),
            widget=forms.RadioSelect,
        )
    fields["chosen"] = forms.ChoiceField(
        label="Your decision",
        required=False,
        choices=(("", "As the table says"), *((o.value, o.label) for o in decision.outcomes)),
        widget=forms.RadioSelect,
        initial="",
        help_text="The outcome is advice: record your own choice if it differs.",
    )
    fields["rationale"] = forms.CharField(
        label="Rationale", required=False, max_length=5000, widget=SHORT_TEXTAREA
    )
    return type(f"{decision.key.title().replace('_', '')}Form", (forms.Form,), fields)


TriageDecisionForm = decision_form_class(ssvc.COORDINATOR_TRIAGE)
PublishDecisionForm = decision_form_class(ssvc.COORDINATOR_PUBLISH)


def decision_values(form: forms.Form, decision: ssvc.Decision) -> dict[str, str]:
    return {point.key: form.cleaned_data[point.key] for point in decision.points}


def decision_groups(form: forms.Form, decision: ssvc.Decision) -> list[dict[str, Any]]:
    """What the template needs to draw each radio group with the options' descriptions."""
    groups = []
    for point in decision.points:
        bound = form[point.key]
        options = {option.value: option for option in point.options}
        groups.append(
            {
                "point": point,
                "field": bound,
                "radios": [(radio, options[str(radio.data["value"])]) for radio in bound],
            }
        )
    return groups


# --- The case page ---------------------------------------------------------------------------


class LocalDateTimeInput(forms.DateTimeInput):
    """<input type=datetime-local>: read and shown in the user's own zone (activated per request)."""

    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


def local_datetime_field(label: str, *, required: bool = True, help_text: str = "") -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=required,
        widget=LocalDateTimeInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        help_text=help_text,
    )


class CaseEditForm(forms.Form):
    title = forms.CharField(label="Title", max_length=300)
    summary = forms.CharField(label="Summary", required=False, max_length=100_000, widget=TEXTAREA)


class AnalystsChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.display_name} <{obj.email}>" if obj.name else obj.email

    def clean(self, value: Any) -> Any:
        # Django's own check ends in a `pk__in` lookup, which has no guard against integers
        # the database cannot hold (an OverflowError on SQLite): refuse them first.
        for pk in value if isinstance(value, list | tuple) else ():
            if parse_id(pk) is None:
                raise ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": pk}
                )
        return super().clean(value)


class CaseAnalystsForm(forms.Form):
    analysts = AnalystsChoiceField(
        label="Assigned analysts", queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    owner = AnalystChoiceField(label="Owner", queryset=None, required=False, empty_label="keep the owner")

    def __init__(self, *args: Any, analysts: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["analysts"].queryset = analysts  # type: ignore[attr-defined]
        self.fields["owner"].queryset = analysts  # type: ignore[attr-defined]


class VulnerabilityForm(forms.Form):
    title = forms.CharField(label="Title", required=False, max_length=300)
    description = forms.CharField(
        label="Description", required=False, max_length=100_000, widget=SHORT_TEXTAREA
    )
    cve = forms.CharField(label="CVE id", required=False, max_length=32, help_text="e.g. CVE-2026-12345")
    cwe = forms.CharField(label="CWE id", required=False, max_length=16, help_text="e.g. CWE-79")
    euvd = forms.CharField(
        label="EUVD id",
        required=False,
        max_length=40,
        help_text="ENISA's European Vulnerability Database id, e.g. EUVD-2026-12345",
    )
    gcve = forms.CharField(
        label="GCVE ids",
        required=False,
        max_length=1000,
        help_text="Global CVE ids, separated by spaces or commas, e.g. GCVE-1-2026-0001",
    )
    cvss3_vector = forms.CharField(
        label="CVSS 3.1 vector", required=False, max_length=200, help_text="CVSS:3.1/AV:N/AC:L/…"
    )
    cvss4_vector = forms.CharField(
        label="CVSS 4.0 vector", required=False, max_length=300, help_text="CVSS:4.0/AV:N/AC:L/…"
    )


class VulnerabilityEditForm(VulnerabilityForm):
    seq = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=MAX_ID)


class ProductForm(forms.Form):
    seq = forms.TypedChoiceField(label="Vulnerability", coerce=int, choices=())
    name = forms.CharField(label="Product", max_length=300)
    version_range = forms.CharField(label="Versions", required=False, max_length=200)
    purl = forms.CharField(
        label="Package URL (purl)", required=False, max_length=500, help_text="e.g. pkg:pypi/django@5.2"
    )

    def __init__(self, *args: Any, vulnerabilities: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["seq"].choices = [(v.seq, v.label) for v in vulnerabilities]  # type: ignore[attr-defined]


class ContactForm(forms.Form):
    at = local_datetime_field("When")
    note = forms.CharField(
        label="How and whom",
        required=False,
        max_length=2000,
        widget=SHORT_TEXTAREA,
        help_text="e.g. phone call to the PSIRT.",
    )


class EmbargoProposeForm(forms.Form):
    ends_at = local_datetime_field("Embargo ends")
    reason = forms.CharField(label="Reason", required=False, max_length=5000, widget=SHORT_TEXTAREA)


class FactForm(forms.Form):
    fact = forms.ChoiceField(
        label="What happened",
        choices=[(f.value, f"{f.value}: {f.label}") for f in SHARED_FACTS],
        widget=forms.RadioSelect,
    )
    evidence = forms.CharField(
        label="Evidence", max_length=10_000, widget=SHORT_TEXTAREA, help_text="A URL or a description."
    )


class ClaimForm(forms.Form):
    claim = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=MAX_ID)
    reason = forms.CharField(label="Reason", required=False, max_length=2000)


# --- The policy ------------------------------------------------------------------------------


class PolicyForm(forms.Form):
    disclosure_days = forms.IntegerField(
        label="Days to publication",
        min_value=1,
        max_value=3650,
        help_text="From the first contact attempt to the target publication date.",
    )
    exit_embargo_on_attacks = forms.BooleanField(
        label="End the embargo when attacks are confirmed", required=False
    )
    draft_share_days = forms.IntegerField(
        label="Days the draft is shared before publication", min_value=0, max_value=365
    )
    page = forms.CharField(
        label="Policy page (Markdown)",
        max_length=50_000,
        widget=forms.Textarea(attrs={"rows": 20}),
        help_text="{disclosure_days} and {draft_share_days} are replaced by the live values.",
        strip=False,
    )


FACT_LABELS = {f.value: f.label for f in Fact}

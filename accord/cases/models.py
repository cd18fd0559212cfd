from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accord.cases.states import EM, RM, Fact
from accord.lib.ids import case_label

User = settings.AUTH_USER_MODEL


class Report(models.Model):
    """A vulnerability report before (or instead of) a case. Its id cannot be guessed."""

    id = models.CharField(primary_key=True, max_length=32)
    state = models.CharField(max_length=10, choices=RM.choices, default=RM.RECEIVED, db_index=True)
    submitted_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="reports"
    )
    submitted_by_org = models.ForeignKey(
        "accounts.Organization", on_delete=models.SET_NULL, null=True, blank=True, related_name="reports"
    )
    access_key_hash = models.CharField(
        max_length=64, unique=True, help_text="Hash of the private follow link."
    )
    client_hash = models.CharField(max_length=32, blank=True, db_index=True, help_text="For the rate limit.")
    # About the reporter
    reporter_name = models.CharField(max_length=200, blank=True)
    reporter_organization = models.CharField(max_length=200, blank=True)
    reporter_email = models.EmailField(blank=True)
    reporter_pgp_key = models.TextField(blank=True)
    share_contact = models.BooleanField(default=False)
    credit = models.BooleanField(default=True)
    credit_name = models.CharField(max_length=200, blank=True)
    # Vendor contact so far
    affected_vendors = models.TextField(blank=True)
    vendor_contacted = models.BooleanField(default=False)
    vendor_contacted_on = models.DateField(null=True, blank=True)
    vendor_contact_summary = models.TextField(blank=True)
    coordinate_all_vendors = models.BooleanField(
        default=False, help_text="A vendor asks to coordinate with all."
    )
    anonymous_to_vendors = models.BooleanField(default=False)
    # The vulnerability
    product = models.CharField(max_length=300)
    version = models.CharField(max_length=200)
    description = models.TextField()
    exploitation = models.TextField(blank=True)
    impact = models.TextField(blank=True)
    discovery = models.TextField(blank=True)
    is_public = models.BooleanField(default=False)
    public_references = models.TextField(blank=True)
    is_exploited = models.BooleanField(default=False)
    exploited_references = models.TextField(blank=True)
    disclosure_plans = models.TextField(blank=True)
    coordinator_comment = models.TextField(blank=True)
    # Triage
    assigned_to = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    case = models.ForeignKey("Case", on_delete=models.SET_NULL, null=True, blank=True, related_name="reports")
    is_duplicate = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at", "id")

    def __str__(self) -> str:
        return self.id

    @property
    def title(self) -> str:
        return f"{self.product} {self.version}".strip()


class ReportAttachment(models.Model):
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="reports/%Y/%m/")
    name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name


class Case(models.Model):
    number = models.PositiveIntegerField(unique=True)
    title = models.CharField(max_length=300)
    summary = models.TextField(blank=True)
    owner = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="owned_cases"
    )
    analysts: models.ManyToManyField = models.ManyToManyField(User, blank=True, related_name="assigned_cases")
    # Shared case-state facts (confirmed instants; null = not yet).
    p_at = models.DateTimeField(null=True, blank=True)
    x_at = models.DateTimeField(null=True, blank=True)
    a_at = models.DateTimeField(null=True, blank=True)
    # Disclosure policy
    first_contact_at = models.DateTimeField(null=True, blank=True)
    target_publication_at = models.DateTimeField(null=True, blank=True, db_index=True)
    disclosure_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Policy applied at first contact."
    )
    # Embargo (one per case)
    embargo_state = models.CharField(max_length=10, choices=EM.choices, default=EM.NONE, db_index=True)
    embargo_ends_at = models.DateTimeField(null=True, blank=True, db_index=True)
    embargo_proposed_ends_at = models.DateTimeField(null=True, blank=True)
    embargo_proposed_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    embargo_proposal_reason = models.TextField(blank=True)
    # The participant that proposed the pending end (None: the coordinator). The reporter without
    # an account proposes through the follow link, so `embargo_proposed_by` cannot name them.
    embargo_proposer = models.ForeignKey(
        "Participant", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    embargo_termination_due = models.BooleanField(default=False)
    quiet = models.BooleanField(
        default=False, help_text="Imported or historical: no reminders, dashboards or mail."
    )
    reminders_muted = models.BooleanField(
        default=False, help_text="No automatic reminders to this case's vendors (accord.cases.reminders)."
    )
    vendor_summary = models.TextField(blank=True, help_text="The report as vendors read it in the portal.")
    notification_text = models.TextField(
        blank=True, help_text="The coordinator's note to vendors, in the portal."
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return case_label(self.number)

    @property
    def url_ref(self) -> str:
        return f"VU{self.number}"

    def fact_at(self, fact: str) -> object:
        return {Fact.P: self.p_at, Fact.X: self.x_at, Fact.A: self.a_at}[fact]  # type: ignore[index]


class Participant(models.Model):
    class Kind(models.TextChoices):
        REPORTER = "reporter", "reporter"
        VENDOR = "vendor", "vendor"
        COORDINATOR = "coordinator", "coordinator"

    class EmbargoAnswer(models.TextChoices):
        INVITED = "invited", "invited"
        ACCEPTED = "accepted", "accepted"
        DECLINED = "declined", "declined"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="participants")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    organization = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="participations",
    )
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, null=True, blank=True, related_name="participations"
    )
    # The reporter's participation comes from their report: its follow link reaches the case
    # through this row (accord.cases.access.ReporterKey), with or without an account.
    report = models.ForeignKey(
        Report, on_delete=models.SET_NULL, null=True, blank=True, related_name="participants"
    )
    alias = models.CharField(max_length=50)
    anonymous = models.BooleanField(default=False)
    # An anonymous vendor's own choice (process.md "Publication"): named in published notes, while
    # every other participant still sees only its alias in the case.
    named_at_publication = models.BooleanField(
        default=False, help_text="An anonymous vendor chose to be named in the published note."
    )
    rm_state = models.CharField(max_length=10, choices=RM.choices, default=RM.START)
    v_at = models.DateTimeField(null=True, blank=True)
    f_at = models.DateTimeField(null=True, blank=True)
    d_at = models.DateTimeField(null=True, blank=True)
    first_contact_at = models.DateTimeField(null=True, blank=True)
    embargo_answer = models.CharField(
        max_length=10, choices=EmbargoAnswer.choices, default=EmbargoAnswer.INVITED
    )
    seen_at = models.DateTimeField(null=True, blank=True)
    tracking_id = models.CharField(max_length=100, blank=True, help_text="The vendor's own id for the case.")
    # The coordinator's own information about this vendor in this case (the archive's
    # VendorInformation): never the vendor's statement, which is verbatim in answers.Statement.
    vendor_information = models.TextField(
        blank=True, help_text="The coordinator's information about the vendor in this case."
    )
    # Reminders (process.md "Disclosure policy"; accord.cases.reminders): muting stops the
    # automatic ones; each automatic kind goes at most once, and these keep when it went.
    reminders_muted = models.BooleanField(default=False, help_text="No automatic reminders to this vendor.")
    reminded_unopened_at = models.DateTimeField(
        null=True, blank=True, help_text="When the reminder to open the case went."
    )
    reminded_deadline_at = models.DateTimeField(
        null=True, blank=True, help_text="When the reminder of the target date (no statement) went."
    )
    final_reminder_at = models.DateTimeField(
        null=True, blank=True, help_text="When an analyst last sent the final reminder."
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("id",)
        constraints = [
            models.UniqueConstraint(
                fields=["case", "organization"],
                condition=Q(organization__isnull=False),
                name="one_org_per_case",
            ),
            models.UniqueConstraint(
                fields=["case", "user"], condition=Q(user__isnull=False), name="one_user_per_case"
            ),
            models.UniqueConstraint(fields=["case", "alias"], name="unique_alias_per_case"),
            models.UniqueConstraint(
                fields=["report"], condition=Q(report__isnull=False), name="one_participant_per_report"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.alias} in {self.case}"

    @property
    def real_name(self) -> str:
        if self.organization_id:
            return self.organization.name  # type: ignore[union-attr]
        if self.user_id:
            return self.user.display_name  # type: ignore[union-attr]
        return self.alias


class Vulnerability(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="vulnerabilities")
    seq = models.PositiveIntegerField()
    title = models.CharField(max_length=300, blank=True)
    description = models.TextField(blank=True)
    cve = models.CharField(max_length=32, blank=True)
    cwe = models.CharField(max_length=16, blank=True)
    cvss3_vector = models.CharField(max_length=200, blank=True)
    cvss3_score = models.DecimalField(max_digits=3, decimal_places=1, null=True, blank=True)
    cvss4_vector = models.CharField(max_length=300, blank=True)
    cvss4_score = models.DecimalField(max_digits=3, decimal_places=1, null=True, blank=True)
    # Identifiers beyond CVE: ENISA's European Vulnerability Database and GCVE numbering authorities.
    euvd = models.CharField(max_length=40, blank=True)  # "EUVD-2026-12345"
    gcve = models.JSONField(default=list, blank=True)  # ["GCVE-1-2026-0001", …]
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("case", "seq")
        constraints = [models.UniqueConstraint(fields=["case", "seq"], name="one_seq_per_case")]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return f"{self.case.label}.{self.seq}"

    @property
    def aliases(self) -> list[str]:
        """Its identifiers besides the VU# id and the CVE id: EUVD first, then GCVE ids."""
        return ([self.euvd] if self.euvd else []) + list(self.gcve or [])


class AffectedProduct(models.Model):
    vulnerability = models.ForeignKey(Vulnerability, on_delete=models.CASCADE, related_name="products")
    name = models.CharField(max_length=300)
    version_range = models.CharField(max_length=200, blank=True)
    purl = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ("id",)

    def __str__(self) -> str:
        return self.name


class FactReport(models.Model):
    """A report of P, X or A with evidence: a claim until an analyst confirms it."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="fact_reports")
    fact = models.CharField(max_length=1, choices=Fact.choices)
    evidence = models.TextField()
    reported_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    participant = models.ForeignKey(
        Participant, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    dismissed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("created_at", "id")

    def __str__(self) -> str:
        return f"{self.fact} on {self.case}"

    @property
    def is_open(self) -> bool:
        return self.confirmed_at is None and self.dismissed_at is None


class SsvcDecision(models.Model):
    class Table(models.TextChoices):
        TRIAGE = "triage", "coordinator triage"
        PUBLISH = "publish", "coordinator publish"

    table = models.CharField(max_length=8, choices=Table.choices)
    report = models.ForeignKey(Report, on_delete=models.CASCADE, null=True, blank=True, related_name="ssvc")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, null=True, blank=True, related_name="ssvc")
    values = models.JSONField()
    outcome = models.CharField(max_length=20)
    chosen = models.CharField(max_length=20)
    rationale = models.TextField(blank=True)
    decided_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.table}: {self.outcome}"


class PolicyChange(models.Model):
    """Admin overrides of the disclosure policy; the newest row per key wins. Kept forever."""

    key = models.CharField(max_length=40, db_index=True)
    value = models.TextField()
    changed_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    changed_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ("-changed_at", "-id")

    def __str__(self) -> str:
        return f"{self.key}={self.value[:20]}"


class CaseEvent(models.Model):
    """The append-only audit timeline. Every action writes exactly one."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, null=True, blank=True, related_name="events")
    report = models.ForeignKey(Report, on_delete=models.CASCADE, null=True, blank=True, related_name="events")
    actor = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    by_system = models.BooleanField(default=False, help_text='Done by Accord itself ("Accord").')
    participant = models.ForeignKey(
        Participant, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=40, db_index=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("created_at", "id")
        indexes = [
            models.Index(fields=["case", "created_at"]),
            models.Index(fields=["report", "created_at"]),
        ]

    def __str__(self) -> str:
        return self.kind


class ClaimLink(models.Model):
    """A link in a notification that creates an account tied to the vendor.

    Followed from the "to" address it was sent to, the account is ready at once; otherwise it
    waits for an analyst's approval (process.md "Mail and confidentiality").
    """

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="claim_links")
    email = models.EmailField()
    role = models.CharField(max_length=2)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)
    used_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    approved = models.BooleanField(default=False)

    class Meta:
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"claim for {self.participant} by {self.email}"


class CaseMemberAccess(models.Model):
    """A vendor admin's choice of which members see a case. No rows: every member sees it."""

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="member_access")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["participant", "user"], name="one_access_row")]

    def __str__(self) -> str:
        return f"{self.user_id} sees {self.participant}"

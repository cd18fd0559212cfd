"""Vendor answers (process.md "Vendor answers"): statuses in VEX terms, verbatim statements
with their signature, the coordinator's addenda and requests for more information."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

User = settings.AUTH_USER_MODEL


class VexStatus(models.TextChoices):
    AFFECTED = "affected", "affected"
    NOT_AFFECTED = "not_affected", "not affected"
    FIXED = "fixed", "fixed"
    UNDER_INVESTIGATION = "under_investigation", "under investigation"
    UNKNOWN = "unknown", "unknown"


class Justification(models.TextChoices):
    COMPONENT_NOT_PRESENT = "component_not_present", "component not present"
    VULNERABLE_CODE_NOT_PRESENT = "vulnerable_code_not_present", "vulnerable code not present"
    NOT_IN_EXECUTE_PATH = "vulnerable_code_not_in_execute_path", "vulnerable code not in execute path"
    CANNOT_BE_CONTROLLED = (
        "vulnerable_code_cannot_be_controlled_by_adversary",
        "vulnerable code cannot be controlled by adversary",
    )
    MITIGATIONS_EXIST = "inline_mitigations_already_exist", "inline mitigations already exist"


class Answer(models.Model):
    """One vendor's answer in one case: its sharing choice and when it last answered."""

    participant = models.OneToOneField("cases.Participant", on_delete=models.CASCADE, related_name="answer")
    share = models.BooleanField(
        default=False, help_text="Status and statement visible to other participants."
    )
    # The last time the vendor answered a question (statuses or a statement), never for asking
    # one: None means "not answered yet".
    answered_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Set on the row submit_answer returns: what that submission changed, any of "statuses",
    # "statement", "info_request" and "share" (empty: the same answer again, nothing recorded).
    changed: list[str]

    def __str__(self) -> str:
        return f"answer of {self.participant}"


class Status(models.Model):
    """A vendor's status for one vulnerability, optionally for one of its products."""

    participant = models.ForeignKey("cases.Participant", on_delete=models.CASCADE, related_name="statuses")
    vulnerability = models.ForeignKey(
        "cases.Vulnerability", on_delete=models.CASCADE, related_name="statuses"
    )
    product = models.CharField(
        max_length=300, blank=True, help_text="Blank: the vendor's answer for everything."
    )
    version_range = models.CharField(max_length=200, blank=True)
    purl = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=24, choices=VexStatus.choices, default=VexStatus.UNKNOWN)
    # An imported status keeps the archive's own word beside Accord's ("Vulnerable", "Not
    # Affected", …); blank for statuses given in Accord.
    source_word = models.CharField(max_length=40, blank=True)
    justification = models.CharField(max_length=64, choices=Justification.choices, blank=True)
    impact_statement = models.TextField(blank=True)
    fixed_version = models.CharField(max_length=200, blank=True)
    release_reference = models.CharField(max_length=500, blank=True)
    expected_fix_date = models.DateField(null=True, blank=True)
    will_not_fix = models.BooleanField(default=False)
    recorded_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    on_behalf = models.BooleanField(default=False, help_text="Recorded by an analyst for the vendor.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("vulnerability__seq", "product", "id")

    def __str__(self) -> str:
        return f"{self.status} for {self.vulnerability_id}"


class Statement(models.Model):
    """One version of a vendor statement, stored byte for byte exactly as submitted.

    `text` is never trimmed, re-encoded or newline-converted. A correction is a new version.
    """

    class Verification(models.TextChoices):
        VERIFIED = "verified", "verified"
        FAILED = "failed", "signature did not verify"
        UNSIGNED = "unsigned", "unsigned"

    class SignatureKind(models.TextChoices):
        NONE = "none", "none"
        CLEARSIGNED = "clearsigned", "OpenPGP clearsigned"
        DETACHED = "detached", "detached OpenPGP signature"

    participant = models.ForeignKey("cases.Participant", on_delete=models.CASCADE, related_name="statements")
    version = models.PositiveIntegerField()
    text = models.BinaryField()
    signature = models.TextField(blank=True, help_text="A detached armoured signature, when one came.")
    signature_kind = models.CharField(
        max_length=12, choices=SignatureKind.choices, default=SignatureKind.NONE
    )
    verification = models.CharField(
        max_length=10, choices=Verification.choices, default=Verification.UNSIGNED
    )
    fingerprint = models.CharField(max_length=64, blank=True, help_text="The pinned key that verified it.")
    verification_detail = models.CharField(max_length=500, blank=True)
    references = models.TextField(blank=True)
    share = models.BooleanField(default=False)
    recorded_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    on_behalf = models.BooleanField(default=False)
    received_by_mail = models.BooleanField(
        default=False, help_text="Made from a signed mail of the vendor, its signed bytes exactly."
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("participant", "version")
        constraints = [
            models.UniqueConstraint(fields=["participant", "version"], name="one_statement_version")
        ]

    def __str__(self) -> str:
        return f"statement v{self.version} of {self.participant}"

    @property
    def text_bytes(self) -> bytes:
        return bytes(self.text)

    @property
    def display_text(self) -> str:
        """For showing only (always escaped by templates); the stored bytes stay as they came."""
        return self.text_bytes.decode("utf-8", errors="replace")


class Addendum(models.Model):
    """The coordinator's own remark on a vendor's answer, always shown as the coordinator's words."""

    participant = models.ForeignKey("cases.Participant", on_delete=models.CASCADE, related_name="addenda")
    statement = models.ForeignKey(
        Statement, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    text = models.TextField()
    author = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("created_at", "id")

    def __str__(self) -> str:
        return f"addendum on {self.participant}"

"""The vendor directory: each vendor organisation's profile, contacts and pinned OpenPGP keys.

Rows change only through accord.vendors.actions. A vendor admin's change to where
notifications go (a contact's address or role, a key, a removal) is stored as a
pending row, or a pending removal, until an analyst approves it; only ACTIVE rows are
used to notify (see accord.vendors.queries.notification_contacts and pinned_keys).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accord.accounts.models import Organization


class VendorProfile(models.Model):
    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="vendor_profile")
    website = models.CharField(max_length=500, blank=True)
    security_txt_url = models.CharField(max_length=500, blank=True)
    phones = models.TextField(blank=True)
    notes = models.TextField(blank=True, help_text="Coordinator staff only; never shown to the vendor.")
    require_encryption = models.BooleanField(default=False)
    tracking_prefix = models.CharField(
        max_length=32, blank=True, help_text="Prefix of the vendor's own tracking ids, such as PSIRT-."
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"profile of {self.organization_id}"


class ChangeStatus(models.TextChoices):
    ACTIVE = "active", "active"
    PENDING = "pending", "pending approval"
    REJECTED = "rejected", "rejected"


class Contact(models.Model):
    class Role(models.TextChoices):
        TO = "to", "to"
        CC = "cc", "cc"

    Status = ChangeStatus

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="vendor_contacts")
    email = models.EmailField(max_length=254)
    name = models.CharField(max_length=200, blank=True)
    role = models.CharField(max_length=2, choices=Role.choices, default=Role.TO)
    status = models.CharField(max_length=8, choices=ChangeStatus.choices, default=ChangeStatus.ACTIVE)
    # A pending edit of an active contact: approving it replaces that contact.
    replaces = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="pending_edits"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # A vendor admin asked to remove this (active) contact; it stays active until approved.
    removal_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    removal_requested_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    # Set when a delivery status notification says mail to this address failed; cleared on success.
    bouncing_since = models.DateTimeField(null=True, blank=True)
    bounce_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ("role", "email", "id")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "email"],
                condition=Q(status="active"),
                name="one_active_contact_per_address",
            )
        ]
        indexes = [models.Index(fields=["organization", "status"]), models.Index(fields=["email"])]

    def __str__(self) -> str:
        return f"{self.email} ({self.role}, {self.status})"

    @property
    def is_pending(self) -> bool:
        return self.status == ChangeStatus.PENDING or self.removal_requested_at is not None

    @property
    def pending_change(self) -> str | None:
        """ "add", "update", "remove" or None: what approving this row would do."""
        if self.removal_requested_at is not None:
            return "remove"
        if self.status == ChangeStatus.PENDING:
            return "update" if self.replaces_id else "add"
        return None


class PublicKey(models.Model):
    """An OpenPGP public key pinned by fingerprint for one organisation."""

    Status = ChangeStatus

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="vendor_keys")
    fingerprint = models.CharField(max_length=64)
    armored = models.TextField()
    user_ids = models.JSONField(default=list)
    algorithm = models.CharField(max_length=64, blank=True)
    bits = models.PositiveIntegerField(null=True, blank=True)
    key_created_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField(default=False)
    can_encrypt = models.BooleanField(default=False)
    can_sign = models.BooleanField(default=False)
    weak = models.BooleanField(default=False)
    problems = models.JSONField(default=list)
    status = models.CharField(max_length=8, choices=ChangeStatus.choices, default=ChangeStatus.ACTIVE)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    removal_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    removal_requested_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        constraints = [
            models.UniqueConstraint(fields=["organization", "fingerprint"], name="one_key_per_fingerprint")
        ]
        indexes = [models.Index(fields=["organization", "status"]), models.Index(fields=["fingerprint"])]

    def __str__(self) -> str:
        return f"{self.fingerprint} ({self.status})"

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_pending(self) -> bool:
        return self.status == ChangeStatus.PENDING or self.removal_requested_at is not None

    @property
    def pending_change(self) -> str | None:
        if self.removal_requested_at is not None:
            return "remove"
        if self.status == ChangeStatus.PENDING:
            return "add"
        return None

    @property
    def flags(self) -> list[str]:
        """Why this key may not be usable, as words shown on pages and in the API."""
        flags = []
        if self.revoked:
            flags.append("revoked")
        if self.is_expired:
            flags.append("expired")
        if self.weak:
            flags.append("weak")
        if not self.can_encrypt:
            flags.append("cannot encrypt")
        return flags

    @property
    def usable(self) -> bool:
        """Whether mail may be encrypted to this key now (a weak key is flagged but still usable)."""
        return (
            self.status == ChangeStatus.ACTIVE
            and self.can_encrypt
            and not self.revoked
            and not self.is_expired
        )

    @property
    def grouped_fingerprint(self) -> str:
        return " ".join(self.fingerprint[i : i + 4] for i in range(0, len(self.fingerprint), 4))

from __future__ import annotations

import hashlib
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone as django_tz

from accord.lib.time import is_timezone


def validate_timezone(value: str) -> None:
    """An IANA zone name, or blank: not chosen yet (pages then use the browser's zone)."""
    if value and not is_timezone(value):
        raise ValidationError(f"{value!r} is not an IANA time zone name such as Europe/Paris.")


class UserManager(BaseUserManager["User"]):
    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.update(is_staff=True, is_superuser=True, staff_role=User.StaffRole.ADMIN)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person. Coordinator staff have a staff role; vendors belong to organisations."""

    class StaffRole(models.TextChoices):
        NONE = "", "none"
        ANALYST = "analyst", "analyst"
        PUBLISHER = "publisher", "publisher"
        ADMIN = "admin", "admin"

    class NotifyMode(models.TextChoices):
        """How a person hears of new things in their cases (accord.notifications)."""

        IMMEDIATE = "immediate", "immediately, one mail each"
        DIGEST = "digest", "in a daily digest"
        NONE = "none", "never by mail"

    email = models.EmailField(unique=True)
    name = models.CharField(max_length=200, blank=True)
    # Blank: not chosen yet; pages use the browser's zone, else UTC (accord.accounts.zones).
    timezone = models.CharField(max_length=64, default="", blank=True, validators=[validate_timezone])
    # Roles are cumulative: a publisher is also an analyst, an admin is all three.
    staff_role = models.CharField(max_length=16, choices=StaffRole.choices, default="", blank=True)
    notify_mode = models.CharField(max_length=10, choices=NotifyMode.choices, default=NotifyMode.IMMEDIATE)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="May use the Django admin site.")
    date_joined = models.DateTimeField(default=django_tz.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    def __str__(self) -> str:
        return self.email

    @property
    def display_name(self) -> str:
        return self.name or self.email

    @property
    def is_analyst(self) -> bool:
        return self.staff_role in (self.StaffRole.ANALYST, self.StaffRole.PUBLISHER, self.StaffRole.ADMIN)

    @property
    def is_publisher(self) -> bool:
        return self.staff_role in (self.StaffRole.PUBLISHER, self.StaffRole.ADMIN)

    @property
    def is_coordinator_admin(self) -> bool:
        return self.staff_role == self.StaffRole.ADMIN

    @property
    def is_coordinator_staff(self) -> bool:
        return bool(self.staff_role)


class Organization(models.Model):
    class Kind(models.TextChoices):
        COORDINATOR = "coordinator", "coordinator"
        VENDOR = "vendor", "vendor"
        REPORTER = "reporter", "reporter organisation"

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.VENDOR)
    created_at = models.DateTimeField(default=django_tz.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        MEMBER = "member", "member"
        ADMIN = "admin", "admin"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=8, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(default=django_tz.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="one_membership_per_org")
        ]
        ordering = ("organization__name", "user__email")

    def __str__(self) -> str:
        return f"{self.user} in {self.organization} ({self.role})"


def hash_secret(secret: str) -> str:
    # Tokens are 256 random bits, so a fast hash is enough (no brute force is possible).
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class ApiToken(models.Model):
    """A personal API token. Only its hash is stored; the secret is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, help_text="First characters, to tell tokens apart.")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=django_tz.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class Invitation(models.Model):
    """An emailed invitation to join an organisation. Only the token's hash is stored."""

    email = models.EmailField()
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="invitations")
    role = models.CharField(max_length=8, choices=Membership.Role.choices, default=Membership.Role.MEMBER)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=django_tz.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.email} → {self.organization}"

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > django_tz.now()

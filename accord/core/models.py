from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditEvent(models.Model):
    """Append-only log of actions outside cases (accounts, tokens, organisations).

    Case actions write CaseEvent on the case's own timeline instead.
    """

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    by_system = models.BooleanField(default=False, help_text='Done by Accord itself ("Accord").')
    kind = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [models.Index(fields=["object_type", "object_id", "created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_type}:{self.object_id}"


class ScheduledJobRun(models.Model):
    """When the scheduler last started each periodic job (so restarts do not run them twice)."""

    name = models.CharField(max_length=100, unique=True)
    last_run_at = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return self.name

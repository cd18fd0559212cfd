from django.db import models
from django.utils import timezone


class OutboundMessage(models.Model):
    """The outbox. Every mail Accord sends is first a row here, then `send_outbound` sends it.

    One row has one recipient address, so that no mail ever exposes one recipient to another.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "queued"
        SENT = "sent", "sent"
        FAILED = "failed", "failed"

    to_email = models.EmailField()
    subject = models.CharField(max_length=300)
    body_text = models.TextField()
    headers = models.JSONField(default=dict, blank=True)
    message_id = models.CharField(max_length=250, unique=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.subject} → {self.to_email} ({self.status})"

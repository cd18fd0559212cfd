from django.db import models
from django.utils import timezone


class OutboundMessage(models.Model):
    """The outbox. Every mail Accord sends is first a row here, then `send_outbound` sends it.

    One row has one recipient address, so that no mail ever exposes one recipient to another.

    `body_text` is what may travel in plaintext: the VU#, a neutral line and a link, never case
    details (process.md "Mail and confidentiality"). A row may also carry `sealed_text`, the full
    text, with `encrypt_to`, the armoured public keys to encrypt it to (tried in order; one
    recipient key per message). `send_outbound` then sends the full text as PGP/MIME (RFC 3156),
    or, when no key can be used, `body_text` alone: the sealed text never leaves unencrypted.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "queued"
        SENT = "sent", "sent"
        FAILED = "failed", "failed"

    to_email = models.EmailField()
    subject = models.CharField(max_length=300)
    body_text = models.TextField()
    headers = models.JSONField(default=dict, blank=True)
    sealed_text = models.TextField(blank=True, help_text="Sent only encrypted to one of encrypt_to.")
    encrypt_to = models.JSONField(default=list, blank=True, help_text="Armoured public keys, in order.")
    sent_encrypted = models.BooleanField(default=False, help_text="The sealed text went out encrypted.")
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

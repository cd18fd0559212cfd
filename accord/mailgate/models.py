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


class InboundMessage(models.Model):
    """A mail that reached Accord, stored as bytes before anything reads it (architecture.md
    convention 5, process.md "Routing inbound mail"). Nothing after `receive` may lose it.

    Processing (accord.mailgate.inbound.process) parses it, routes it and records the outcome
    here. `next_attempt_at` is when the retry job may pick it up again: the backoff after a
    failure, or the lease of a run in progress.
    """

    class Via(models.TextChoices):
        SMTP = "smtp", "SMTP"
        IMAP = "imap", "IMAP"
        PIPE = "pipe", "pipe"

    class Status(models.TextChoices):
        STORED = "stored", "stored"
        PROCESSING = "processing", "processing"
        PROCESSED = "processed", "processed"
        TRIAGE = "triage", "triage"
        FAILED = "failed", "failed"
        FLAGGED = "flagged", "flagged"
        SPAM = "spam", "spam"

    raw = models.BinaryField(help_text="The bytes exactly as received.")
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    message_id = models.CharField(max_length=250, blank=True)
    received_via = models.CharField(max_length=4, choices=Via.choices)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.STORED, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_error = models.TextField(blank=True)
    # Why it was flagged or went to triage, and what the parser found wrong, one per line.
    problems = models.TextField(blank=True)
    # What the parser found.
    from_address = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    text = models.TextField(blank=True)
    in_reply_to = models.CharField(max_length=250, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    # Where it went.
    case = models.ForeignKey("cases.Case", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    participant = models.ForeignKey(
        "cases.Participant", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    posted_message = models.OneToOneField(
        "conversation.Message",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inbound_mail",
        help_text="The message it became in a private thread.",
    )

    class Meta:
        ordering = ("-received_at", "-id")
        constraints = [
            models.UniqueConstraint(fields=["message_id", "sha256"], name="inbound_stored_once"),
        ]

    def __str__(self) -> str:
        return f"inbound {self.pk} {self.message_id} ({self.status})"

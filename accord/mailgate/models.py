from django.db import models
from django.utils import timezone


class OutboundMessage(models.Model):
    """The outbox. Every mail Accord sends is first a row here, then `send_outbound` sends it.

    One row goes to one recipient organisation (or one person): `to_email` and, for an
    organisation's other contacts, `also_to`, so that no mail shows one organisation to another
    and no encrypted mail names two organisations' keys.

    `body_text` is what may travel in plaintext: the VU#, a neutral line and a link, never case
    details (process.md "Mail and confidentiality"). A row may also carry `sealed_text`, the full
    text, with `encrypt_to`, the armoured public keys of the recipient organisation to encrypt it
    to (tried in order; one recipient key per message). `send_outbound` then sends the full text
    as PGP/MIME (RFC 3156), or, when no key can be used, `body_text` alone (never for a vendor that
    requires encryption): the sealed text never leaves unencrypted. The rows are written by the
    kinds of mail in accord.mailgate.kinds and sent by accord.mailgate.tasks.send_outbound, which
    claims each row (QUEUED -> SENDING) so that two workers never send it twice.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "queued"
        SENDING = "sending", "sending"  # claimed by one job (a conditional UPDATE from QUEUED)
        SENT = "sent", "sent"
        FAILED = "failed", "failed"
        BOUNCED = "bounced", "bounced"  # a delivery status notification came back for it

    to_email = models.EmailField()
    also_to = models.JSONField(
        default=list, blank=True, help_text="The recipient organisation's other addresses, on the same mail."
    )
    subject = models.CharField(max_length=300)
    body_text = models.TextField()
    headers = models.JSONField(default=dict, blank=True)
    sealed_text = models.TextField(blank=True, help_text="Sent only encrypted to one of encrypt_to.")
    encrypt_to = models.JSONField(default=list, blank=True, help_text="Armoured public keys, in order.")
    sent_encrypted = models.BooleanField(default=False, help_text="The sealed text went out encrypted.")
    message_id = models.CharField(max_length=250, unique=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(
        null=True, blank=True, db_index=True, help_text="When a retry (or a lost claim) is due."
    )
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # What the mail is about, so that the case can show its mail and replies route back.
    kind = models.CharField(max_length=40, blank=True, db_index=True)
    case = models.ForeignKey(
        "cases.Case", on_delete=models.SET_NULL, null=True, blank=True, related_name="outbound_mail"
    )
    report = models.ForeignKey(
        "cases.Report", on_delete=models.SET_NULL, null=True, blank=True, related_name="outbound_mail"
    )
    organization = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="outbound_mail",
        help_text="The recipient organisation.",
    )
    fingerprints = models.JSONField(
        default=list, blank=True, help_text="Fingerprints of the keys the mail was encrypted to."
    )

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
        BOUNCE = "bounce", "bounce"  # a delivery status notification; marks the contact bouncing

    class Decryption(models.TextChoices):
        NONE = "", "not encrypted"
        DECRYPTED = "decrypted", "decrypted"
        FAILED = "failed", "could not be decrypted"

    class Signature(models.TextChoices):
        NONE = "", "not signed"
        VERIFIED = "verified", "verified"  # by a pinned key of the sender's organisation
        NOT_VERIFIED = "not_verified", "did not verify"

    class Resolution(models.TextChoices):
        NONE = "", "open"
        LINKED = "linked", "linked to a case"
        REPORT = "report", "turned into a report"
        SPAM = "spam", "marked as spam"
        REPROCESSED = "reprocessed", "reprocessed"

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
    report = models.ForeignKey(
        "cases.Report", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # What OpenPGP said (set by processing, outside any transaction).
    decryption = models.CharField(max_length=10, choices=Decryption.choices, blank=True, default="")
    signature = models.CharField(max_length=12, choices=Signature.choices, blank=True, default="")
    signer_fingerprint = models.CharField(max_length=64, blank=True)
    signature_detail = models.TextField(blank=True, help_text="Why a signature did not verify.")
    signed_data = models.BinaryField(
        null=True,
        blank=True,
        help_text="The signed bytes exactly as received (a clearsigned text or entity).",
    )
    detached_signature = models.TextField(
        blank=True, help_text="The armoured signature of a PGP/MIME signed part."
    )
    # The receiving MTA's Authentication-Results (RFC 8601), as received, and its verdict.
    authentication_results = models.TextField(blank=True)
    sender_authenticated = models.BooleanField(
        null=True, blank=True, help_text="None when no Authentication-Results came with it."
    )
    # Triage: what an analyst did with it.
    resolution = models.CharField(max_length=12, choices=Resolution.choices, blank=True, default="")
    resolved_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
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

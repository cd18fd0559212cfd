from __future__ import annotations

import datetime as dt
import logging
import smtplib
from typing import Any

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone
from django_tasks import task

from accord.lib import openpgp
from accord.mailgate import coordinator_key
from accord.mailgate.models import OutboundMessage
from accord.mailgate.outbound import (
    pgp_mime_bytes,
    recipients,
    render_bytes,
    sealed_entity,
    signed_bytes,
    signed_entity,
)
from accord.mailgate.transport import deliver, parse_smtp_url

log = logging.getLogger(__name__)


Signer = tuple[str, str | None]  # the coordinator's armoured secret key and its passphrase
Status = OutboundMessage.Status

# A claimed row (SENDING) belongs to its job until the lease ends; after that, requeue_outbox
# hands it to another job (its worker died mid-send). Longer than gpg plus an SMTP timeout.
LEASE = dt.timedelta(minutes=15)
# A queued row whose job was lost (a crash between commit and enqueue) is picked up after this.
GRACE = dt.timedelta(minutes=5)
# Waits after failed attempt 1, 2, ...; after the last, the row is FAILED with its reason.
BACKOFF = (
    dt.timedelta(minutes=1),
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=30),
    dt.timedelta(hours=2),
    dt.timedelta(hours=6),
)
MAX_ATTEMPTS = len(BACKOFF) + 1


def seal(message: OutboundMessage, signer: Signer | None = None) -> tuple[bytes | None, str, str]:
    """The row's sealed text encrypted to the first of its keys that works, the fingerprint of
    that key, and why none did. With a signer (the coordinator's key), signed and encrypted in
    one gpg pass. The keys are one organisation's (or one reporter's), never two.

    Runs gpg, so never inside a database transaction. Returns (armour, fingerprint, "") on
    success, and (None, "", reason) when no key could be used.
    """
    if not message.sealed_text or not message.encrypt_to:
        return None, "", ""
    entity = sealed_entity(message.sealed_text)
    secret, passphrase = signer if signer else (None, None)
    reasons = []
    for key in message.encrypt_to:
        try:
            armour = openpgp.encrypt(entity, str(key), sign_with=secret, passphrase=passphrase)
            return armour, openpgp.fingerprint_of(str(key)), ""
        except openpgp.OpenPGPError as exc:
            reasons.append(str(exc))
        except Exception as exc:  # a broken key must not keep the mail from going out neutral
            reasons.append(f"encryption failed ({type(exc).__name__})")
    return None, "", "; ".join(reasons)


def claim(message_id: int) -> OutboundMessage | None:
    """Take the row for this job: a conditional UPDATE from QUEUED (or from SENDING whose lease
    ran out) to SENDING, so that of two jobs for the same row exactly one gets it. The claim's
    `attempts` is its token: only the job holding it may mark the row sent or failed."""
    now = timezone.now()
    claimed = (
        OutboundMessage.objects.filter(pk=message_id)
        .filter(Q(status=Status.QUEUED) | Q(status=Status.SENDING, next_attempt_at__lt=now))
        .update(status=Status.SENDING, next_attempt_at=now + LEASE, attempts=F("attempts") + 1)
    )
    if not claimed:
        return None
    return OutboundMessage.objects.filter(pk=message_id, status=Status.SENDING).first()


def _mine(message: OutboundMessage) -> Any:
    return OutboundMessage.objects.filter(pk=message.pk, status=Status.SENDING, attempts=message.attempts)


def _fail(message: OutboundMessage, error: str, *, retry: bool = False) -> str:
    """Give the row back: QUEUED with a backoff when `retry` and attempts remain, else FAILED."""
    error = error[:2000]
    if retry and message.attempts < MAX_ATTEMPTS:
        wait = BACKOFF[min(message.attempts, len(BACKOFF)) - 1]
        _mine(message).update(status=Status.QUEUED, next_attempt_at=timezone.now() + wait, last_error=error)
        log.info("outbound %s: attempt %s failed, retry in %s: %s", message.pk, message.attempts, wait, error)
        return "retry"
    _mine(message).update(status=Status.FAILED, next_attempt_at=None, last_error=error)
    log.warning("outbound %s failed: %s", message.pk, error)
    return "failed"


def _requires_encryption(message: OutboundMessage) -> bool:
    from accord.vendors.models import VendorProfile

    return bool(
        message.organization_id
        and VendorProfile.objects.filter(
            organization=message.organization_id, require_encryption=True
        ).exists()
    )


def render(message: OutboundMessage, signer: Signer | None) -> tuple[bytes, str, str]:
    """The bytes to send, the fingerprint the mail was encrypted to ("" if not) and a note on why
    it went out neutral. Runs gpg: never inside a database transaction.

    Raises _NotSendable when the mail must not leave: it cannot be signed, or its recipient
    requires encryption and no key worked (never a fallback to plaintext for them)."""
    armour, fingerprint, problem = seal(message, signer)
    if armour is not None:
        return pgp_mime_bytes(message, armour), fingerprint, ""
    if problem and _requires_encryption(message):
        raise _NotSendable(f"Not sent: the recipient requires encryption and no key worked: {problem}")
    note = f"Sent without encryption, neutral text only: {problem}"[:2000] if problem else ""
    if problem:
        log.warning("outbound %s: %s", message.pk, note)
    if signer is None:
        return render_bytes(message), "", note
    # Every mail is signed once a coordinator key is set up. When signing fails (a wrong
    # passphrase, a damaged key file), the row fails with the reason and nothing is sent:
    # an unsigned mail from us would teach recipients to trust unsigned mail in our name.
    entity = signed_entity(message.body_text)
    try:
        signature = openpgp.sign_mime(entity, *signer)
    except Exception as exc:  # OpenPGPError says why; anything else is named, never sent unsigned
        reason = (
            str(exc) if isinstance(exc, openpgp.OpenPGPError) else f"signing failed ({type(exc).__name__})"
        )
        raise _NotSendable(f"Not sent: the coordinator's key cannot sign: {reason}")
    return signed_bytes(message, entity, signature.armored, signature.micalg), "", note


class _NotSendable(Exception):
    pass


def _permanent(exc: Exception) -> bool:
    """An SMTP answer that a retry will not change (5xx: unknown user, refused)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    return isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 500


@task()
def send_outbound(message_id: int) -> str:
    """Send one outbox row, exactly once however many jobs run for it.

    The job claims the row (`claim`: QUEUED -> SENDING, one conditional UPDATE, no transaction
    held), then signs, encrypts and delivers it outside any transaction, so neither gpg nor a
    slow SMTP server holds the database's write lock (SQLite has only one), and marks it SENT.
    A row with a sealed text goes out as PGP/MIME, encrypted to its organisation's key; when none
    of its keys can be used, its neutral body goes out instead (the reason kept in `last_error`),
    unless the organisation requires encryption: then nothing is sent. With the coordinator's key
    set up (`accord keys`), every mail is signed. A delivery failure goes back to QUEUED with a
    backoff (`requeue_outbox` picks it up when due), FAILED after MAX_ATTEMPTS.
    """
    message = claim(message_id)
    if message is None:
        return "skipped"  # sent, failed, missing, or another job holds it
    try:
        signer = coordinator_key.signing_key()
    except coordinator_key.KeyProblem as exc:
        return _fail(message, f"Not sent: the coordinator's key cannot sign: {exc}")
    try:
        data, fingerprint, note = render(message, signer)
    except _NotSendable as exc:
        return _fail(message, str(exc))
    try:
        deliver(
            parse_smtp_url(settings.SMTP_URL),
            settings.DEFAULT_FROM_EMAIL,
            recipients(message),
            data,
            name=f"{message.pk:08d}",
            timeout=settings.SMTP_TIMEOUT,
        )
    except Exception as exc:  # kept with its reason; retried with a backoff unless final
        return _fail(message, f"{type(exc).__name__}: {exc}", retry=not _permanent(exc))
    _mine(message).update(
        status=Status.SENT,
        sent_at=timezone.now(),
        next_attempt_at=None,
        last_error=note,
        sent_encrypted=bool(fingerprint),
        fingerprints=[fingerprint] if fingerprint else [],
    )
    return "sent"


def due_ids(limit: int = 1000) -> list[int]:
    """Rows a job should try now: QUEUED ones whose backoff is over (or, never tried, whose
    on-commit job seems lost), and SENDING ones whose lease ran out (their worker died)."""
    now = timezone.now()
    due = (
        Q(status=Status.QUEUED, next_attempt_at__lte=now)
        | Q(status=Status.QUEUED, next_attempt_at__isnull=True, created_at__lt=now - GRACE)
        | Q(status=Status.SENDING, next_attempt_at__lt=now)
    )
    return list(OutboundMessage.objects.filter(due).order_by("id").values_list("pk", flat=True)[:limit])


@task()
def requeue_outbox() -> int:
    """Enqueue the rows that are due (`due_ids`). Safe to run any time, alongside any number of
    workers: a job sends only a row it claims, so a row enqueued twice still goes out once."""
    ids = due_ids()
    for message_id in ids:
        send_outbound.enqueue(message_id)
    return len(ids)


# The scheduler's job name (accord.core.schedule) and older callers.
requeue_stuck = requeue_outbox

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from accord.lib import openpgp
from accord.mailgate import coordinator_key
from accord.mailgate.models import OutboundMessage
from accord.mailgate.outbound import pgp_mime_bytes, render_bytes, sealed_entity, signed_bytes, signed_entity
from accord.mailgate.transport import deliver, parse_smtp_url

log = logging.getLogger(__name__)


Signer = tuple[str, str | None]  # the coordinator's armoured secret key and its passphrase


def seal(message: OutboundMessage, signer: Signer | None = None) -> tuple[bytes | None, str]:
    """The row's sealed text encrypted to the first of its keys that works, and why none did.
    With a signer (the coordinator's key), signed and encrypted in one gpg pass.

    Runs gpg, so never inside a database transaction. Returns (armour, "") on success, and
    (None, reason) when no key could be used: the mail then goes out neutral, never in plaintext.
    """
    if not message.sealed_text or not message.encrypt_to:
        return None, ""
    entity = sealed_entity(message.sealed_text)
    secret, passphrase = signer if signer else (None, None)
    reasons = []
    for key in message.encrypt_to:
        try:
            return openpgp.encrypt(entity, str(key), sign_with=secret, passphrase=passphrase), ""
        except openpgp.OpenPGPError as exc:
            reasons.append(str(exc))
        except Exception as exc:  # a broken key must not keep the mail from going out neutral
            reasons.append(f"encryption failed ({type(exc).__name__})")
    return None, "; ".join(reasons)


def _fail(message: OutboundMessage, error: str) -> str:
    error = error[:2000]
    OutboundMessage.objects.filter(pk=message.pk).exclude(status=OutboundMessage.Status.SENT).update(
        status=OutboundMessage.Status.FAILED, last_error=error
    )
    log.warning("outbound %s failed: %s", message.pk, error)
    return "failed"


@task()
def send_outbound(message_id: int) -> str:
    """Send one outbox row. Idempotent: a row already sent is left alone.

    The row is claimed in a short transaction and encrypted and delivered outside any
    transaction, so neither gpg nor a slow SMTP server holds the database's write lock (SQLite
    has only one). A row with a sealed text goes out as PGP/MIME; when none of its keys can be
    used (expired, revoked, not a key), its neutral body goes out instead and the reason is kept
    in `last_error`. With the coordinator's key set up (`accord keys`), every mail is signed:
    encrypted ones in the same gpg pass, the others as multipart/signed; a mail that cannot be
    signed is not sent (failed, with the reason).
    """
    with transaction.atomic():
        message = OutboundMessage.objects.select_for_update().filter(pk=message_id).first()
        if message is None or message.status == OutboundMessage.Status.SENT:
            return "skipped"
        message.attempts += 1
        message.save(update_fields=["attempts"])
    try:
        signer = coordinator_key.signing_key()
    except coordinator_key.KeyProblem as exc:
        return _fail(message, f"Not sent: the coordinator's key cannot sign: {exc}")
    armour, problem = seal(message, signer)
    note = f"Sent without encryption, neutral text only: {problem}"[:2000] if problem else ""
    if problem:
        log.warning("outbound %s: %s", message.pk, note)
    if armour is not None:
        data = pgp_mime_bytes(message, armour)
    elif signer is not None:
        # Every mail is signed once a coordinator key is set up. When signing fails (a wrong
        # passphrase, a damaged key file), the row fails with the reason and nothing is sent:
        # an unsigned mail from us would teach recipients to trust unsigned mail in our name.
        entity = signed_entity(message.body_text)
        try:
            signature = openpgp.sign_mime(entity, *signer)
        except Exception as exc:  # OpenPGPError says why; anything else is named, never sent unsigned
            reason = (
                str(exc)
                if isinstance(exc, openpgp.OpenPGPError)
                else f"signing failed ({type(exc).__name__})"
            )
            return _fail(message, f"Not sent: the coordinator's key cannot sign: {reason}")
        data = signed_bytes(message, entity, signature.armored, signature.micalg)
    else:
        data = render_bytes(message)
    try:
        deliver(
            parse_smtp_url(settings.SMTP_URL),
            settings.DEFAULT_FROM_EMAIL,
            message.to_email,
            data,
            name=f"{message.pk:08d}",
            timeout=settings.SMTP_TIMEOUT,
        )
    except Exception as exc:  # any failure is kept with its reason, never retried blindly
        return _fail(message, f"{type(exc).__name__}: {exc}")
    OutboundMessage.objects.filter(pk=message.pk).update(
        status=OutboundMessage.Status.SENT,
        sent_at=timezone.now(),
        last_error=note,
        sent_encrypted=armour is not None,
    )
    return "sent"


@task()
def requeue_stuck() -> int:
    """Queued mail whose job was lost (a crash between commit and enqueue) is enqueued again."""
    cutoff = timezone.now() - dt.timedelta(minutes=5)
    ids = list(
        OutboundMessage.objects.filter(
            status=OutboundMessage.Status.QUEUED, created_at__lt=cutoff
        ).values_list("pk", flat=True)[:1000]
    )
    for message_id in ids:
        send_outbound.enqueue(message_id)
    return len(ids)

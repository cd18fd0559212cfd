from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from accord.mailgate.models import OutboundMessage
from accord.mailgate.outbound import render_bytes
from accord.mailgate.transport import deliver, parse_smtp_url

log = logging.getLogger(__name__)


@task()
def send_outbound(message_id: int) -> str:
    """Send one outbox row. Idempotent: a row already sent is left alone.

    The row is claimed in a short transaction and delivered outside any transaction, so a
    slow SMTP server never holds the database's write lock (SQLite has only one).
    """
    with transaction.atomic():
        message = OutboundMessage.objects.select_for_update().filter(pk=message_id).first()
        if message is None or message.status == OutboundMessage.Status.SENT:
            return "skipped"
        message.attempts += 1
        message.save(update_fields=["attempts"])
    try:
        deliver(
            parse_smtp_url(settings.SMTP_URL),
            settings.DEFAULT_FROM_EMAIL,
            message.to_email,
            render_bytes(message),
            name=f"{message.pk:08d}",
            timeout=settings.SMTP_TIMEOUT,
        )
    except Exception as exc:  # any failure is kept with its reason, never retried blindly
        error = f"{type(exc).__name__}: {exc}"[:2000]
        OutboundMessage.objects.filter(pk=message.pk).exclude(status=OutboundMessage.Status.SENT).update(
            status=OutboundMessage.Status.FAILED, last_error=error
        )
        log.warning("outbound %s failed: %s", message.pk, error)
        return "failed"
    OutboundMessage.objects.filter(pk=message.pk).update(
        status=OutboundMessage.Status.SENT, sent_at=timezone.now(), last_error=""
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

"""Putting mail into the outbox. Sending happens in a job (tasks.send_outbound)."""

from __future__ import annotations

import io
from collections.abc import Mapping
from email.generator import BytesGenerator

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.message import make_msgid
from django.db import transaction

from accord.mailgate.models import OutboundMessage


def queue_mail(
    to_email: str, subject: str, body_text: str, *, headers: Mapping[str, str] | None = None
) -> OutboundMessage:
    """Store one mail for one recipient and send it once the transaction commits."""
    from accord.mailgate.tasks import send_outbound

    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "localhost"
    message = OutboundMessage.objects.create(
        to_email=to_email,
        subject=subject,
        body_text=body_text,
        headers=dict(headers or {}),
        message_id=make_msgid(domain=domain),
    )
    message_pk = message.pk
    transaction.on_commit(lambda: send_outbound.enqueue(message_pk))
    return message


def render_bytes(message: OutboundMessage) -> bytes:
    """The RFC 5322 bytes of an outbox row, built by Django's mail library."""
    email = EmailMessage(
        subject=message.subject,
        body=message.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.to_email],
        headers={"Message-ID": message.message_id, "Auto-Submitted": "auto-generated", **message.headers},
    )
    # Django's MIME classes override as_bytes() without its `policy` argument, so flatten
    # here the way they do (no "From " mangling), with CRLF line ends as SMTP wants.
    buffer = io.BytesIO()
    BytesGenerator(buffer, mangle_from_=False).flatten(email.message(), linesep="\r\n")
    return buffer.getvalue()

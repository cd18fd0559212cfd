"""Reading the outbox for the coordinator: a case's mail, as its Mail page and the API show it."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from accord.mailgate.models import OutboundMessage
from accord.mailgate.outbound import recipients


def case_mail(case: Any) -> QuerySet[OutboundMessage]:
    """Every mail about `case`, newest first, with its recipient organisation (one query a page).
    Staff only: callers get the case through the gate with the analyst rule."""
    return (
        OutboundMessage.objects.filter(case=case)
        .select_related("organization")
        .defer("body_text", "sealed_text", "encrypt_to", "headers")
        .order_by("-created_at", "-id")
    )


def describe(message: OutboundMessage) -> dict[str, Any]:
    """What the Mail page and `GET /api/v1/cases/{case}/mail` say of one row. Never its texts:
    the sealed text is for the recipient's key only."""
    return {
        "id": message.pk,
        "kind": message.kind,
        "status": message.status,
        "organization": message.organization.name if message.organization is not None else None,
        "to": recipients(message),
        "subject": message.subject,
        "message_id": message.message_id,
        "encrypted": message.sent_encrypted,
        "fingerprints": [str(f) for f in message.fingerprints or []],
        "attempts": message.attempts,
        "created_at": message.created_at,
        "sent_at": message.sent_at,
        "next_attempt_at": message.next_attempt_at
        if message.status == OutboundMessage.Status.QUEUED
        else None,
        "last_error": message.last_error,
    }

"""Bounces: delivery status notifications (RFC 3464, multipart/report; report-type=delivery-status).

`read_dsn(raw)` reads one without ever raising: each recipient's Final-Recipient and
Original-Recipient, Action, Status and Diagnostic-Code, and the Message-ID of the returned mail
(from its message/rfc822 or text/rfc822-headers part). `record(row, dsn)` files it.

A bounce marks things only when it names a mail Accord sent (its Message-ID, which is random)
and one of its recipients failed: that OutboundMessage becomes BOUNCED and every vendor contact
with the address it went to is marked bouncing. Anyone can send a mail that looks like a
bounce; requiring the Message-ID keeps a forged one from silencing a vendor's address.
"""

from __future__ import annotations

import email
import email.policy
import email.utils
import logging
import re
from dataclasses import dataclass
from email.message import Message

from django.db import transaction
from django.utils import timezone

from accord.mailgate.models import InboundMessage, OutboundMessage
from accord.vendors.models import Contact

log = logging.getLogger(__name__)

MAX_RECIPIENTS = 100
MAX_FIELD = 500


@dataclass(frozen=True)
class Recipient:
    final: str  # the address, lower case ("" when unreadable)
    original: str
    action: str  # failed, delayed, delivered, relayed, expanded (lower case)
    status: str  # e.g. 5.1.1
    diagnostic: str

    @property
    def failed(self) -> bool:
        return self.action == "failed"

    @property
    def reason(self) -> str:
        text = " ".join(part for part in (self.status, self.diagnostic) if part)
        return (text or "delivery failed")[:MAX_FIELD]


@dataclass(frozen=True)
class Dsn:
    recipients: tuple[Recipient, ...]
    original_message_id: str  # "" when the bounce does not return the headers
    reporting_mta: str = ""

    @property
    def failed(self) -> tuple[Recipient, ...]:
        return tuple(r for r in self.recipients if r.failed)


def _one_line(value: object, limit: int = MAX_FIELD) -> str:
    text = str(value or "").replace("\x00", "")
    return " ".join(text.encode("utf-8", "replace").decode("utf-8").split())[:limit]


def _address(value: str) -> str:
    """`rfc822; user@example.org` (the address type is optional in practice) -> the address."""
    text = value.split(";", 1)[1] if ";" in value else value
    text = text.strip().strip("<>").strip().lower()
    return text[:254] if "@" in text and " " not in text else ""


def _fields(text: str) -> list[dict[str, str]]:
    """The header-like blocks of a message/delivery-status body, split at blank lines
    (continuation lines folded in). Field names lower case."""
    blocks: list[dict[str, str]] = []
    current: dict[str, str] = {}
    name = ""
    for line in text.splitlines()[:5000]:
        if not line.strip():
            if current:
                blocks.append(current)
            current, name = {}, ""
        elif line[:1] in (" ", "\t") and name:
            current[name] += " " + line.strip()
        elif ":" in line:
            name, value = line.split(":", 1)
            name = name.strip().lower()
            current.setdefault(name, value.strip())
    if current:
        blocks.append(current)
    return blocks


def _text_of(part: Message) -> str:
    """A part's body as text, whatever the parser made of it (message/* parts are lists)."""
    payload = part.get_payload()
    if isinstance(payload, list):  # the parser split it into header blocks or a message
        return "\n\n".join(p.as_string() if isinstance(p, Message) else str(p) for p in payload)
    raw = part.get_payload(decode=True)
    if isinstance(raw, bytes):
        return raw.decode("utf-8", "replace")
    return str(payload or "")


_ID = re.compile(r"<[^<>\s]{1,240}>")


def _returned_message_id(part: Message) -> str:
    """The Message-ID of the returned mail (message/rfc822 or text/rfc822-headers)."""
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        value = payload[0].get("Message-ID", "")
    else:
        headers = email.message_from_string(_text_of(part).split("\n\n", 1)[0], policy=email.policy.compat32)
        value = headers.get("Message-ID", "")
    match = _ID.search(_one_line(value, 300))
    return match.group(0) if match else ""


def _read(raw: bytes) -> Dsn | None:
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    if message.get_content_type() != "multipart/report":
        return None
    parts = message.get_payload()
    if not isinstance(parts, list):
        return None
    status_part = next(
        (p for p in parts if isinstance(p, Message) and p.get_content_type() == "message/delivery-status"),
        None,
    )
    report_type = str(message.get_param("report-type", "") or "").lower()
    if status_part is None or report_type not in ("delivery-status", ""):
        return None
    blocks = _fields(_text_of(status_part))
    recipients = []
    for block in blocks:
        if "final-recipient" not in block and "original-recipient" not in block:
            continue
        recipients.append(
            Recipient(
                final=_address(block.get("final-recipient", "")),
                original=_address(block.get("original-recipient", "")),
                action=_one_line(block.get("action", ""), 20).lower(),
                status=_one_line(block.get("status", ""), 20),
                diagnostic=_one_line(block.get("diagnostic-code", "")),
            )
        )
        if len(recipients) >= MAX_RECIPIENTS:
            break
    original = ""
    for part in parts:
        if isinstance(part, Message) and part.get_content_type() in ("message/rfc822", "text/rfc822-headers"):
            original = _returned_message_id(part)
            break
    reporting = next((b["reporting-mta"] for b in blocks if "reporting-mta" in b), "")
    return Dsn(tuple(recipients), original, _one_line(reporting.split(";", 1)[-1], 200))


def read_dsn(raw: bytes) -> Dsn | None:
    """The delivery status notification in `raw`, or None when it is not one. Never raises."""
    try:
        return _read(raw)
    except Exception:  # a malformed mail is not a bounce; processing reads it as mail
        log.debug("unreadable delivery status notification", exc_info=True)
        return None


def _summary(dsn: Dsn) -> list[str]:
    lines = [
        f"{r.action or 'no action'} for {r.final or r.original or '(unreadable address)'}: {r.reason}"
        for r in dsn.recipients
    ]
    return lines or ["a delivery status notification that names no recipient"]


def record(row: InboundMessage, dsn: Dsn) -> str:
    """File a bounce (status BOUNCE) and mark what it names, in one transaction."""
    now = timezone.now()
    problems = _summary(dsn)
    with transaction.atomic():
        current = InboundMessage.objects.select_for_update().get(pk=row.pk)
        if current.status != InboundMessage.Status.PROCESSING:
            return current.status  # another run finished it meanwhile
        sent = (
            OutboundMessage.objects.select_for_update()
            .filter(message_id__in=[dsn.original_message_id, dsn.original_message_id.strip("<>")])
            .first()
            if dsn.original_message_id
            else None
        )
        failed = dsn.failed
        if sent is None:
            problems.insert(0, "names no mail Accord sent; nothing is marked as bouncing")
        elif not failed:
            problems.insert(0, f"about {sent.message_id}; no recipient failed, nothing is marked")
        else:
            to = sent.to_email.lower()
            mine = [r for r in failed if to in (r.final, r.original)]
            # A forwarder may rewrite the address without an Original-Recipient: with one
            # recipient failing, it is the one the mail went to.
            failure = mine[0] if mine else failed[0] if len(failed) == 1 else None
            if failure is None:
                problems.insert(0, f"about {sent.message_id}, but not its recipient {sent.to_email}")
            else:
                OutboundMessage.objects.filter(pk=sent.pk).update(
                    status=OutboundMessage.Status.BOUNCED, last_error=f"bounced: {failure.reason}"[:2000]
                )
                contacts = Contact.objects.filter(email__iexact=to)
                contacts.filter(bouncing_since__isnull=True).update(bouncing_since=now)
                contacts.update(bounce_reason=failure.reason)
                problems.insert(0, f"mail {sent.message_id} to {sent.to_email} bounced")
                log.info("inbound %s: mail to %s bounced (%s)", row.pk, to, failure.reason)
            current.case_id = sent.case_id
            current.report_id = sent.report_id
        current.from_address, current.subject = _sender_and_subject(bytes(row.raw))
        current.in_reply_to = dsn.original_message_id[:250]
        current.status = InboundMessage.Status.BOUNCE
        current.problems = "\n".join(problems)[:10_000]
        current.processed_at = now
        current.next_attempt_at = None
        current.last_error = ""
        current.save()
        return current.status


def _sender_and_subject(raw: bytes) -> tuple[str, str]:
    try:
        head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0][:65536]
        message = email.message_from_bytes(head, policy=email.policy.default)
        address = email.utils.parseaddr(str(message.get("From", "")))[1].strip().lower()
        return _one_line(address, 254) if "@" in address else "", _one_line(message.get("Subject", ""), 300)
    except Exception:  # headers the policy cannot read: the raw bytes are kept anyway
        return "", ""

"""Putting mail into the outbox. Sending happens in a job (tasks.send_outbound).

A mail has a plaintext body that carries no case details (process.md "Mail and
confidentiality") and, optionally, a sealed full text with the recipient's public keys: the job
encrypts it outside any transaction and sends it as PGP/MIME (RFC 3156), `pgp_mime_bytes`.
When the coordinator's key is set up, the job signs every mail: the encrypted ones inside the
encryption, the others as RFC 3156 multipart/signed (`signed_entity`, then `signed_bytes`).
"""

from __future__ import annotations

import email.policy
import io
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.encoders import encode_7or8bit
from email.generator import BytesGenerator
from email.message import MIMEPart
from email.mime.application import MIMEApplication
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.message import SafeMIMEMultipart, make_msgid
from django.db import transaction
from django.utils import timezone

from accord.core.bulk import bulk_create
from accord.mailgate.models import OutboundMessage


@dataclass(frozen=True)
class Mail:
    """One mail for one recipient organisation (or one person), as `queue_mails` stores it.
    The kinds of mail (accord.mailgate.kinds) build these; nothing else should.

    `body_text` goes out in plaintext, so it holds only the VU#, neutral words and links.
    `sealed_text` (the full text) goes out only encrypted to one of `encrypt_to` (armoured public
    keys of ONE organisation, tried in order); without keys it is not stored at all.
    `refused` is why the mail must not leave at all (a vendor requiring encryption without a
    usable key): the row is stored as failed with that reason, so that the case shows it.
    """

    to_email: str
    subject: str
    body_text: str
    headers: Mapping[str, str] = field(default_factory=dict)
    sealed_text: str = ""
    encrypt_to: tuple[str, ...] = ()
    also_to: tuple[str, ...] = ()
    kind: str = ""
    case_id: int | None = None
    report_id: str | None = None  # reports have unguessable string ids
    organization_id: int | None = None  # the recipient organisation, whose keys encrypt_to are
    refused: str = ""


def _domain() -> str:
    return settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "localhost"


def queue_mails(mails: Sequence[Mail]) -> list[OutboundMessage]:
    """Store many mails, one row each, in one statement; each is sent once the transaction commits."""
    from accord.mailgate.tasks import send_outbound

    domain = _domain()
    now = timezone.now()
    rows = bulk_create(
        OutboundMessage,
        [
            OutboundMessage(
                to_email=mail.to_email,
                also_to=[a for a in dict.fromkeys(mail.also_to) if a.lower() != mail.to_email.lower()],
                subject=mail.subject,
                body_text=mail.body_text,
                headers=dict(mail.headers),
                sealed_text=mail.sealed_text if mail.encrypt_to and not mail.refused else "",
                encrypt_to=list(mail.encrypt_to) if mail.sealed_text and not mail.refused else [],
                message_id=make_msgid(domain=domain),
                kind=mail.kind,
                case_id=mail.case_id,
                report_id=mail.report_id,
                organization_id=mail.organization_id,
                status=OutboundMessage.Status.FAILED if mail.refused else OutboundMessage.Status.QUEUED,
                last_error=mail.refused[:2000],
                created_at=now,
            )
            for mail in mails
        ],
    )
    ids = [row.pk for row in rows if row.status == OutboundMessage.Status.QUEUED]

    def enqueue() -> None:
        for message_id in ids:
            send_outbound.enqueue(message_id)

    if ids:
        transaction.on_commit(enqueue)
    return rows


def queue_mail(
    to_email: str,
    subject: str,
    body_text: str,
    *,
    headers: Mapping[str, str] | None = None,
    sealed_text: str = "",
    encrypt_to: Sequence[str] = (),
) -> OutboundMessage:
    """Store one mail for one recipient and send it once the transaction commits (for mail that
    is no kind of its own, such as Django's; Accord's own mail goes through accord.mailgate.kinds)."""
    mail = Mail(to_email, subject, body_text, dict(headers or {}), sealed_text, tuple(encrypt_to))
    return queue_mails([mail])[0]


def recipients(message: OutboundMessage) -> list[str]:
    """Every address the row goes to: `to_email` first, then the organisation's other contacts."""
    return [message.to_email, *(str(a) for a in message.also_to or [])]


def _headers(message: OutboundMessage) -> dict[str, str]:
    return {"Message-ID": message.message_id, "Auto-Submitted": "auto-generated", **message.headers}


def _flatten(email_message: Any) -> bytes:
    # Django's MIME classes override as_bytes() without its `policy` argument, so flatten
    # here the way they do (no "From " mangling), with CRLF line ends as SMTP wants.
    buffer = io.BytesIO()
    BytesGenerator(buffer, mangle_from_=False).flatten(email_message, linesep="\r\n")
    return buffer.getvalue()


def render_bytes(message: OutboundMessage) -> bytes:
    """The RFC 5322 bytes of an outbox row in plaintext: its neutral `body_text` only."""
    email_message = EmailMessage(
        subject=message.subject,
        body=message.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=recipients(message),
        headers=_headers(message),
    )
    return _flatten(email_message.message())


def sealed_entity(text: str) -> bytes:
    """The MIME entity that PGP/MIME encrypts: the full text as text/plain in UTF-8 (RFC 3156 §4)."""
    part = MIMEPart(policy=email.policy.SMTP)
    part.set_content(text)
    return part.as_bytes()


class _PgpMimeMessage(EmailMessage):
    """Django's mail with an RFC 3156 multipart/encrypted body instead of a text part."""

    def __init__(self, *args: Any, armour: bytes, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.armour = armour

    def _create_message(self, msg: Any) -> Any:
        version = MIMEApplication(b"Version: 1\r\n", "pgp-encrypted", _encoder=encode_7or8bit)
        version["Content-Description"] = "PGP/MIME version identification"
        payload = MIMEApplication(self.armour, "octet-stream", _encoder=encode_7or8bit, name="encrypted.asc")
        payload["Content-Description"] = "OpenPGP encrypted message"
        payload["Content-Disposition"] = 'inline; filename="encrypted.asc"'
        outer = SafeMIMEMultipart("encrypted", encoding=self.encoding, protocol="application/pgp-encrypted")
        outer.preamble = "This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)"
        outer.attach(version)
        outer.attach(payload)
        return outer


def pgp_mime_bytes(message: OutboundMessage, armour: bytes) -> bytes:
    """The RFC 5322 bytes of an outbox row as PGP/MIME: the same neutral headers and subject, and
    the ASCII-armoured OpenPGP message (an encrypted `sealed_entity`) as its only content."""
    email_message = _PgpMimeMessage(
        subject=message.subject,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=recipients(message),
        headers=_headers(message),
        armour=armour,
    )
    return _flatten(email_message.message())


def signed_entity(text: str) -> bytes:
    """The MIME entity a multipart/signed mail signs: the neutral text as text/plain in UTF-8,
    quoted-printable (7-bit, trailing spaces encoded, so no relay changes it), with CRLF line ends:
    the canonical form RFC 3156 §5 signs."""
    part = MIMEPart(policy=email.policy.SMTP)
    part.set_content(text, cte="quoted-printable")
    return part.as_bytes()


class _SignedMessage(EmailMessage):
    """Django's mail with an RFC 3156 multipart/signed body: the entity exactly as it was signed, then
    the detached signature. The body is written as bytes, so nothing re-encodes the signed part."""

    def __init__(self, *args: Any, entity: bytes, signature: str, micalg: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.entity, self.signature, self.micalg = entity, signature, micalg

    def _create_message(self, msg: Any) -> Any:
        boundary = f"=-accord-signed-{secrets.token_hex(12)}"
        armour = self.signature.replace("\r\n", "\n").replace("\n", "\r\n").rstrip("\r\n")
        body = (
            "This is an OpenPGP/MIME signed message (RFC 4880 and 3156)\r\n"
            f"--{boundary}\r\n"
            + self.entity.decode("ascii")
            # The line break before a delimiter belongs to the delimiter, not to the signed part.
            + f"\r\n--{boundary}\r\n"
            'Content-Type: application/pgp-signature; name="signature.asc"\r\n'
            "Content-Description: OpenPGP digital signature\r\n"
            'Content-Disposition: attachment; filename="signature.asc"\r\n'
            "\r\n"
            f"{armour}\r\n"
            f"--{boundary}--\r\n"
        )
        outer = SafeMIMEMultipart(
            "signed",
            boundary=boundary,
            encoding=self.encoding,
            micalg=self.micalg,
            protocol="application/pgp-signature",
        )
        outer.set_payload(body)
        return outer


def signed_bytes(message: OutboundMessage, entity: bytes, signature: str, micalg: str) -> bytes:
    """The RFC 5322 bytes of an outbox row as PGP/MIME multipart/signed (RFC 3156 §5): its neutral
    headers, the signed `entity` byte for byte, and the armoured detached signature over it."""
    email_message = _SignedMessage(
        subject=message.subject,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=recipients(message),
        headers=_headers(message),
        entity=entity,
        signature=signature,
        micalg=micalg,
    )
    return _flatten(email_message.message())

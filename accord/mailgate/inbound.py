"""Inbound mail, raw first (architecture.md convention 5; process.md "Routing inbound mail").

`receive(raw, via)` is the one way in, for the SMTP receiver, the IMAP poller and the MTA pipe:
it stores the bytes in a short transaction of their own, then enqueues `process_inbound`.

`process(id)` claims the row with a conditional UPDATE, unwraps (decrypts, verifies: see
accord.mailgate.unwrap) and parses it outside any transaction (gpg must not run inside one),
and records the outcome in one transaction: a message in the sender's private thread
(processed), the triage inbox (triage), or a flag with the reason (mail that could not be
decrypted is flagged, never posted). An error marks it failed with the reason and a backoff; `retry_inbound` picks up
due ones. Bad input never raises out of either function.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import task

from accord.lib import openpgp
from accord.mailgate import bounce, deliver
from accord.mailgate import parse as parsing
from accord.mailgate.models import InboundMessage
from accord.mailgate.route import Route, find_route
from accord.mailgate.unwrap import Unwrapped, unwrap_stored

log = logging.getLogger(__name__)

Status = InboundMessage.Status

MAX_ATTEMPTS = 8
LEASE = dt.timedelta(minutes=10)  # a run that has not finished by then is presumed dead
MAX_BACKOFF = dt.timedelta(hours=6)
NO_TEXT = "(This mail has no text.)"


def backoff(attempts: int) -> dt.timedelta:
    """How long to wait after the `attempts`-th failed run: 2, 4, 8 … minutes, at most 6 hours."""
    return min(dt.timedelta(minutes=2 ** max(1, attempts)), MAX_BACKOFF)


# --- Receiving ----------------------------------------------------------------------------------------


def receive(raw: bytes, via: str) -> InboundMessage:
    """Store a mail, then have it processed. A mail stored before (same Message-ID, same bytes)
    is not stored again: the earlier row is returned. Database errors propagate, so that the
    sender can retry (the pipe exits with EX_TEMPFAIL, SMTP answers 451)."""
    digest = hashlib.sha256(raw).hexdigest()
    message_id = parsing.message_id_of(raw)
    try:
        with transaction.atomic():
            row = InboundMessage.objects.create(
                raw=raw,
                sha256=digest,
                size=len(raw),
                message_id=message_id,
                received_via=via,
                next_attempt_at=timezone.now() + LEASE,  # the retry job's turn, should this job be lost
            )
    except IntegrityError:
        existing = InboundMessage.objects.filter(message_id=message_id, sha256=digest).first()
        if existing is None:
            raise
        log.info("inbound %s delivered again; stored once", existing.pk)
        return existing
    transaction.on_commit(lambda: process_inbound.enqueue(row.pk))
    return row


# --- Processing ---------------------------------------------------------------------------------------


def _claim(inbound_id: int) -> InboundMessage | None:
    """Take the row for one run; None when it is done, or another run holds it."""
    now = timezone.now()
    claimable = Q(status__in=[Status.STORED, Status.FAILED]) | Q(
        status=Status.PROCESSING, next_attempt_at__lte=now
    )
    with transaction.atomic():
        taken = InboundMessage.objects.filter(claimable, pk=inbound_id).update(
            status=Status.PROCESSING, next_attempt_at=now + LEASE
        )
        if not taken:
            return None
        row = InboundMessage.objects.get(pk=inbound_id)
        row.attempts += 1
        row.save(update_fields=["attempts"])
    return row


def _body(parsed: parsing.ParsedMail, unwrapped: Unwrapped) -> str:
    from accord.conversation.actions import MAX_BODY

    text = parsed.text
    if unwrapped.signed_data is not None and not unwrapped.detached_signature:
        # A clearsigned text reads as its words; the signed bytes stay with the received mail, and
        # the message says whether the signature verified.
        text = openpgp.without_signatures(text.encode("utf-8")).decode("utf-8", "replace")
    text = text.strip() or NO_TEXT
    if len(text) > MAX_BODY:
        note = "\n\n(The mail is longer; its full text is kept with the received mail.)"
        text = text[: MAX_BODY - len(note)] + note
    return text


def _uploads(parsed: parsing.ParsedMail) -> list[object]:
    from accord.conversation.actions import Upload

    kept = [a for a in parsed.attachments if a.kept and a.size <= settings.MESSAGE_MAX_ATTACHMENT_BYTES]
    return [Upload(a.name, a.content, a.content_type) for a in kept[: settings.MESSAGE_MAX_ATTACHMENTS]]


def _record(row: InboundMessage, parsed: parsing.ParsedMail, route: Route, unwrapped: Unwrapped) -> str:
    """Write the outcome of a run, in one transaction: post and mark processed, or file it."""
    from accord.conversation.actions import post_message

    problems = [*unwrapped.problems, *parsed.problems]
    skipped = len(parsed.attachments) - len(_uploads(parsed))
    if skipped:
        problems.append(f"{skipped} attachment(s) not attached to the message (too many or too large)")
    with transaction.atomic():
        current = InboundMessage.objects.select_for_update().get(pk=row.pk)
        if current.status != Status.PROCESSING:
            return current.status  # another run finished it meanwhile
        fields: dict[str, object] = {
            "from_address": parsed.from_address,
            "subject": parsed.subject,
            "text": parsed.text,
            "in_reply_to": parsed.in_reply_to,
            "case": route.case,
            "participant": route.participant,
            "report": route.report,
            "processed_at": timezone.now(),
            "next_attempt_at": None,
            "last_error": "",
            "decryption": unwrapped.decryption,
            "signature": unwrapped.signature,
            "signer_fingerprint": unwrapped.signer_fingerprint,
            "signature_detail": unwrapped.signature_detail,
            "signed_data": unwrapped.signed_data,
            "detached_signature": unwrapped.detached_signature,
            "authentication_results": unwrapped.authentication_results,
            "sender_authenticated": unwrapped.sender_authenticated,
        }
        if unwrapped.decryption == InboundMessage.Decryption.FAILED:
            fields["status"] = Status.FLAGGED  # kept, with the reason first; never posted unread
        elif route.routed:
            thread, speaker = deliver.target(route)
            message = post_message(
                thread,
                _body(parsed, unwrapped),
                speaker=speaker,
                attachments=_uploads(parsed),  # type: ignore[arg-type]
                mentions=False,
            )
            fields.update(status=Status.PROCESSED, posted_message=message)
        elif not parsed.from_address or not parsed.text.strip() and not parsed.attachments:
            problems.insert(0, route.reason)
            fields["status"] = Status.FLAGGED
        else:
            problems.insert(0, route.reason)
            fields["status"] = Status.TRIAGE
            if route.non_participant and route.case is not None:
                deliver.tell_analysts_of_stranger(route.case, parsed, current.pk)
        fields["problems"] = "\n".join(p for p in problems if p)[:10_000]
        for name, value in fields.items():
            setattr(current, name, value)
        current.save()
        return current.status


def _fail(row: InboundMessage, exc: BaseException) -> str:
    error = f"{type(exc).__name__}: {exc}"[:2000]
    now = timezone.now()
    if row.attempts >= MAX_ATTEMPTS:
        status, next_at = Status.FLAGGED, None
        problems = f"processing failed {row.attempts} times; the last error: {error}"
    else:
        status, next_at = Status.FAILED, now + backoff(row.attempts)
        problems = row.problems
    InboundMessage.objects.filter(pk=row.pk, status=Status.PROCESSING).update(
        status=status, last_error=error, next_attempt_at=next_at, problems=problems
    )
    log.warning("inbound %s failed (attempt %s): %s", row.pk, row.attempts, error)
    return status


def process(inbound_id: int) -> str:
    """One run over a stored mail; returns its status afterwards ("" when there is nothing to
    do). Idempotent: a mail already processed, or being processed, is left alone."""
    row = _claim(inbound_id)
    if row is None:
        return ""
    try:
        dsn = bounce.read_dsn(bytes(row.raw))  # a bounce is not a message to anyone: before routing
        if dsn is not None:
            return bounce.record(row, dsn)
        unwrapped = unwrap_stored(bytes(row.raw))
        parsed = parsing.parse(unwrapped.raw, max_attachment_bytes=settings.MESSAGE_MAX_ATTACHMENT_BYTES)
        route = find_route(parsed)
        return _record(row, parsed, route, unwrapped)
    except Exception as exc:  # kept with its reason and retried; never lost, never raised
        return _fail(row, exc)


def due_ids(now: dt.datetime | None = None, limit: int = 500) -> list[int]:
    """Mail whose run is due: stored or failed and past its backoff, or a run that died."""
    now = now or timezone.now()
    return list(
        InboundMessage.objects.filter(
            status__in=[Status.STORED, Status.FAILED, Status.PROCESSING], next_attempt_at__lte=now
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


@task()
def process_inbound(inbound_id: int) -> str:
    return process(inbound_id)


@task()
def retry_inbound() -> int:
    """The scheduler's job: enqueue every mail whose next attempt is due."""
    ids = due_ids()
    for inbound_id in ids:
        process_inbound.enqueue(inbound_id)
    return len(ids)

"""What an analyst does with mail the gateway could not route (issue 10, items 5 and 6;
process.md "Routing inbound mail", step 5): link it to a case in a participant's private
thread, turn it into a report, mark it as spam, or have a failed or flagged one processed again.

Each is one action, for the pages and the API alike, in one transaction with its event: on the
case's timeline when the mail concerns a case (staff only: these kinds name no audience), on
the report's when it became one, and always in the staff audit log (accord.core.audit) under
the mail itself, so that mail without a case keeps its trail too.

The stored bytes are read again (and decrypted) for the attachments, before the transaction:
gpg never runs inside one. A mail another analyst handled meanwhile is refused (409), not
handled twice: the row is locked and its status checked inside the transaction.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accord.accounts.models import User
from accord.cases.events import record
from accord.cases.models import Case, Participant, Report
from accord.core import audit
from accord.core.access import require_analyst
from accord.lib.errors import InvalidInput, RuleViolation
from accord.mailgate import parse as parsing
from accord.mailgate import unwrap
from accord.mailgate.models import InboundMessage

log = logging.getLogger(__name__)

Status = InboundMessage.Status
Resolution = InboundMessage.Resolution

# What each action may start from.
LINKABLE = (Status.TRIAGE, Status.FLAGGED)
SPAMMABLE = (Status.TRIAGE, Status.FLAGGED, Status.FAILED)
REPROCESSABLE = (Status.FAILED, Status.FLAGGED)
NO_TEXT = "(This mail has no text.)"
NON_PARTICIPANT = "from a non-participant"


def parsed_mail(inbound: InboundMessage) -> parsing.ParsedMail | None:
    """The stored mail read again, decrypted as processing reads it; None when it cannot be.
    Runs gpg: call it outside any transaction."""
    try:
        raw = unwrap.unwrap_stored(bytes(inbound.raw)).raw
        return parsing.parse(raw, max_attachment_bytes=settings.MESSAGE_MAX_ATTACHMENT_BYTES)
    except Exception:  # a mail processing could not read: its text is what we have
        log.warning("inbound %s could not be read again", inbound.pk, exc_info=True)
        return None


def reason_of(inbound: InboundMessage) -> str:
    """Why it waits in triage (the first line of its problems)."""
    return (inbound.problems or "").split("\n", 1)[0]


def from_non_participant(inbound: InboundMessage) -> bool:
    """Mail naming a case whose sender is no participant of it: for that case's analysts."""
    return inbound.case_id is not None and inbound.status == Status.TRIAGE


def _locked(inbound: InboundMessage, allowed: tuple[str, ...], doing: str) -> InboundMessage:
    current = InboundMessage.objects.select_for_update().get(pk=inbound.pk)
    if current.status not in allowed:
        label = Status(current.status).label
        done = f" ({Resolution(current.resolution).label})" if current.resolution else ""
        raise RuleViolation(
            "mail-open",
            f"This mail cannot be {doing} now: it is {label}{done}. Reload the page to see what happened.",
        )
    return current


def _resolve(current: InboundMessage, resolution: str, by: Any, **fields: Any) -> None:
    current.resolution = resolution
    current.resolved_by = by if isinstance(by, User) else None
    current.resolved_at = timezone.now()
    for name, value in fields.items():
        setattr(current, name, value)
    current.save()


def _body(text: str) -> str:
    from accord.conversation.actions import MAX_BODY

    body = text.strip() or NO_TEXT
    if len(body) > MAX_BODY:
        note = "\n\n(The mail is longer; its full text is kept with the received mail.)"
        body = body[: MAX_BODY - len(note)] + note
    return body


def _kept(parsed: parsing.ParsedMail | None, limit: int, count: int) -> list[parsing.ParsedAttachment]:
    if parsed is None:
        return []
    return [a for a in parsed.attachments if a.kept and a.content and a.size <= limit][:count]


def _name(by: Any) -> str:
    return getattr(by, "display_name", "") or str(by)


def link_to_case(inbound: InboundMessage, case: Case, participant: Participant, *, by: Any) -> InboundMessage:
    """Post the mail into `participant`'s private thread on `case` (a vendor's, or the
    reporter's), as written by the sender's side, and mark it processed and linked."""
    from accord.conversation.actions import Speaker, Upload, post_message, private_thread

    require_analyst(by)
    if participant.case_id != case.pk:
        raise InvalidInput("participant", f"That participant is not in {case.label}.")
    if participant.kind == Participant.Kind.COORDINATOR:
        raise InvalidInput(
            "participant", "Choose a vendor or the reporter: the coordinators have no private thread."
        )
    parsed = parsed_mail(inbound)  # outside the transaction: gpg may run
    uploads = [
        Upload(a.name, a.content, a.content_type)
        for a in _kept(parsed, settings.MESSAGE_MAX_ATTACHMENT_BYTES, settings.MESSAGE_MAX_ATTACHMENTS)
    ]
    with transaction.atomic():
        current = _locked(inbound, LINKABLE, "linked")
        address = current.from_address
        reporter = participant.kind == Participant.Kind.REPORTER
        if reporter:
            user = participant.user if participant.user_id else None
            speaker = Speaker(user, participant, reporter=True, report=participant.report)
        else:
            # The member whose address sent it, when there is one; else the organisation.
            user = (
                User.objects.filter(
                    email__iexact=address,
                    is_active=True,
                    memberships__organization=participant.organization_id,
                ).first()
                if address
                else None
            )
            speaker = Speaker(user, participant)
        message = post_message(
            private_thread(participant),
            _body(current.text),
            speaker=speaker,
            attachments=uploads,
            mentions=False,
        )
        _resolve(
            current,
            Resolution.LINKED,
            by,
            status=Status.PROCESSED,
            case=case,
            participant=participant,
            posted_message=message,
            processed_at=current.processed_at or timezone.now(),
            next_attempt_at=None,
        )
        record(
            "mail.linked",
            case=case,
            participant=participant,
            actor=by,
            mail=current.pk,
            message=message.pk,
            from_address=address,
            subject=current.subject,
        )
        audit.record(
            by, "mail.linked", current, case=case.label, participant=participant.pk, message=message.pk
        )
    log.info(
        "inbound %s linked to %s (participant %s) by %s", current.pk, case.label, participant.pk, _name(by)
    )
    return current


def report_from_mail(inbound: InboundMessage, *, by: Any) -> Report:
    """File a report from the mail, as its sender's (their address is the reporter's, who gets
    the acknowledgement with the follow link as for any report). Attachments of the types
    reports accept come along; the others stay in the stored mail."""
    from accord.cases.actions.reports import LIMITS, ReportInput, Upload, submit_report

    require_analyst(by)
    parsed = parsed_mail(inbound)
    allowed = tuple(t.lower() for t in settings.REPORT_ATTACHMENT_TYPES)
    files = [
        Upload(a.name, a.content, a.content_type)
        for a in _kept(parsed, settings.REPORT_MAX_ATTACHMENT_BYTES, 1000)
        if a.name.lower().endswith(allowed)
    ][: settings.REPORT_MAX_ATTACHMENTS]
    with transaction.atomic():
        current = _locked(inbound, LINKABLE, "turned into a report")
        address = current.from_address if "@" in current.from_address else ""
        received = timezone.localtime(current.received_at).strftime("%Y-%m-%d %H:%M %Z")
        data = ReportInput(
            product=(current.subject.strip() or "Report received by mail")[: LIMITS["product"]],
            version="(version not given)",
            description=_body(current.text)[: LIMITS["description"]],
            reporter_name=(parsed.from_name if parsed else "")[: LIMITS["reporter_name"]],
            reporter_email=address[: LIMITS["reporter_email"]],
            coordinator_comment=f"Received by mail from {current.from_address or 'an unknown sender'} "
            f"on {received}; turned into a report by {_name(by)}.",
            attachments=files,
        )
        report, _ = submit_report(data, by=None)
        _resolve(current, Resolution.REPORT, by, status=Status.PROCESSED, report=report, next_attempt_at=None)
        record("mail.report", report=report, actor=by, mail=current.pk, from_address=current.from_address)
        audit.record(by, "mail.report", current, report=report.pk)
    log.info("inbound %s turned into report %s by %s", current.pk, report.pk, _name(by))
    return report


def mark_spam(inbound: InboundMessage, *, by: Any) -> InboundMessage:
    """Set the mail aside as spam: it leaves the triage inbox and is never retried."""
    require_analyst(by)
    with transaction.atomic():
        current = _locked(inbound, SPAMMABLE, "marked as spam")
        old = current.status
        _resolve(current, Resolution.SPAM, by, status=Status.SPAM, next_attempt_at=None)
        if current.case_id is not None:
            record("mail.spam", case=current.case, actor=by, mail=current.pk, old=old)
        audit.record(by, "mail.spam", current, old=old)
    log.info("inbound %s marked as spam by %s", current.pk, _name(by))
    return current


def reprocess(inbound: InboundMessage, *, by: Any) -> InboundMessage:
    """Process a failed or flagged mail again from its stored bytes, as if it had just arrived
    (its attempts start again from 0)."""
    from accord.mailgate.inbound import LEASE, process_inbound

    require_analyst(by)
    with transaction.atomic():
        current = _locked(inbound, REPROCESSABLE, "processed again")
        old = current.status
        error = current.last_error
        _resolve(
            current,
            Resolution.REPROCESSED,
            by,
            status=Status.STORED,
            attempts=0,
            # The retry job's turn, should this job be lost (as for a mail just received).
            next_attempt_at=timezone.now() + LEASE,
            last_error="",
        )
        if current.case_id is not None:
            record("mail.reprocessed", case=current.case, actor=by, mail=current.pk, old=old)
        audit.record(by, "mail.reprocessed", current, old=old, last_error=error[:500])
        pk = current.pk
        transaction.on_commit(lambda: process_inbound.enqueue(pk))
    log.info("inbound %s (%s) to be processed again, by %s", current.pk, old, _name(by))
    return current

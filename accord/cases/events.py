"""The audit timeline's event kinds, each with its audiences, and `record()`.

Every kind is declared once in KINDS with the words people read and, per audience, the data
keys that audience sees (allow-lists). The coordinator's staff see every event whole. Beyond
them an event reaches only the audiences its kind names:
- `concerned`: the participant the event is about (CaseEvent.participant), or the reporter on
  their own report's page;
- `participants`: every participant that may read the case;
- `public`: anyone, once published (the note's disclosure timeline).
An audience not named sees nothing of the event. A key not listed is not shown. A listed key
"a.b" shows only the sub-key b of the mapping a. `record()` refuses a kind not declared here,
so a new kind cannot reach anyone by accident. accord.cases.presenter applies these lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from accord.cases.models import Case, CaseEvent, Participant, Report
from accord.core.actors import SystemActor

Keys = tuple[str, ...]

# Keys shared by many kinds.
STATE = ("old", "new")
EMBARGO_EFFECTS = ("embargo", "termination_due")
DATES = ("at", "first", "target_publication_at", "days", "embargo", "embargo_ends_at")


@dataclass(frozen=True)
class EventKind:
    words: str
    concerned: Keys | None = None
    participants: Keys | None = None
    public: Keys | None = None


KINDS: dict[str, EventKind] = {
    # Reports (the reporter is the participant concerned on their own report's pages).
    "report.received": EventKind("Report received", concerned=(*STATE, "attachments")),
    "report.validate": EventKind("Report validated", concerned=STATE, participants=STATE),
    "report.invalidate": EventKind("Report marked invalid", concerned=(*STATE, "reason"), participants=STATE),
    "report.defer": EventKind("Report deferred", concerned=(*STATE, "reason"), participants=STATE),
    "report.accept": EventKind(
        "Report accepted", concerned=(*STATE, "case_number"), participants=STATE, public=()
    ),
    "report.duplicate": EventKind("A duplicate report was linked", concerned=(*STATE, "case_number")),
    "report.close": EventKind("Report closed", concerned=(*STATE, "reason"), participants=STATE),
    "report.note": EventKind("Message on the report"),
    # The conversation (accord.conversation): requests for information and topic threads. A
    # message itself is no event: it lives in its thread, which the gate guards.
    "message.request": EventKind("Request for information", concerned=("asked_by",)),
    "message.request_answered": EventKind("Request for information answered", concerned=()),
    "message.request_closed": EventKind("Request for information closed", concerned=()),
    "thread.topic": EventKind("Topic thread opened"),
    "thread.members": EventKind("Topic thread members changed"),
    # The reporter's credit preference (a pseudonym is for the coordinator until publication).
    "report.credit": EventKind("Credit preference changed", concerned=STATE),
    "report.assigned": EventKind("Report assigned"),
    # The case and its vulnerabilities.
    # Imports by Accord (accord.archive.load): one event per case, for the coordinator's staff.
    "case.imported": EventKind("Imported from CERT/CC's Vulnerability Data Archive"),
    "case.reimported": EventKind("Updated from a changed file of CERT/CC's Vulnerability Data Archive"),
    "case.updated": EventKind("Case edited", participants=("changes",)),
    "case.analysts": EventKind("Analysts assigned"),
    "case.vendor_texts": EventKind("Vendor-facing texts edited", participants=("changed",)),
    "vulnerability.added": EventKind(
        "Vulnerability added", participants=("vulnerability", "values"), public=("vulnerability",)
    ),
    "vulnerability.updated": EventKind("Vulnerability edited", participants=("vulnerability", "changes")),
    "product.added": EventKind(
        "Product added", participants=("vulnerability", "name", "version_range", "purl")
    ),
    "ssvc.triage": EventKind("SSVC coordinator triage"),
    "ssvc.publish": EventKind("SSVC coordinator publish"),
    # Participants.
    "participant.added": EventKind("Participant added", concerned=("kind",), participants=("kind",)),
    "participants.added": EventKind("Vendors added", participants=("count",)),
    "vendors.notified": EventKind(
        "Vendors notified",
        participants=(
            "count",
            "contact.at",
            "contact.first",
            "contact.target_publication_at",
            "contact.embargo",
        ),
        public=("contact.at", "contact.first"),
    ),
    "vendors.unreachable": EventKind("Vendors could not be reached"),
    "participant.seen": EventKind("Opened the case for the first time", concerned=()),
    "participant.claimed": EventKind("Account claimed from a notification", concerned=("approved",)),
    "participant.claim_approved": EventKind("Claimed account approved", concerned=()),
    "participant.tracking_id": EventKind("Tracking id set", concerned=STATE),
    # An anonymous vendor's choice of its name or its alias in the published note: the vendor's
    # and the coordinator's business only (others must not learn who is behind the alias).
    "participant.named_at_publication": EventKind(
        "Name at publication chosen", concerned=(*STATE, "on_behalf")
    ),
    "participant.member_access": EventKind("Members who see the case chosen", concerned=("members",)),
    # Reminders (accord.cases.reminders): the coordinator's own business, except that a vendor
    # sees on its timeline that it was sent a final reminder (never the analyst's reason).
    "vendors.reminded": EventKind("Reminders sent to vendors"),
    "case.reminders": EventKind("Automatic reminders muted or resumed for the case"),
    "participant.reminders": EventKind("Automatic reminders muted or resumed for a vendor"),
    "participant.final_reminder": EventKind("Final reminder sent", concerned=()),
    # Dates and the embargo.
    "contact.attempt": EventKind("Contact attempt", participants=DATES, public=("at", "first")),
    "policy.applied": EventKind(
        "Current policy applied",
        participants=("old_days", "days", "old_target", "target", "embargo_ends_at"),
    ),
    "embargo.proposed": EventKind(
        "Embargo proposed", participants=(*STATE, "ends_at", "current_ends_at", "reason")
    ),
    "embargo.accepted": EventKind("Embargo accepted", participants=(*STATE, "old_ends_at", "ends_at")),
    "embargo.rejected": EventKind(
        "Embargo proposal rejected", participants=(*STATE, "rejected_ends_at", "ends_at", "reason")
    ),
    "embargo.terminated": EventKind("Embargo terminated", participants=(*STATE, "reason"), public=()),
    "embargo.expired": EventKind("Embargo ended at its end instant", participants=(*STATE, "ends_at")),
    "embargo.joined": EventKind(
        "Embargo accepted by a participant", concerned=("ends_at",), participants=("ends_at",)
    ),
    "embargo.declined": EventKind("Embargo declined by a participant", concerned=("ends_at",)),
    # Case state. A vendor's own F and D are its business until it shares its answer.
    "fact.set": EventKind("Case state set", participants=("fact", "facts", "evidence", *EMBARGO_EFFECTS)),
    "fact.claimed": EventKind("Case state claimed", participants=("fact", "evidence")),
    "fact.confirmed": EventKind(
        "Claim confirmed", participants=("fact", "facts", "evidence", *EMBARGO_EFFECTS)
    ),
    "fact.dismissed": EventKind("Claim dismissed", participants=("fact", "reason")),
    "fact.vendor": EventKind("Vendor state set", concerned=("fact",)),
    # Vendor answers: others learn from the participants list whether a vendor answered.
    "answer.submitted": EventKind(
        "Answer submitted",
        concerned=("statuses", "rm", "facts", "statement", "info_request", "share", "on_behalf"),
    ),
    "answer.addendum": EventKind("Coordinator's addendum", concerned=()),
    # An analyst made a vendor's signed mail its statement (the mail's id is the coordinator's).
    "answer.statement_by_mail": EventKind("Statement received by mail", concerned=("statement",)),
    "answer.info_answered": EventKind("Request for information answered", concerned=()),
    # The triage inbox (accord.mailgate.triage): the coordinator's own business. The mail's
    # The Vulnerability Note (accord.publication): its audit log, for the coordinator's staff;
    # publication itself is on the public timeline.
    "note.created": EventKind("Note started"),
    "note.saved": EventKind("Note draft saved"),
    "note.review_requested": EventKind("Note review requested"),
    "note.review_comment": EventKind("Note review comment"),
    "note.approved": EventKind("Note approved"),
    "note.changes_requested": EventKind("Note changes requested"),
    "note.scheduled": EventKind("Note publication scheduled"),
    "note.schedule_cancelled": EventKind("Note publication schedule cancelled"),
    "note.schedule_refused": EventKind("Scheduled publication refused by the embargo gate"),
    "note.published": EventKind("Note published", public=("revision",)),
    "note.pending": EventKind("Note revision waiting for a publisher's approval"),
    "note.pending_approved": EventKind("Pending note revision published", public=("revision",)),
    "note.corrected": EventKind("Note corrected", public=("revision",)),
    "note.withdrawn": EventKind("Note withdrawn", public=("reason",)),
    "note.shared": EventKind("Draft note shared with the vendors and the reporter", participants=()),
    # sender and subject are for staff; a linked mail reaches its thread, which the gate guards.
    "mail.linked": EventKind("Mail linked to the case"),
    "mail.report": EventKind("Report filed from a mail"),
    "mail.spam": EventKind("Mail marked as spam"),
    "mail.reprocessed": EventKind("Mail processed again"),
}


class UnregisteredEvent(ValueError):
    """An event kind missing from KINDS: declare its audiences before recording it."""


def kind_of(name: str) -> EventKind | None:
    return KINDS.get(name)


def record(
    kind: str,
    /,
    *,
    actor: Any,
    case: Case | None = None,
    report: Report | None = None,
    participant: Participant | None = None,
    **data: Any,
) -> CaseEvent:
    """Append one event to the timeline. `data` holds old and new values, JSON-ready.

    `actor` is required: a user, SYSTEM (Accord itself: the scheduler, imports, the mail
    gateway) or None for a person without an account (an anonymous reporter).
    """
    if kind not in KINDS:
        raise UnregisteredEvent(f"event kind {kind!r} is not declared in accord.cases.events.KINDS")
    system = isinstance(actor, SystemActor)
    return CaseEvent.objects.create(
        case=case,
        report=report,
        actor=actor if not system and getattr(actor, "is_authenticated", False) else None,
        by_system=system,
        participant=participant,
        kind=kind,
        data=data,
    )

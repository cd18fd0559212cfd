"""Everything that changes a Vulnerability Note (process.md "Publication"), for the web and the API.

Each action writes one "note.*" event on the case (the note's audit log). Publishing makes an
immutable Revision whose snapshot is built through the presenter's public view; a later change
is a new revision. The embargo gate: no publication while an embargo is in force and ends after
the publication instant, unless a publisher overrides it with a recorded reason.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from accord.cases import policy
from accord.cases.events import record
from accord.cases.models import Case, Participant
from accord.cases.states import EM, Fact
from accord.core.access import require_analyst
from accord.core.actors import SYSTEM, is_system
from accord.lib.errors import InvalidInput, RuleViolation
from accord.lib.time import rfc3339 as iso
from accord.publication.models import SECTIONS, DraftVersion, Note, Review, ReviewComment, Revision
from accord.publication.snapshot import build_snapshot
from accord.publication.snapshot_text import search_text

MAX_SECTION = 100_000


def require_publisher(by: Any) -> None:
    if is_system(by):
        return
    if by is None or not getattr(by, "is_publisher", False):
        raise RuleViolation("publisher-only", "Only a publisher can do this")


def _locked(note: Note) -> Note:
    return Note.objects.select_for_update().select_related("case").get(pk=note.pk)


# --- The draft ---------------------------------------------------------------------------------


def prefill(case: Case) -> dict[str, str]:
    """The sections as the case suggests them; the analyst edits from there."""
    vulns = list(case.vulnerabilities.order_by("seq"))
    description = "\n\n".join(
        f"### {v.title or v.label}\n\n{v.description}".strip() + (f"\n\n{v.cve}" if v.cve else "")
        for v in vulns
    )
    reporter = case.participants.filter(kind=Participant.Kind.REPORTER).select_related("report").first()
    report = reporter.report if reporter is not None else None
    if report is None:
        report = case.reports.order_by("created_at").first()
    credit = references = ""
    if report is not None:
        references = report.public_references
        # The reporter chose: credit under a name (a pseudonym stays theirs), or none at all.
        name = report.credit_name or report.reporter_name
        if report.credit:
            credit = f"Thanks to {name} for reporting this vulnerability." if name else ""
            credit = credit or "Thanks to the reporter of this vulnerability."
    return {
        "overview": case.summary or case.vendor_summary,
        "description": description,
        "impact": report.impact if report is not None else "",
        "solution": "",
        "workarounds": "",
        "references": references,
        "credit": credit,
    }


@transaction.atomic
def note_for(case: Case, *, by: Any = SYSTEM) -> Note:
    """The case's note, made (and prefilled from the case, as draft 1) the first time."""
    require_analyst(by)
    note = Note.objects.filter(case=case).first()
    if note is not None:
        return note
    sections = prefill(case)
    note = Note.objects.create(case=case, draft_number=1, **sections)
    DraftVersion.objects.create(
        note=note, number=1, sections=sections, summary="prefilled from the case", saved_by=_user(by)
    )
    record("note.created", case=case, actor=by, draft=1)
    return note


def _user(by: Any) -> Any:
    return None if is_system(by) else by


def _clean_sections(sections: dict[str, Any]) -> dict[str, str]:
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        raise InvalidInput("sections", f"Unknown section: {sorted(unknown)[0]}")
    out = {}
    for name, value in sections.items():
        if not isinstance(value, str):
            raise InvalidInput(name, "Write text.")
        if "\x00" in value:
            raise InvalidInput(name, "The text holds a NUL character.")
        if len(value) > MAX_SECTION:
            raise InvalidInput(name, f"At most {MAX_SECTION:,} characters.")
        # Browsers post textareas with CRLF: Markdown means the same with LF, and diffs stay true.
        out[name] = value.replace("\r\n", "\n")
    return out


@transaction.atomic
def save_draft(note: Note, sections: dict[str, Any], *, summary: str = "", by: Any) -> DraftVersion:
    """A new draft version (sections not given keep their text). A saved change needs a new
    review, so an approval or a schedule of the older draft no longer holds."""
    require_analyst(by)
    if len(summary) > 300:
        raise InvalidInput("summary", "At most 300 characters.")
    note = _locked(note)
    if note.state == Note.State.WITHDRAWN:
        raise RuleViolation("note-withdrawn", "This note was withdrawn")
    new = {**note.sections(), **_clean_sections(sections)}
    if new == note.sections() and note.draft_number:
        raise InvalidInput("sections", "Nothing changed since the last draft.")
    for name, value in new.items():
        setattr(note, name, value)
    note.draft_number += 1
    draft = DraftVersion.objects.create(
        note=note, number=note.draft_number, sections=new, summary=summary.strip(), saved_by=_user(by)
    )
    data: dict[str, Any] = {"draft": draft.number, "summary": draft.summary}
    if note.state in (Note.State.IN_REVIEW, Note.State.APPROVED, Note.State.SCHEDULED):
        data["unscheduled"] = note.state == Note.State.SCHEDULED
        note.state = Note.State.DRAFT
        note.scheduled_for = None
        note.scheduled_by = None
        note.override_reason = ""
        Review.objects.filter(note=note, state=Review.State.OPEN).update(state=Review.State.WITHDRAWN)
    note.save()
    changed = [n for n in SECTIONS if new[n] != (_previous(note, draft.number) or {}).get(n)]
    record("note.saved", case=note.case, actor=by, changed=changed, **data)
    return draft


def _previous(note: Note, number: int) -> dict[str, str] | None:
    prev = DraftVersion.objects.filter(note=note, number=number - 1).first()
    return prev.sections if prev else None


def latest_draft(note: Note) -> DraftVersion:
    draft = DraftVersion.objects.filter(note=note, number=note.draft_number).first()
    if draft is None:
        raise RuleViolation("note-no-draft", "Save a draft first")
    return draft


# --- Review ------------------------------------------------------------------------------------


@transaction.atomic
def request_review(note: Note, *, by: Any) -> Review:
    require_analyst(by)
    note = _locked(note)
    if note.state == Note.State.WITHDRAWN:
        raise RuleViolation("note-withdrawn", "This note was withdrawn")
    draft = latest_draft(note)
    Review.objects.filter(note=note, state=Review.State.OPEN).update(state=Review.State.WITHDRAWN)
    review = Review.objects.create(note=note, draft=draft, requested_by=_user(by))
    if note.state not in (Note.State.PUBLISHED,):
        note.state = Note.State.IN_REVIEW
        note.save(update_fields=["state", "updated_at"])
    record("note.review_requested", case=note.case, actor=by, review=review.pk, draft=draft.number)
    return review


@transaction.atomic
def comment_review(review: Review, body: str, section: str = "", *, by: Any) -> ReviewComment:
    require_analyst(by)
    body = (body or "").strip()
    if not body:
        raise InvalidInput("body", "Write the comment first.")
    if len(body) > 20_000:
        raise InvalidInput("body", "At most 20,000 characters.")
    if section and section not in SECTIONS:
        raise InvalidInput("section", "Choose one of the note's sections.")
    comment = ReviewComment.objects.create(review=review, author=_user(by), section=section, body=body)
    record(
        "note.review_comment", case=review.note.case, actor=by, review=review.pk, section=section, body=body
    )
    return comment


def _decide(review: Review, state: str, kind: str, *, by: Any, reason: str = "") -> Review:
    require_publisher(by)
    review = Review.objects.select_for_update().select_related("note__case", "draft").get(pk=review.pk)
    if review.state != Review.State.OPEN:
        raise RuleViolation("review-closed", "This review was already decided")
    note = _locked(review.note)
    if review.draft.number != note.draft_number:
        raise RuleViolation("review-stale", "The draft changed since this review was requested")
    review.state = state
    review.decided_by = _user(by)
    review.decided_at = timezone.now()
    review.save()
    if note.state != Note.State.PUBLISHED:
        note.state = Note.State.APPROVED if state == Review.State.APPROVED else Note.State.DRAFT
        note.save(update_fields=["state", "updated_at"])
    record(kind, case=note.case, actor=by, review=review.pk, draft=review.draft.number, reason=reason)
    return review


@transaction.atomic
def approve(review: Review, *, by: Any) -> Review:
    """A publisher approves the reviewed draft: it may then be published or scheduled."""
    return _decide(review, Review.State.APPROVED, "note.approved", by=by)


@transaction.atomic
def request_changes(review: Review, *, by: Any, reason: str = "") -> Review:
    return _decide(review, Review.State.CHANGES, "note.changes_requested", by=by, reason=reason.strip())


def approved_review(note: Note) -> Review | None:
    return (
        Review.objects.filter(note=note, state=Review.State.APPROVED, draft__number=note.draft_number)
        .order_by("-decided_at")
        .first()
    )


def _require_approved(note: Note) -> None:
    if approved_review(note) is None:
        raise RuleViolation(
            "note-not-approved",
            f"Draft {note.draft_number} has no approved review: request a review and have a publisher approve it",
        )


# --- The embargo gate and publishing -----------------------------------------------------------


def gate_refuses(case: Case, at: dt.datetime) -> str | None:
    """Why the embargo forbids publishing at `at`, or None when it allows it."""
    in_force = case.embargo_state in (EM.ACTIVE, EM.REVISE)
    if in_force and case.embargo_ends_at is not None and case.embargo_ends_at > at:
        return f"The embargo is in force until {iso(case.embargo_ends_at)}"
    return None


def _check_gate(note: Note, at: dt.datetime, override_reason: str, by: Any) -> str:
    """The override reason that lets this publication through the gate ("" when none needed)."""
    why = gate_refuses(note.case, at)
    if why is None:
        return ""
    reason = (override_reason or "").strip()
    if not reason:
        raise RuleViolation("embargo-gate", f"{why}: a publisher may override it with a reason")
    require_publisher(by)
    if len(reason) > 2000:
        raise InvalidInput("override_reason", "At most 2,000 characters.")
    return reason


def _public_changed() -> None:
    """The public notes changed: refresh the CSAF provider directory after the commit."""
    from accord.exports.tasks import refresh_after_commit

    refresh_after_commit()


def _next_number(note: Note) -> int:
    return (note.revisions.aggregate(m=Max("number"))["m"] or 0) + 1


def _mark_public(case: Case, at: dt.datetime, by: Any) -> dict[str, Any]:
    """The case is public (P) from its note's publication; the embargo ends as P requires, and
    the participants read both on the case's timeline (as when an analyst sets P)."""
    from accord.cases.actions.facts import _confirm

    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.p_at is not None:
        return {}
    newly, changes = _confirm(case, Fact.P, at)
    evidence = f"The Vulnerability Note of {case.label} was published."
    record("fact.set", case=case, actor=by, fact=Fact.P.value, facts=newly, evidence=evidence, **changes)
    return changes


def _publish(
    note: Note, *, by: Any, summary: str, override_reason: str, kind: str, at: dt.datetime | None = None
) -> Revision:
    at = at or timezone.now()
    number = _next_number(note)
    first = note.first_published_at or at
    draft = latest_draft(note)
    snapshot = build_snapshot(note.case, note, at=at, first_published_at=first, sections=draft.sections)
    note.revisions.filter(state=Revision.State.PENDING).update(state=Revision.State.DISCARDED)
    revision = Revision.objects.create(
        note=note,
        number=number,
        state=Revision.State.PUBLISHED,
        snapshot=snapshot,
        change_summary=summary[:500],
        published_at=at,
        published_by=_user(by),
        search_text=search_text(snapshot),
    )
    note.state = Note.State.PUBLISHED
    note.first_published_at = first
    note.last_published_at = at
    note.scheduled_for = None
    note.override_reason = override_reason or note.override_reason
    note.save()
    changes = _mark_public(note.case, at, by)
    record(
        kind,
        case=note.case,
        actor=by,
        revision=number,
        draft=draft.number,
        summary=summary,
        override_reason=override_reason,
        **changes,
    )
    _public_changed()
    return revision


@transaction.atomic
def publish_now(note: Note, *, by: Any, summary: str = "", override_reason: str = "") -> Revision:
    """Publish the approved latest draft at once (a publisher)."""
    require_publisher(by)
    note = _locked(note)
    if note.state == Note.State.WITHDRAWN:
        raise RuleViolation("note-withdrawn", "This note was withdrawn")
    if note.state == Note.State.PUBLISHED:
        raise RuleViolation("note-published", "Already published: correct it to publish a new revision")
    _require_approved(note)
    reason = _check_gate(note, timezone.now(), override_reason, by)
    return _publish(
        note,
        by=by,
        summary=summary.strip() or "First publication",
        override_reason=reason,
        kind="note.published",
    )


@transaction.atomic
def schedule(note: Note, at: dt.datetime, *, by: Any, override_reason: str = "") -> Note:
    """Publish the approved latest draft at the exact instant `at` (the scheduler does it)."""
    require_publisher(by)
    if not isinstance(at, dt.datetime) or timezone.is_naive(at):
        raise InvalidInput("at", "Give an exact instant with its time zone.")
    if at <= timezone.now():
        raise InvalidInput("at", "Choose an instant in the future, or publish now.")
    note = _locked(note)
    if note.state in (Note.State.WITHDRAWN, Note.State.PUBLISHED):
        raise RuleViolation("note-published", "This note was already published")
    _require_approved(note)
    reason = _check_gate(note, at, override_reason, by)
    note.state = Note.State.SCHEDULED
    note.scheduled_for = at
    note.scheduled_by = _user(by)
    note.override_reason = reason
    note.save()
    record("note.scheduled", case=note.case, actor=by, at=iso(at), override_reason=reason)
    return note


@transaction.atomic
def cancel_schedule(note: Note, *, by: Any) -> Note:
    require_publisher(by)
    note = _locked(note)
    if note.state != Note.State.SCHEDULED:
        raise RuleViolation("note-not-scheduled", "This note is not scheduled")
    old = note.scheduled_for
    note.state = Note.State.APPROVED
    note.scheduled_for = None
    note.override_reason = ""
    note.save()
    record("note.schedule_cancelled", case=note.case, actor=by, at=iso(old))
    return note


def publish_due(now: dt.datetime | None = None) -> list[int]:
    """The scheduler: publish every note whose instant has come, as Accord, re-checking the gate
    at that instant; a refused one stays scheduled and the refusal is recorded (once)."""
    now = now or timezone.now()
    published = []
    due = Note.objects.filter(state=Note.State.SCHEDULED, scheduled_for__lte=now).values_list("pk", flat=True)
    for pk in list(due):
        with transaction.atomic():
            note = Note.objects.select_for_update().select_related("case").get(pk=pk)
            if note.state != Note.State.SCHEDULED or note.scheduled_for is None or note.scheduled_for > now:
                continue
            why = gate_refuses(note.case, now)
            if why and not note.override_reason:
                at = iso(note.scheduled_for)
                seen = note.case.events.filter(kind="note.schedule_refused", data__at=at).exists()
                if not seen:
                    record("note.schedule_refused", case=note.case, actor=SYSTEM, at=at, reason=why)
                continue
            if approved_review(note) is None:
                continue
            _publish(
                note,
                by=SYSTEM,
                summary="First publication",
                override_reason=note.override_reason if why else "",
                kind="note.published",
                at=now,
            )
            published.append(note.pk)
    return published


# --- After publication: late statements, corrections, withdrawal -------------------------------


def late_answer(participant: Participant) -> Revision | None:
    """A vendor's statement or statuses changed: if its case's note is published, (re)build the
    pending revision (the last published sections, the vendor table as it is now). Called at the
    end of the transaction that recorded the answer."""
    note = Note.objects.filter(case_id=participant.case_id, state=Note.State.PUBLISHED).first()
    if note is None:
        return None
    note = _locked(note)
    last = note.revisions.filter(state=Revision.State.PUBLISHED).order_by("-number").first()
    if last is None:
        return None
    note.revisions.filter(state=Revision.State.PENDING).update(state=Revision.State.DISCARDED)
    snapshot = build_snapshot(
        note.case,
        note,
        at=timezone.now(),
        first_published_at=note.first_published_at,
        sections=dict(last.snapshot["sections"]),
    )
    # The publication instant in the timeline is set again on approval; the rest stays verbatim.
    pending = Revision.objects.create(
        note=note,
        state=Revision.State.PENDING,
        snapshot=snapshot,
        change_summary=f"Late answer from {snapshot_name(snapshot, participant)}",
        search_text=search_text(snapshot),
    )
    record("note.pending", case=note.case, actor=SYSTEM, participant=participant, revision=pending.pk)
    if settings.AUTO_PUBLISH_LATE_STATEMENTS:
        return approve_pending(pending, by=SYSTEM)
    return pending


def snapshot_name(snapshot: Any, participant: Participant) -> str:
    key = f"p{participant.pk}"
    for vendor in snapshot["vendors"]:
        if vendor["key"] == key:
            return str(vendor["name"])
    return participant.alias


@transaction.atomic
def approve_pending(revision: Revision, *, by: Any) -> Revision:
    """A publisher publishes a pending revision as it is: the approval cannot change its text."""
    require_publisher(by)
    revision = Revision.objects.select_for_update().get(pk=revision.pk)
    note = _locked(revision.note)
    if revision.state != Revision.State.PENDING:
        raise RuleViolation("revision-not-pending", "This revision is not waiting for approval")
    if note.state != Note.State.PUBLISHED:
        raise RuleViolation("note-not-published", "The note is not published")
    now = timezone.now()
    number = _next_number(note)
    snapshot = dict(revision.snapshot)
    timeline = [t for t in snapshot["timeline"] if t["what"] != "publication"]
    snapshot["timeline"] = [*timeline, {"at": iso(now) or "", "what": "publication"}]
    revision.snapshot = snapshot
    revision.number = number
    revision.state = Revision.State.PUBLISHED
    revision.published_at = now
    revision.published_by = _user(by)
    revision.save()
    note.last_published_at = now
    note.save(update_fields=["last_published_at", "updated_at"])
    record(
        "note.pending_approved", case=note.case, actor=by, revision=number, summary=revision.change_summary
    )
    _public_changed()
    return revision


@transaction.atomic
def correct(note: Note, *, by: Any, summary: str) -> Revision:
    """Republish from the current draft as a new revision; the summary says what changed."""
    require_publisher(by)
    summary = (summary or "").strip()
    if not summary:
        raise InvalidInput("summary", "Say what the correction changes.")
    if len(summary) > 500:
        raise InvalidInput("summary", "At most 500 characters.")
    note = _locked(note)
    if note.state != Note.State.PUBLISHED:
        raise RuleViolation("note-not-published", "Only a published note can be corrected")
    return _publish(note, by=by, summary=summary, override_reason="", kind="note.corrected")


@transaction.atomic
def withdraw(note: Note, *, by: Any, reason: str) -> Note:
    """Withdraw a published note: the public site keeps a tombstone with the reason; every
    revision stays (readable to staff)."""
    require_publisher(by)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("reason", "Say why the note is withdrawn: the tombstone shows it.")
    if len(reason) > 2000:
        raise InvalidInput("reason", "At most 2,000 characters.")
    note = _locked(note)
    if note.state != Note.State.PUBLISHED:
        raise RuleViolation("note-not-published", "Only a published note can be withdrawn")
    note.state = Note.State.WITHDRAWN
    note.withdrawn_at = timezone.now()
    note.withdrawn_by = _user(by)
    note.withdrawn_reason = reason
    note.save()
    note.revisions.filter(state=Revision.State.PENDING).update(state=Revision.State.DISCARDED)
    record("note.withdrawn", case=note.case, actor=by, reason=reason)
    _public_changed()
    return note


# --- Sharing the draft with the vendors and the reporter ---------------------------------------


def draft_as_text(note: Note) -> str:
    from accord.publication.models import SECTIONS as names

    parts = [f"Draft Vulnerability Note for {note.case.label}: {note.case.title}", ""]
    # The credit stays out: the reporter's pseudonym is the coordinator's until publication.
    for name in (n for n in names if n != "credit"):
        text = getattr(note, name).strip()
        if text:
            parts += [f"## {name.capitalize()}", "", text, ""]
    parts.append("Reply in this thread with any comment before publication.")
    return "\n".join(parts)


@transaction.atomic
def share_draft(note: Note, *, by: Any) -> int:
    """Post the draft into the private thread of every vendor that accepted the embargo, and the
    reporter's: one bulk write. Returns how many threads got it."""
    from accord.conversation import actions as conversation
    from accord.conversation.models import Message, Thread

    require_analyst(by)
    note = _locked(note)
    case = note.case
    if note.state == Note.State.WITHDRAWN:
        raise RuleViolation("note-withdrawn", "This note was withdrawn")
    vendor_rows = list(
        case.participants.filter(
            kind=Participant.Kind.VENDOR, embargo_answer=Participant.EmbargoAnswer.ACCEPTED
        )
    )
    vendors = [p.pk for p in vendor_rows]
    threads = {t.participant_id: t for t in Thread.objects.filter(participant_id__in=vendors)}
    missing = [pk for pk in vendors if pk not in threads]
    Thread.objects.bulk_create(
        [Thread(kind=Thread.Kind.PRIVATE, case=case, participant_id=pk) for pk in missing]
    )
    targets = list(Thread.objects.filter(participant_id__in=vendors))
    reporter = case.participants.filter(kind=Participant.Kind.REPORTER).select_related("report").first()
    if reporter is not None:
        targets.append(conversation.private_thread(reporter))
    now = timezone.now()
    body = draft_as_text(note)
    Message.objects.bulk_create(
        [
            Message(thread=t, body=body, by_system=is_system(by), author=_user(by), created_at=now)
            for t in targets
        ]
    )
    Thread.objects.filter(pk__in=[t.pk for t in targets]).update(last_message_at=now)
    _announce(case, vendor_rows, reporter, body)
    note.shared_at = now
    note.save(update_fields=["shared_at", "updated_at"])
    record("note.shared", case=case, actor=by, threads=len(targets), draft=note.draft_number)
    return len(targets)


def _announce(case: Case, vendors: list[Participant], reporter: Participant | None, body: str) -> None:
    """Tell the vendors' members (one bulk notification, linking to each one's own private
    thread) and the reporter (at the address of their report) that the draft awaits them."""
    from django.urls import reverse

    from accord.accounts.models import User
    from accord.cases.actions.reports import follow_link
    from accord.conversation.announce import participant_readers
    from accord.mailgate import kinds
    from accord.notifications.send import notify, recipients_for

    readers = participant_readers(vendors)
    users = User.objects.filter(pk__in=list(readers), is_active=True).order_by("pk")
    link = reverse("cases:own_private", kwargs={"case": case.url_ref})
    text = f"A message from the coordinator:\n\n{body}\n"
    notify(
        case,
        recipients_for(users),
        neutral="The draft Vulnerability Note awaits your comments",
        link=link,
        full_text_for=lambda recipient: text,
    )
    report = reporter.report if reporter is not None else None
    if report is not None and not case.quiet:
        kinds.report_message(report, follow_link(report), full_text=text)


def share_due_drafts(now: dt.datetime | None = None) -> list[int]:
    """The scheduler: `draft_share_days` before the target date, share each unshared draft.
    Quiet (imported) cases get nothing."""
    now = now or timezone.now()
    days = int(policy.current("draft_share_days"))
    due = Note.objects.filter(
        shared_at__isnull=True,
        case__quiet=False,
        case__target_publication_at__isnull=False,
        case__target_publication_at__lte=now + dt.timedelta(days=days),
        state__in=[Note.State.DRAFT, Note.State.IN_REVIEW, Note.State.APPROVED, Note.State.SCHEDULED],
    ).values_list("pk", flat=True)
    shared = []
    for pk in list(due):
        note = Note.objects.get(pk=pk)
        share_draft(note, by=SYSTEM)
        shared.append(pk)
    return shared

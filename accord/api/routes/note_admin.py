"""The Vulnerability Note of a case, for analysts: the draft, its versions and their diff, the
review, publication (now or scheduled), pending revisions, corrections and withdrawal. Every
change goes through accord.publication.actions, as the pages do. Publisher-only steps answer
409 (publisher-only) to other analysts.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Router
from pydantic import BaseModel, ConfigDict, Field

from accord.accounts.models import User
from accord.api.auth import rule
from accord.api.schemas import Error, ReasonRequired
from accord.cases.access import access_case
from accord.lib.ids import MAX_ID
from accord.publication import actions
from accord.publication.models import SECTIONS, DraftVersion, Note, Review, Revision
from accord.publication.snapshot import iso
from accord.publication.views_staff import diff_sections

router = Router(tags=["notes (staff)"])

READ = {401: Error, 403: Error, 404: Error}
WRITE = {400: Error, 401: Error, 403: Error, 404: Error, 409: Error}


class SectionsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    overview: str | None = Field(default=None, max_length=actions.MAX_SECTION)
    description: str | None = Field(default=None, max_length=actions.MAX_SECTION)
    impact: str | None = Field(default=None, max_length=actions.MAX_SECTION)
    solution: str | None = Field(default=None, max_length=actions.MAX_SECTION)
    workarounds: str | None = Field(default=None, max_length=actions.MAX_SECTION)
    references: str | None = Field(default=None, max_length=actions.MAX_SECTION)
    credit: str | None = Field(default=None, max_length=actions.MAX_SECTION)
    summary: str = Field(default="", max_length=300, description="What changed, for the versions list.")


class DraftOut(BaseModel):
    case: str
    state: str
    draft_number: int
    sections: dict[str, str]
    scheduled_for: str | None
    shared_at: str | None
    first_published_at: str | None
    last_published_at: str | None
    withdrawn_reason: str
    approved: bool = Field(description="The latest draft has an approved review.")
    embargo_gate: str | None = Field(description="Why the embargo forbids publishing now, or null.")


class VersionOut(BaseModel):
    number: int
    summary: str
    saved_by: str | None
    saved_at: str | None
    sections: dict[str, str]


class VersionsOut(BaseModel):
    items: list[VersionOut]
    next: str | None = None


class DiffItem(BaseModel):
    section: str
    diff: str = Field(description="A unified diff, HTML-escaped, with <span> marks per line.")


class DiffOut(BaseModel):
    a: int
    b: int
    sections: list[DiffItem]


class ReviewOut(BaseModel):
    id: int
    draft: int
    state: str
    requested_at: str | None
    decided_at: str | None


class CommentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: str = Field(min_length=1, max_length=20_000)
    section: str = Field(default="", description=f"One of {', '.join(SECTIONS)}, or empty.")


class ChangesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(default="", max_length=2000)


class PublishIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    summary: str = Field(default="", max_length=500)
    override_reason: str = Field(
        default="", max_length=2000, description="Required while the embargo is in force (publishers)."
    )


class ScheduleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    at: dt.datetime = Field(description="The exact instant, RFC 3339 with its offset.")
    override_reason: str = Field(default="", max_length=2000)


class SummaryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    summary: str = Field(min_length=1, max_length=500)


class RevisionOut(BaseModel):
    id: int
    number: int | None
    state: str
    change_summary: str
    published_at: str | None
    snapshot: dict[str, Any]


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _note(request: HttpRequest, case: str, need: str = "read") -> Note:
    standing = access_case(_user(request), case, need=need)
    if not standing.staff:
        raise Http404("No such case.")
    return actions.note_for(standing.case, by=_user(request))


def _draft_out(note: Note) -> DraftOut:
    note.refresh_from_db()
    return DraftOut(
        case=note.case.label,
        state=note.state,
        draft_number=note.draft_number,
        sections=note.sections(),
        scheduled_for=iso(note.scheduled_for),
        shared_at=iso(note.shared_at),
        first_published_at=iso(note.first_published_at),
        last_published_at=iso(note.last_published_at),
        withdrawn_reason=note.withdrawn_reason,
        approved=actions.approved_review(note) is not None,
        embargo_gate=actions.gate_refuses(note.case, dt.datetime.now(dt.UTC)),
    )


def _review_out(review: Review) -> ReviewOut:
    return ReviewOut(
        id=review.pk,
        draft=review.draft.number,
        state=review.state,
        requested_at=iso(review.requested_at),
        decided_at=iso(review.decided_at),
    )


def _revision_out(revision: Revision) -> RevisionOut:
    return RevisionOut(
        id=revision.pk,
        number=revision.number,
        state=revision.state,
        change_summary=revision.change_summary,
        published_at=iso(revision.published_at),
        snapshot=revision.snapshot,
    )


def _review(note: Note, review_id: int) -> Review:
    found = (
        Review.objects.filter(note=note, pk=review_id).select_related("draft").first()
        if 0 < review_id <= MAX_ID
        else None
    )
    if found is None:
        raise Http404("No such review.")
    return found


@router.get(
    "/cases/{case}/note",
    response={200: DraftOut, **READ},
    summary="The case's note: its draft and state",
    auth=rule("analyst"),
)
def get_note_draft(request: HttpRequest, case: str) -> DraftOut:
    return _draft_out(_note(request, case))


@router.put(
    "/cases/{case}/note",
    response={200: DraftOut, **WRITE},
    summary="Save a new draft version",
    description="Sections left out keep their text. A saved change needs a new review.",
    auth=rule("analyst"),
)
def put_note(request: HttpRequest, case: str, payload: SectionsIn) -> DraftOut:
    note = _note(request, case, "write")
    sections = {k: v for k, v in payload.model_dump().items() if k in SECTIONS and v is not None}
    actions.save_draft(note, sections, summary=payload.summary, by=_user(request))
    return _draft_out(note)


@router.get(
    "/cases/{case}/note/versions",
    response={200: VersionsOut, **READ},
    summary="Every saved draft version, newest first",
    auth=rule("analyst"),
)
def get_versions(request: HttpRequest, case: str) -> VersionsOut:
    note = _note(request, case)
    drafts = DraftVersion.objects.filter(note=note).select_related("saved_by").order_by("-number")[:500]
    return VersionsOut(
        items=[
            VersionOut(
                number=d.number,
                summary=d.summary,
                saved_by=d.saved_by.email if d.saved_by else None,
                saved_at=iso(d.saved_at),
                sections=d.sections,
            )
            for d in drafts
        ]
    )


@router.get(
    "/cases/{case}/note/diff",
    response={200: DiffOut, **READ, 400: Error},
    summary="The difference between two draft versions, per section",
    auth=rule("analyst"),
)
def get_diff(request: HttpRequest, case: str, a: int, b: int) -> DiffOut:
    note = _note(request, case)
    found = {d.number: d for d in DraftVersion.objects.filter(note=note, number__in=[a, b])}
    if a not in found or b not in found:
        raise Http404("No such version.")
    return DiffOut(
        a=a,
        b=b,
        sections=[
            DiffItem(section=n, diff=str(t)) for n, t in diff_sections(found[a].sections, found[b].sections)
        ],
    )


@router.post(
    "/cases/{case}/note/reviews",
    response={200: ReviewOut, **WRITE},
    summary="Request a review of the latest draft",
    auth=rule("analyst"),
)
def post_review(request: HttpRequest, case: str) -> ReviewOut:
    return _review_out(actions.request_review(_note(request, case, "write"), by=_user(request)))


@router.post(
    "/cases/{case}/note/reviews/{review_id}/comments",
    response={200: ReviewOut, **WRITE},
    summary="Comment on a review",
    auth=rule("analyst"),
)
def post_comment(request: HttpRequest, case: str, review_id: int, payload: CommentIn) -> ReviewOut:
    review = _review(_note(request, case, "write"), review_id)
    actions.comment_review(review, payload.body, payload.section, by=_user(request))
    return _review_out(review)


@router.post(
    "/cases/{case}/note/reviews/{review_id}/approve",
    response={200: ReviewOut, **WRITE},
    summary="Approve the reviewed draft (publishers)",
    auth=rule("analyst"),
)
def post_approve(request: HttpRequest, case: str, review_id: int) -> ReviewOut:
    review = _review(_note(request, case, "write"), review_id)
    return _review_out(actions.approve(review, by=_user(request)))


@router.post(
    "/cases/{case}/note/reviews/{review_id}/changes",
    response={200: ReviewOut, **WRITE},
    summary="Request changes to the reviewed draft (publishers)",
    auth=rule("analyst"),
)
def post_changes(request: HttpRequest, case: str, review_id: int, payload: ChangesIn) -> ReviewOut:
    review = _review(_note(request, case, "write"), review_id)
    return _review_out(actions.request_changes(review, by=_user(request), reason=payload.reason))


@router.post(
    "/cases/{case}/note/publish",
    response={200: RevisionOut, **WRITE},
    summary="Publish the approved latest draft now (publishers)",
    description="Refused with 409 without an approved review of the latest draft (note-not-approved) "
    "and while an embargo is in force that ends later (embargo-gate), unless `override_reason` is given.",
    auth=rule("analyst"),
)
def post_publish(request: HttpRequest, case: str, payload: PublishIn) -> RevisionOut:
    note = _note(request, case, "write")
    revision = actions.publish_now(
        note, by=_user(request), summary=payload.summary, override_reason=payload.override_reason
    )
    return _revision_out(revision)


@router.put(
    "/cases/{case}/note/schedule",
    response={200: DraftOut, **WRITE},
    summary="Schedule the publication at an exact instant (publishers)",
    auth=rule("analyst"),
)
def put_schedule(request: HttpRequest, case: str, payload: ScheduleIn) -> DraftOut:
    note = _note(request, case, "write")
    actions.schedule(note, payload.at, by=_user(request), override_reason=payload.override_reason)
    return _draft_out(note)


@router.delete(
    "/cases/{case}/note/schedule",
    response={200: DraftOut, **WRITE},
    summary="Cancel the scheduled publication (publishers)",
    auth=rule("analyst"),
)
def delete_schedule(request: HttpRequest, case: str) -> DraftOut:
    note = _note(request, case, "write")
    actions.cancel_schedule(note, by=_user(request))
    return _draft_out(note)


@router.post(
    "/cases/{case}/note/share",
    response={200: DraftOut, **WRITE},
    summary="Share the draft now with the vendors that accepted the embargo and the reporter",
    auth=rule("analyst"),
)
def post_share(request: HttpRequest, case: str) -> DraftOut:
    note = _note(request, case, "write")
    actions.share_draft(note, by=_user(request))
    return _draft_out(note)


@router.get(
    "/cases/{case}/note/revisions",
    response={200: list[RevisionOut], **READ},
    summary="Every revision: published, pending and discarded",
    auth=rule("analyst"),
)
def get_revisions(request: HttpRequest, case: str) -> list[RevisionOut]:
    note = _note(request, case)
    return [_revision_out(r) for r in note.revisions.order_by("-id")[:500]]


@router.post(
    "/cases/{case}/note/revisions/{revision_id}/approve",
    response={200: RevisionOut, **WRITE},
    summary="Publish a pending revision as it is (publishers)",
    auth=rule("analyst"),
)
def post_approve_pending(request: HttpRequest, case: str, revision_id: int) -> RevisionOut:
    note = _note(request, case, "write")
    revision = note.revisions.filter(pk=revision_id).first() if 0 < revision_id <= MAX_ID else None
    if revision is None:
        raise Http404("No such revision.")
    return _revision_out(actions.approve_pending(revision, by=_user(request)))


@router.post(
    "/cases/{case}/note/correct",
    response={200: RevisionOut, **WRITE},
    summary="Publish the current draft as a correction (publishers)",
    auth=rule("analyst"),
)
def post_correct(request: HttpRequest, case: str, payload: SummaryIn) -> RevisionOut:
    note = _note(request, case, "write")
    return _revision_out(actions.correct(note, by=_user(request), summary=payload.summary))


@router.post(
    "/cases/{case}/note/withdraw",
    response={200: DraftOut, **WRITE},
    summary="Withdraw the published note (publishers): a public tombstone with the reason",
    auth=rule("analyst"),
)
def post_withdraw(request: HttpRequest, case: str, payload: ReasonRequired) -> DraftOut:
    note = _note(request, case, "write")
    actions.withdraw(note, by=_user(request), reason=payload.reason)
    return _draft_out(note)

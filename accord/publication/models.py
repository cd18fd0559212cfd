"""Vulnerability Notes: a draft, then immutable published revisions (process.md "Publication").

- `Note`: one per case; its draft sections (Markdown), its workflow state and its schedule.
- `DraftVersion`: every saved draft, so that any two versions can be compared and the audit log
  says who changed what.
- `Review` and `ReviewComment`: a requested review, its comments and the publisher's approval.
- `Revision`: a published (or pending) snapshot (see snapshot_types.Snapshot). A published
  revision never changes; a later change is a new revision with a change summary.

The note's audit log is the case's events of kind "note.*" (accord.cases.events).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

SECTIONS = ("overview", "description", "impact", "solution", "workarounds", "references", "credit")


class Note(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", "draft"
        IN_REVIEW = "in_review", "in review"
        APPROVED = "approved", "approved"
        SCHEDULED = "scheduled", "scheduled"
        PUBLISHED = "published", "published"
        WITHDRAWN = "withdrawn", "withdrawn"

    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="note")
    overview = models.TextField(blank=True)
    description = models.TextField(blank=True)
    impact = models.TextField(blank=True)
    solution = models.TextField(blank=True)
    workarounds = models.TextField(blank=True)
    references = models.TextField(blank=True)
    credit = models.TextField(blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT, db_index=True)
    draft_number = models.PositiveIntegerField(default=0, help_text="The latest DraftVersion's number.")
    # Scheduled publication: the scheduler publishes at this exact instant.
    scheduled_for = models.DateTimeField(null=True, blank=True, db_index=True)
    scheduled_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # A publisher may override the embargo gate, with a recorded reason.
    override_reason = models.TextField(blank=True)
    # When the draft was shared with the vendors and the reporter (ACCORD_DRAFT_SHARE_DAYS).
    shared_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_reason = models.TextField(blank=True)
    withdrawn_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    first_published_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_published_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-last_published_at", "-id")

    def __str__(self) -> str:
        return f"note of case {self.case_id} ({self.state})"

    def sections(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in SECTIONS}


class DraftVersion(models.Model):
    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="drafts")
    number = models.PositiveIntegerField()
    sections = models.JSONField(help_text="The seven Markdown sections as saved.")
    summary = models.CharField(max_length=300, blank=True)
    saved_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    saved_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("note", "number")
        constraints = [models.UniqueConstraint(fields=["note", "number"], name="one_draft_number")]

    def __str__(self) -> str:
        return f"draft {self.number} of {self.note_id}"


class Review(models.Model):
    class State(models.TextChoices):
        OPEN = "open", "open"
        APPROVED = "approved", "approved"
        CHANGES = "changes", "changes requested"
        WITHDRAWN = "withdrawn", "withdrawn"

    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="reviews")
    draft = models.ForeignKey(DraftVersion, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN, db_index=True)
    requested_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("note", "-requested_at")

    def __str__(self) -> str:
        return f"review of {self.note_id} ({self.state})"


class ReviewComment(models.Model):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    section = models.CharField(max_length=20, blank=True, help_text="The section it is about, if any.")
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("review", "created_at", "id")

    def __str__(self) -> str:
        return f"comment on review {self.review_id}"


class Revision(models.Model):
    class State(models.TextChoices):
        PUBLISHED = "published", "published"
        PENDING = "pending", "waiting for a publisher's approval"  # a late statement (process.md)
        DISCARDED = "discarded", "discarded"  # a pending revision a later one replaced

    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField(null=True, blank=True, help_text="Set when published: 1, 2, …")
    state = models.CharField(max_length=10, choices=State.choices, db_index=True)
    snapshot = models.JSONField(help_text="snapshot_types.Snapshot; never changed once published.")
    change_summary = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True, db_index=True)
    published_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Full-text search over published revisions only: the snapshot's words, flattened.
    search_text = models.TextField(blank=True)

    class Meta:
        ordering = ("note", "number", "id")
        constraints = [
            models.UniqueConstraint(
                fields=["note", "number"],
                condition=models.Q(number__isnull=False),
                name="one_revision_number",
            )
        ]

    def __str__(self) -> str:
        return f"revision {self.number or '(pending)'} of {self.note_id}"

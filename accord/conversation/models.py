"""Where talking lives: threads of messages on a case (or on a report before it is a case).

- the case-wide discussion (one per case), for every participant past the embargo gate;
- a private thread between the coordinators and each participant (a vendor organisation, or
  the reporter: the reporter's thread starts on the report and follows it into the case);
- topic threads an analyst opens for a chosen subset of participants.

Who reads which thread is decided by the gate (accord.cases.access.threads_visible); how a
message appears (its author, its mentions) by the presenter (accord.cases.presenter).
A request for information is a message that stays open until answered or closed.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

User = settings.AUTH_USER_MODEL


class Thread(models.Model):
    class Kind(models.TextChoices):
        CASE = "case", "case discussion"
        PRIVATE = "private", "private"
        TOPIC = "topic", "topic"

    kind = models.CharField(max_length=8, choices=Kind.choices)
    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, null=True, blank=True, related_name="threads"
    )
    # A private thread's other side: a participant of the case, or (before there is a case)
    # the report whose reporter it is.
    participant = models.OneToOneField(
        "cases.Participant", on_delete=models.CASCADE, null=True, blank=True, related_name="private_thread"
    )
    report = models.OneToOneField(
        "cases.Report", on_delete=models.CASCADE, null=True, blank=True, related_name="thread"
    )
    title = models.CharField(max_length=200, blank=True)
    members: models.ManyToManyField = models.ManyToManyField(
        "cases.Participant", blank=True, related_name="topic_threads"
    )
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    last_message_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ("-last_message_at", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(kind="case"), name="one_discussion_per_case"
            ),
            models.CheckConstraint(
                condition=Q(kind="private") | (Q(participant__isnull=True) & Q(report__isnull=True)),
                name="only_private_threads_have_a_side",
            ),
        ]
        indexes = [models.Index(fields=["case", "kind", "-last_message_at"])]

    def __str__(self) -> str:
        return f"{self.kind} thread {self.pk}"

    @property
    def api_ref(self) -> str:
        """How the API names it: "case", "private" or the topic's id."""
        return str(self.pk) if self.kind == self.Kind.TOPIC else self.kind


class Message(models.Model):
    class Request(models.TextChoices):
        NONE = "", "not a request"
        OPEN = "open", "open"
        ANSWERED = "answered", "answered"
        CLOSED = "closed", "closed"

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # The participant the author spoke for; null when the coordinator spoke.
    author_participant = models.ForeignKey(
        "cases.Participant", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    from_reporter = models.BooleanField(default=False)
    by_system = models.BooleanField(default=False)
    body = models.TextField(help_text="Markdown; mentions stored as @[p:ID] and @[u:ID].")
    reply_to = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="replies"
    )
    request = models.CharField(max_length=8, choices=Request.choices, blank=True, default="", db_index=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ("created_at", "id")
        indexes = [models.Index(fields=["thread", "created_at", "id"])]

    def __str__(self) -> str:
        return f"message {self.pk} in {self.thread_id}"

    @property
    def from_coordinator(self) -> bool:
        return self.author_participant_id is None and not self.from_reporter

    @property
    def is_request(self) -> bool:
        return bool(self.request)


class Mention(models.Model):
    """Someone a message names with @, to notify them; the body holds the token."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="mentions")
    participant = models.ForeignKey(
        "cases.Participant", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    user = models.ForeignKey(User, on_delete=models.CASCADE, null=True, blank=True, related_name="mentions")

    def __str__(self) -> str:
        return f"mention in {self.message_id}"


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="messages/%Y/%m/")
    name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name


class ThreadRead(models.Model):
    """How far a reader has read a thread: a user, or a reporter without an account (by report)."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(User, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    report = models.ForeignKey(
        "cases.Report", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    read_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["thread", "user"], condition=Q(user__isnull=False), name="one_read_per_user"
            ),
            models.UniqueConstraint(
                fields=["thread", "report"], condition=Q(report__isnull=False), name="one_read_per_reporter"
            ),
        ]

    def __str__(self) -> str:
        return f"read {self.thread_id} at {self.read_at}"

"""Reading the conversation: thread lists with unread counts, message pages, what is new.

Every list here has a constant number of queries whatever the size of the case (2,000
participants, 20,000 messages): counts are subqueries, authors and mentions are joined or
prefetched per page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Case as DbCase
from django.db.models import (
    Count,
    DateTimeField,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from accord.cases.presenter import Viewer, mail_rows
from accord.conversation.models import Mention, Message, Thread, ThreadRead

MESSAGES_PER_PAGE = 50
THREADS_PER_PAGE = 50
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Reader:
    """Whose read markers count: a signed-in user, or a reporter without an account (by report)."""

    user: Any = None
    report: Any = None

    def markers(self) -> QuerySet[ThreadRead]:
        if getattr(self.user, "is_authenticated", False):
            return ThreadRead.objects.filter(user=self.user)
        if self.report is not None:
            return ThreadRead.objects.filter(report=self.report, user__isnull=True)
        return ThreadRead.objects.none()

    def not_mine(self) -> Q:
        """Messages this reader did not write (one's own messages are never unread)."""
        if getattr(self.user, "is_authenticated", False):
            return ~Q(author=self.user)
        if self.report is not None:
            return ~(Q(from_reporter=True) & Q(author__isnull=True))
        return Q()


def message_rows() -> QuerySet[Message]:
    """Messages with what the presenter reads, for one page at a time."""
    return Message.objects.select_related(
        "author", "author_participant__organization", "author_participant__user"
    ).prefetch_related(
        Prefetch(
            "mentions",
            queryset=Mention.objects.select_related("participant__organization", "participant__user", "user"),
        ),
        "attachments",
        Prefetch("inbound_mail", queryset=mail_rows()),
    )


def _read_at(reader: Reader) -> Subquery:
    return Subquery(reader.markers().filter(thread=OuterRef("pk")).values("read_at")[:1])


def with_unread(threads: QuerySet[Thread], reader: Reader) -> QuerySet[Thread]:
    """Each thread with `read_at` (the reader's marker) and `unread` (messages since, not theirs)."""
    since = Coalesce(OuterRef("read_at"), Value(_EPOCH), output_field=DateTimeField())
    unread = (
        Message.objects.filter(thread=OuterRef("pk"), created_at__gt=since)
        .filter(reader.not_mine())
        .order_by()
        .values("thread")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return threads.annotate(read_at=_read_at(reader)).annotate(
        unread=Coalesce(Subquery(unread, output_field=IntegerField()), Value(0)),
        message_count=Coalesce(
            Subquery(
                Message.objects.filter(thread=OuterRef("pk"))
                .order_by()
                .values("thread")
                .annotate(n=Count("pk"))
                .values("n"),
                output_field=IntegerField(),
            ),
            Value(0),
        ),
    )


def thread_list(threads: QuerySet[Thread], reader: Reader) -> QuerySet[Thread]:
    """Threads for a list: the case discussion first, then the latest active."""
    rows = with_unread(threads, reader).select_related(
        "participant__organization", "participant__user", "report"
    )
    first = DbCase(When(kind=Thread.Kind.CASE, then=Value(0)), default=Value(1), output_field=IntegerField())
    return rows.order_by(first, F("last_message_at").desc(nulls_last=True), "-id")


def new_messages(threads: QuerySet[Thread], reader: Reader) -> QuerySet[Message]:
    """Messages in these threads the reader has not read yet (oldest first)."""
    marker = Subquery(reader.markers().filter(thread=OuterRef("thread")).values("read_at")[:1])
    return (
        message_rows()
        .filter(thread__in=threads.values("pk"))
        .filter(reader.not_mine())
        .annotate(read_at=marker)
        .filter(Q(read_at__isnull=True) | Q(created_at__gt=F("read_at")))
        .select_related("thread__case", "thread__participant__organization", "thread__participant__user")
        .order_by("created_at", "id")
    )


def thread_label(thread: Thread, viewer: Viewer) -> str:
    """What a reader calls a thread."""
    if thread.kind == Thread.Kind.CASE:
        return "Case discussion"
    if thread.kind == Thread.Kind.TOPIC:
        return thread.title
    if viewer.staff:
        if thread.participant is not None:
            return f"Private: {viewer.long_label(thread.participant)}"
        return "Private: the reporter"
    return "Private: you and the coordinators"


def report_messages(report: Any, viewer: Viewer) -> tuple[Thread | None, list[Any]]:
    """The reporter's private thread of a report and its messages as `viewer` may see them."""
    thread = Thread.objects.filter(report=report).first()
    if thread is None:
        return None, []
    rows = list(message_rows().filter(thread=thread).order_by("created_at", "id"))
    return thread, [viewer.message(m) for m in rows]


@dataclass(frozen=True)
class RequestRow:
    message: Message
    label: str  # who asked, or whom the coordinator asked
    excerpt: str
    url: str


def request_rows(rows: QuerySet[Message], viewer: Viewer, limit: int = 100) -> list[RequestRow]:
    """Requests for information for a list (the dashboard, the vendors tab), oldest first."""
    from django.urls import reverse
    from django.utils.text import Truncator

    found = list(
        rows.select_related(
            "thread__case", "thread__report", "thread__participant__organization", "thread__participant__user"
        ).order_by("created_at", "id")[:limit]
    )
    out = []
    for m in found:
        thread = m.thread
        if thread.case_id is not None:
            url = reverse("cases:thread", kwargs={"case": thread.case.url_ref, "thread_id": thread.pk})  # type: ignore[union-attr]
            where = thread.case.label  # type: ignore[union-attr]
        else:
            url = reverse("cases:report_detail", kwargs={"report_id": thread.report_id}) + "#notes"
            where = f"Report {thread.report_id}"
        who = viewer.label(thread.participant) if thread.participant is not None else "the reporter"
        out.append(
            RequestRow(m, f"{where}: {who}", Truncator(" ".join(m.body.split())).chars(140), f"{url}#m{m.pk}")
        )
    return out


def unread_from_coordinator(participant_ids: list[int], user: Any) -> dict[int, int]:
    """For a vendor's home: per participation, the coordinator's messages in its private thread
    that `user` has not read yet (one query)."""
    marker = Subquery(ThreadRead.objects.filter(thread=OuterRef("thread"), user=user).values("read_at")[:1])
    rows = (
        Message.objects.filter(
            thread__participant__in=participant_ids, author_participant__isnull=True, from_reporter=False
        )
        .annotate(read_at=marker)
        .filter(Q(read_at__isnull=True) | Q(created_at__gt=F("read_at")))
        .order_by()
        .values("thread__participant")
        .annotate(n=Count("pk"))
        .values_list("thread__participant", "n")
    )
    return dict(rows)


def reply_target(thread: Thread, value: Any) -> Message | None:
    """The message of `thread` a reply answers (None when none is named)."""
    from accord.lib.errors import InvalidInput
    from accord.lib.ids import parse_id

    if value in (None, ""):
        return None
    number = parse_id(value)
    found = thread.messages.filter(pk=number).first() if number is not None else None
    if found is None:
        raise InvalidInput("reply_to", "No such message in this thread.")
    return found


def visible_file(standing: Any, file_id: Any) -> Any:
    """A message's file in a thread the standing may read, or the one 404."""
    from django.http import Http404

    from accord.cases.access import threads_visible
    from accord.conversation.models import Attachment
    from accord.lib.ids import parse_id

    number = parse_id(file_id)
    found = (
        Attachment.objects.filter(pk=number, message__thread__in=threads_visible(standing)).first()
        if number is not None
        else None
    )
    if found is None:
        raise Http404("No such file.")
    return found

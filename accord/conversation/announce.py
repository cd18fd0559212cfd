"""Telling people that a message awaits them. Mail never carries the message in plaintext."""

from __future__ import annotations

from typing import TYPE_CHECKING

from accord.cases import report_mails
from accord.conversation.models import Message

if TYPE_CHECKING:
    from accord.conversation.actions import Speaker


def new_message(message: Message, speaker: Speaker) -> None:
    """Called inside the posting transaction; mail leaves once it commits."""
    thread = message.thread
    if thread.report_id and speaker.staff:
        from accord.cases.actions.reports import follow_link

        report_mails.report_message(thread.report, follow_link(thread.report))  # type: ignore[arg-type]

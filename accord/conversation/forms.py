from __future__ import annotations

from django import forms

from accord.cases.forms import TEXTAREA, MultipleFileField

MENTION_HELP = (
    "Markdown works. Mention an organisation as @[its name or alias] and a person as @their-address; "
    "they are told."
)


class MessageForm(forms.Form):
    body = forms.CharField(label="Message", widget=TEXTAREA, max_length=50_000, help_text=MENTION_HELP)
    attachments = MultipleFileField(
        label="Attach files",
        required=False,
        help_text="Up to 5 files, each within the size limit. Readers of this thread can download them.",
    )
    reply_to = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)


class ReporterMessageForm(MessageForm):
    """The reporter's form on the follow page: no one to mention there but the coordinators."""

    body = forms.CharField(
        label="Message",
        widget=TEXTAREA,
        max_length=50_000,
        help_text="The coordinator's analysts read it. Markdown works: put code between two lines of ```.",
    )


class AnalystMessageForm(MessageForm):
    request = forms.BooleanField(
        label="This is a request for information",
        required=False,
        help_text="It shows as open on the dashboard until it is answered or you close it.",
    )


class TopicForm(forms.Form):
    title = forms.CharField(
        label="Title", max_length=200, help_text="For example a vulnerability or a product."
    )
    members = forms.MultipleChoiceField(
        label="Participants", help_text="Only they and the coordinators read the topic."
    )

    def __init__(self, *args, choices: list[tuple[str, str]] = (), **kwargs):  # type: ignore[assignment]
        super().__init__(*args, **kwargs)
        self.fields["members"].choices = choices  # type: ignore[attr-defined]

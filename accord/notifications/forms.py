from __future__ import annotations

from django import forms

from accord.accounts.models import User


class NotifyModeForm(forms.Form):
    notify_mode = forms.ChoiceField(
        label="Mail me about new things in my cases",
        choices=[
            (User.NotifyMode.IMMEDIATE, "Immediately: one mail for each new item"),
            (User.NotifyMode.DIGEST, "Once a day: one digest with everything new"),
            (User.NotifyMode.NONE, "Never: I look for new items myself"),
        ],
        widget=forms.RadioSelect,
        help_text="Mail says only that something new awaits, with a link; it carries the full text "
        "only encrypted, to your organisation's OpenPGP key. Mute single cases on their overview.",
    )

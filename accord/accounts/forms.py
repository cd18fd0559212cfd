from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.password_validation import password_validators_help_text_html
from django.urls import reverse

from accord.accounts.models import Membership
from accord.lib.time import timezone_names


class LoginForm(forms.Form):
    # Named "username" because django-axes throttles on that field.
    username = forms.EmailField(label="Email", widget=forms.EmailInput(attrs={"autocomplete": "username"}))
    password = forms.CharField(
        label="Password", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Authentication code",
        max_length=32,
        help_text="The 6-digit code from your authenticator app, or one of your recovery codes.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


def _zone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(timezone_names())]


class ProfileForm(forms.Form):
    name = forms.CharField(label="Name", max_length=200, required=False)
    timezone = forms.ChoiceField(
        label="Time zone",
        help_text="Pages show every instant in UTC and in this zone. Until you choose one, "
        "they use your browser's zone.",
        choices=_zone_choices,
        required=False,
    )

    def __init__(self, *args: Any, browser_zone: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        follow = (
            f"Not chosen: follow my browser ({browser_zone} now)"
            if browser_zone
            else ("Not chosen: follow my browser (UTC until it tells us its zone)")
        )
        field = self.fields["timezone"]
        field.choices = [("", follow), *_zone_choices()]  # type: ignore[attr-defined]


class TokenForm(forms.Form):
    name = forms.CharField(
        label="Token name", max_length=100, help_text="What the token is for, e.g. 'PSIRT sync'."
    )


class InviteForm(forms.Form):
    email = forms.EmailField(label="Email address")
    role = forms.ChoiceField(label="Role", choices=Membership.Role.choices)


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=Membership.Role.choices)


class AcceptInvitationForm(forms.Form):
    name = forms.CharField(label="Your name", max_length=200, required=False)
    password = forms.CharField(
        label="Choose a password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validators_help_text_html(),
    )


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's password reset, its mail sent as Accord's `password_reset` kind (accord.mailgate.kinds)."""

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        from accord.mailgate import kinds

        path = reverse(
            "accounts:password_reset_confirm", kwargs={"uidb64": context["uid"], "token": context["token"]}
        )
        kinds.password_reset(to_email, settings.SITE_URL + path)

"""Forms of the vendor directory. They only shape input; the actions check the rules."""

from __future__ import annotations

from typing import Any

from django import forms

from accord.vendors.models import Contact

YES_NO_ANY = [("", "any"), ("yes", "yes"), ("no", "no")]


def yes_no(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


class DirectorySearchForm(forms.Form):
    q = forms.CharField(
        label="Search",
        required=False,
        max_length=200,
        help_text="Name, contact email, domain or key fingerprint.",
    )
    has_key = forms.ChoiceField(label="Has a key", choices=YES_NO_ANY, required=False)
    require_encryption = forms.ChoiceField(label="Requires encryption", choices=YES_NO_ANY, required=False)
    pending = forms.ChoiceField(label="Pending changes", choices=YES_NO_ANY, required=False)


class ProfileForm(forms.Form):
    website = forms.CharField(label="Website", required=False, max_length=500)
    security_txt_url = forms.CharField(
        label="security.txt URL",
        required=False,
        max_length=500,
        help_text="Such as https://example.com/.well-known/security.txt",
    )
    phones = forms.CharField(label="Phones", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    tracking_prefix = forms.CharField(
        label="Tracking id prefix",
        required=False,
        max_length=32,
        help_text="The prefix of the vendor's own tracking ids, such as PSIRT-.",
    )
    require_encryption = forms.BooleanField(
        label="Require encryption",
        required=False,
        help_text="Mail to this vendor must be encrypted to one of its keys.",
    )
    notes = forms.CharField(
        label="Notes (coordinator staff only)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Never shown to the vendor.",
    )

    def __init__(self, *args: Any, analyst: bool = True, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if not analyst:
            del self.fields["notes"]


class VendorCreateForm(ProfileForm):
    name = forms.CharField(label="Name", max_length=200)
    field_order = ["name", "website", "security_txt_url", "phones", "tracking_prefix", "require_encryption"]


class ContactForm(forms.Form):
    email = forms.CharField(label="Email address", max_length=254)
    name = forms.CharField(label="Name", required=False, max_length=200)
    role = forms.ChoiceField(
        label="Role",
        choices=Contact.Role.choices,
        initial=Contact.Role.TO,
        help_text="Notifications go to every “to” and “cc” contact.",
    )


class KeyForm(forms.Form):
    armored = forms.CharField(
        label="Armoured public key",
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        help_text="-----BEGIN PGP PUBLIC KEY BLOCK----- … (gpg --armor --export FINGERPRINT)",
    )
    # A plain file input: the clearable one sends False for its "clear" box, which is no file.
    file = forms.FileField(label="Or a key file", required=False, widget=forms.FileInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload = data.get("file")
        if upload is not None:
            if upload.size > 1024 * 1024:
                raise forms.ValidationError("A key file has at most 1 MiB.")
            data["key"] = upload.read()
        elif (data.get("armored") or "").strip():
            data["key"] = data["armored"]
        else:
            raise forms.ValidationError("Paste an armoured public key or choose a key file.")
        return data


class ImportForm(forms.Form):
    file = forms.FileField(label="Directory file (.csv or .json)")
    dry_run = forms.BooleanField(
        label="Check only (import nothing)", required=False, help_text="Report problems without importing."
    )


class DiscoverForm(forms.Form):
    domain = forms.CharField(
        label="Domain", max_length=300, help_text="Such as example.com: Accord reads its security.txt."
    )

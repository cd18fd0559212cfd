"""The public disclosure policy page, and its editor for coordinator admins."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accord.cases import policy
from accord.cases.forms import PolicyForm
from accord.cases.views.common import add_error
from accord.core.access import access
from accord.lib import markdown
from accord.lib.errors import InvalidInput, RuleViolation
from accord.mailgate import coordinator_key

EDITABLE = ("disclosure_days", "exit_embargo_on_attacks", "draft_share_days", "page")
PLACEHOLDERS = ("disclosure_days", "draft_share_days")


def fill_in(text: str, values: dict[str, Any]) -> str:
    """Put the live numbers into the page. Only the named placeholders: other braces stay."""
    for name in PLACEHOLDERS:
        text = text.replace("{" + name + "}", str(values[name]))
    return text


@access("public")
def policy_page(request: HttpRequest) -> HttpResponse:
    values = policy.snapshot()
    page = markdown.render(fill_in(values["page"], values), shift_headings=1)
    key = coordinator_key.public_key()
    fingerprint = (
        " ".join(key.fingerprint[i : i + 4] for i in range(0, len(key.fingerprint), 4)) if key else ""
    )
    context = {"values": values, "page": page, "key": key, "fingerprint": fingerprint}
    context["contact_email"] = settings.DEFAULT_FROM_EMAIL
    return render(request, "cases/policy.html", context)


@access("coordinator-admin")
def policy_edit(request: HttpRequest) -> HttpResponse:
    values = policy.snapshot()
    form = PolicyForm(request.POST or None, initial={name: values[name] for name in EDITABLE})
    if request.method == "POST" and form.is_valid():
        changed = [name for name in EDITABLE if form.cleaned_data[name] != values[name]]
        try:
            with transaction.atomic():  # all the changes, or none
                for name in changed:
                    policy.set_policy(name, form.cleaned_data[name], by=request.user)
        except (InvalidInput, RuleViolation) as exc:
            add_error(form, exc)
        else:
            if changed:
                messages.success(
                    request, "The policy is saved. It applies to cases first contacted from now on."
                )
            else:
                messages.info(request, "Nothing changed.")
            return redirect("cases:policy_edit")
    status = 400 if request.method == "POST" else 200
    preview = markdown.render(fill_in(values["page"], values), shift_headings=1)
    return render(
        request,
        "cases/policy_edit.html",
        {"form": form, "history": policy.history(), "values": values, "preview": preview},
        status=status,
    )

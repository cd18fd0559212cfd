"""Confirmation pages for irreversible actions (issue 8): say plainly what will happen, ask for
the reason, and only then act. No JavaScript: a GET shows the page, its POST does the action.

The page's form carries `confirm=yes`. A POST without it (an older inline form, a bookmarked
request) never acts: it shows the confirmation page, with the reason it brought filled in.
The action itself requires the reason (accord.lib.reasons), so the API is held to it too;
its refusal is shown on this page (400). A refusal by a process rule goes back to the
object's page with the rule named (post/redirect/get).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accord.lib.errors import InvalidInput, RuleViolation
from accord.lib.reasons import REASON_MAX


class ReasonForm(forms.Form):
    # Not required here: the action refuses a blank reason with its own words, for every caller.
    reason = forms.CharField(
        label="Reason",
        required=False,
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 4, "aria-required": "true"}),
    )


@dataclass(frozen=True)
class Fact:
    """One label/value line about what the action concerns; `at` is shown as an instant."""

    label: str
    text: str = ""
    at: dt.datetime | None = None


@dataclass
class Confirmation:
    """What the page says. Every sentence is plain; `undo` says honestly what can be undone."""

    title: str  # the h1, e.g. "Terminate the embargo of VU#123456?"
    back_label: str  # where Cancel goes, e.g. "VU#123456"
    back_url: str
    happens: list[str]  # what will happen, one sentence each
    undo: str  # "This cannot be undone." (or what can be, when something can)
    submit: str  # the button, e.g. "Terminate the embargo"
    reason_help: str  # who reads the reason
    facts: list[Fact] = field(default_factory=list)  # what it is about
    blocked: str | None = None  # a rule refuses it now: the page says why and offers no form


def confirm(request: HttpRequest, page: Confirmation, act: Callable[[str], str]) -> HttpResponse:
    """GET: the confirmation page. POST with confirm=yes: `act(reason)`, which returns the
    success message; then back to `page.back_url`."""
    confirmed = request.method == "POST" and request.POST.get("confirm") == "yes"
    if request.method == "POST" and not confirmed:
        # Never act without the confirmation page: show it, keeping what was typed.
        form = ReasonForm(initial={"reason": (request.POST.get("reason") or "")[:REASON_MAX]})
        return _render(request, page, form, 200)
    form = ReasonForm(request.POST if confirmed else None)
    if confirmed:
        # Even when the page saw a rule in the way, the action decides (and names its rule).
        if form.is_valid():
            try:
                done = act(form.cleaned_data["reason"])
            except InvalidInput as exc:
                form.add_error("reason" if exc.field == "reason" else None, exc.message)
            except RuleViolation as exc:
                messages.error(request, f"Refused: {exc.message} (rule: {exc.rule}).")
                return redirect(page.back_url)
            else:
                messages.success(request, done)
                return redirect(page.back_url)
        return _render(request, page, form, 400)
    return _render(request, page, form, 200)


def _render(request: HttpRequest, page: Confirmation, form: ReasonForm, status: int) -> HttpResponse:
    attrs = form.fields["reason"].widget.attrs
    described = [f"{form['reason'].auto_id}_helptext"]
    if form.errors.get("reason"):
        described.append(f"{form['reason'].auto_id}_error")
        attrs["aria-invalid"] = "true"
    attrs["aria-describedby"] = " ".join(described)
    return render(request, "core/confirm.html", {"page": page, "form": form}, status=status)

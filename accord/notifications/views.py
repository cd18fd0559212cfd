"""The notification choices on pages: the mode in the profile, the mute on a case's overview."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from accord.accounts.models import User
from accord.cases.access import access_case
from accord.core.access import access
from accord.notifications import actions
from accord.notifications.forms import NotifyModeForm

MODE_SAVED = {
    User.NotifyMode.IMMEDIATE: "You get one mail for each new item.",
    User.NotifyMode.DIGEST: "You get one digest a day with everything new.",
    User.NotifyMode.NONE: "You get no mail about your cases.",
}


@require_POST
@access("authenticated")
def preferences(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = NotifyModeForm(request.POST)
    if form.is_valid():
        mode = form.cleaned_data["notify_mode"]
        actions.set_notify_mode(user, mode, by=user)
        messages.success(request, MODE_SAVED[mode])
    else:
        messages.error(request, 'Not saved: choose "immediately", "once a day" or "never".')
    return redirect(reverse("accounts:profile") + "#notifications")


@require_POST
@access("object:case")
def case_mute(request: HttpRequest, case: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    standing = access_case(user, case, need="read")
    back = reverse("cases:case_detail", kwargs={"case": standing.case.url_ref}) + "#notifications"
    choice = str(request.POST.get("muted", ""))
    if choice not in ("0", "1"):
        messages.error(request, "Not saved: choose to mute or to unmute the case.")
        return redirect(back)
    muted = choice == "1"
    actions.set_case_muted(standing.case, muted, by=user)
    label = standing.case.label
    messages.success(
        request,
        f"{label} is muted: no mail and no digest about it." if muted else f"{label} is no longer muted.",
    )
    return redirect(back)

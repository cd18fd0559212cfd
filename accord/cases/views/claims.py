"""The claim link of a vendor notification: an account tied to the vendor in one step."""

from __future__ import annotations

import functools

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accord.accounts.views import join_with_account
from accord.cases.actions import participants
from accord.core.access import access
from accord.lib.errors import RuleViolation


@access("public")
def claim(request: HttpRequest, key: str) -> HttpResponse:
    try:
        link = participants.find_claim(key)
    except RuleViolation as exc:
        # Expired, or its address was removed: the holder is told which, with no case detail.
        return render(request, "cases/claim_refused.html", {"reason": exc.message}, status=410)
    if link is None:
        return render(request, "cases/claim_invalid.html", status=404)
    form, claimed = join_with_account(request, functools.partial(participants.claim_account, link))
    if claimed is not None:
        link.refresh_from_db()
        if not link.approved:
            messages.info(request, "Your account waits for the coordinator's approval: we will let you know.")
        if form is not None:
            messages.success(
                request, f"Your account {claimed.email} is ready: log in with your new password."
            )
            return redirect("accounts:login")
        return redirect("cases:case_detail", case=link.participant.case.url_ref)
    return render(request, "cases/claim.html", {"link": link, "form": form})

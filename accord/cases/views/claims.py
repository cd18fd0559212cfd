"""The claim link of a vendor notification: an account tied to the vendor in one step.

Where the holder lands: a brand-new account from the vendor's "to" address is signed in at once
(it has just chosen its password) and lands on the case, which first asks for its organisation's
embargo decision. An address that already has an account logs in first, on the same page with
its email filled in, and comes back here to add the vendor to that account. A claim from another
address waits for the coordinator's approval, so its holder goes to its dashboard meanwhile.
"""

from __future__ import annotations

import functools

from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accord.accounts.forms import LoginForm
from accord.accounts.models import User
from accord.accounts.views import join_with_account
from accord.cases.actions import participants
from accord.core.access import access
from accord.lib.errors import RuleViolation

# The account was made here with the password just chosen: Django's own backend vouches for it.
BACKEND = "django.contrib.auth.backends.ModelBackend"


@access("public")
def claim(request: HttpRequest, key: str) -> HttpResponse:
    try:
        link = participants.find_claim(key)
    except RuleViolation as exc:
        # Expired, or its address was removed: the holder is told which, with no case detail.
        return render(request, "cases/claim_refused.html", {"reason": exc.message}, status=410)
    if link is None:
        return render(request, "cases/claim_invalid.html", status=404)
    signed_in = request.user.is_authenticated
    if not signed_in and User.objects.filter(email__iexact=link.email).exists():
        # An account with this address exists: it logs in (email filled in) and comes back here.
        login_form = LoginForm(initial={"username": link.email}, auto_id="login-%s")
        return render(
            request,
            "cases/claim.html",
            {"link": link, "login_form": login_form, "next": request.path},
        )
    form, claimed = join_with_account(request, functools.partial(participants.claim_account, link))
    if claimed is None:
        return render(
            request,
            "cases/claim.html",
            {"link": link, "form": form, "same_address": _same_address(request, link.email)},
        )
    link.refresh_from_db()
    organization = link.participant.organization
    if form is not None:
        login(request, claimed, backend=BACKEND)
    if not link.approved:
        messages.info(
            request,
            f"Your account {claimed.email} is ready, but it joins {organization} only once the "
            "coordinator approves it: we will let you know.",
        )
        return redirect("core:dashboard")
    if form is not None:
        messages.success(request, f"Welcome: your account {claimed.email} is ready, and you are signed in.")
    else:
        messages.success(request, f"Your account now belongs to {organization} too.")
    return redirect("cases:case_detail", case=link.participant.case.url_ref)


def _same_address(request: HttpRequest, email: str) -> bool:
    user = request.user
    return not user.is_authenticated or user.email.lower() == email.lower()

"""The claim link of a vendor notification: an account tied to the vendor in one step."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accord.accounts.forms import AcceptInvitationForm
from accord.cases.actions import participants
from accord.core.access import access
from accord.lib.errors import InvalidInput, RuleViolation


@access("public")
def claim(request: HttpRequest, key: str) -> HttpResponse:
    link = participants.find_claim(key)
    if link is None:
        return render(request, "cases/claim_invalid.html", status=404)
    user = request.user if request.user.is_authenticated else None
    form = AcceptInvitationForm(request.POST or None) if user is None else None
    if request.method == "POST" and (form is None or form.is_valid()):
        try:
            if user is not None:
                claimed = participants.claim_account(link, user=user)
            else:
                assert form is not None
                claimed = participants.claim_account(
                    link, password=form.cleaned_data["password"], name=form.cleaned_data["name"]
                )
        except InvalidInput as exc:
            if form is not None:
                form.add_error("password" if exc.field == "password" else None, exc.message)
        except RuleViolation as exc:
            messages.error(request, exc.message)
        else:
            link.refresh_from_db()
            if not link.approved:
                messages.info(
                    request, "Your account waits for the coordinator's approval: we will let you know."
                )
            if user is None:
                messages.success(
                    request, f"Your account {claimed.email} is ready: log in with your new password."
                )
                return redirect("accounts:login")
            return redirect("cases:case_detail", case=link.participant.case.url_ref)
    return render(request, "cases/claim.html", {"link": link, "form": form})

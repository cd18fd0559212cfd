from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accord.accounts.queries import roles_of
from accord.cases.views.dashboard import analyst_sections
from accord.core.access import access


@access("public")
def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("core:dashboard")
    return redirect("accounts:login")


@access("authenticated")
def dashboard(request: HttpRequest) -> HttpResponse:
    memberships = list(request.user.memberships.select_related("organization"))  # type: ignore[union-attr]
    context: dict[str, Any] = {"memberships": memberships, "roles": roles_of(request.user, memberships)}  # type: ignore[arg-type]
    if request.user.is_analyst:  # type: ignore[union-attr]
        # What needs an analyst's attention; one query per list, whatever the numbers.
        context["analyst"] = analyst_sections(request.user)
    elif any(m.organization.kind == "vendor" for m in memberships):
        from accord.cases.views.portal import waiting_for

        # A vendor member's dashboard shows what waits in the portal, with the same counts.
        context["vendor_waiting"] = waiting_for(request.user)  # type: ignore[arg-type]
    return render(request, "core/dashboard.html", context)


@access("public")
def health(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok\n", content_type="text/plain")

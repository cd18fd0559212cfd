"""The Mail tab of a case, for the coordinator: every mail Accord queued about the case, its
status, kind, recipient organisation and the key it was encrypted to, and why one failed (a
vendor requiring encryption without a key shows here). The API answers the same:
GET /api/v1/cases/{case}/mail (accord.api.routes.mail)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accord.cases.access import access_case
from accord.cases.views.cases import workspace
from accord.core.access import access
from accord.mailgate import queries

MAIL_PER_PAGE = 100


@access("analyst")
def case_mail(request: HttpRequest, case: str) -> HttpResponse:
    standing = access_case(request.user, case)
    page = Paginator(queries.case_mail(standing.case), MAIL_PER_PAGE).get_page(request.GET.get("page"))
    context = workspace(request, standing, "mail")
    context.update({"page": page, "mails": [queries.describe(m) for m in page.object_list]})
    return render(request, "cases/case_mail.html", context)

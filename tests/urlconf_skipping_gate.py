"""A URLconf with a case route that skips the gate, to prove the matrix notices it."""

from django.http import HttpResponse
from django.urls import path

from accord import urls
from accord.cases.access import access_case
from accord.cases.models import Case
from accord.core.access import access
from accord.lib.ids import parse_case_ref


@access("object:case")
def gate_skipped(request, case):  # type: ignore[no-untyped-def]
    # The mistake: the case fetched straight from the table, not through access_case.
    found = Case.objects.get(number=parse_case_ref(case))
    return HttpResponse(found.title)


@access("object:case")
def gated(request, case):  # type: ignore[no-untyped-def]
    return HttpResponse(access_case(request.user, case).case.title)


urlpatterns = [
    path("gate-skipped/<str:case>/", gate_skipped, name="gate-skipped"),
    path("gated/<str:case>/", gated, name="gated"),
    *urls.urlpatterns,  # the site's own pages, which the error pages link to
]

"""A URLconf with one unguarded view, to prove the matrix notices it."""

from django.http import HttpResponse
from django.urls import path

from accord.core.access import access


def unguarded(request):  # type: ignore[no-untyped-def]
    return HttpResponse("no rule here")


@access("public")
def guarded(request):  # type: ignore[no-untyped-def]
    return HttpResponse("fine")


urlpatterns = [path("unguarded/", unguarded), path("guarded/", guarded)]

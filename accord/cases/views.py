"""Pages for reports, triage, cases and the disclosure policy. (Being written.)"""

from django.http import Http404, HttpRequest, HttpResponse

from accord.core.access import access


@access("public")
def policy_page(request: HttpRequest) -> HttpResponse:
    raise Http404


@access("public")
def report_follow(request: HttpRequest, key: str) -> HttpResponse:
    raise Http404

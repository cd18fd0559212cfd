"""Error pages: a sentence for a person, never a traceback."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template import loader


def _page(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    return render(
        request, "core/error.html", {"status": status, "title": title, "message": message}, status=status
    )


def bad_request(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return _page(request, 400, "Bad request", "The request could not be understood.")


def forbidden(request: HttpRequest, exception: Any = None) -> HttpResponse:
    message = str(exception) if exception and str(exception) else "Your role does not allow this page."
    return _page(request, 403, "Not allowed", message)


def not_found(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return _page(request, 404, "Not found", "There is nothing here, or you may not see it.")


def server_error(request: HttpRequest) -> HttpResponse:
    # No context processors: the failure may be in one of them.
    html = loader.get_template("core/error_500.html").render()
    return HttpResponse(html, status=500)

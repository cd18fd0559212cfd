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


class RuleViolationMiddleware:
    """A page whose action or gate refuses by a process rule answers 409 with the rule named.

    (The API answers its own JSON 409; see accord.api.errors.) Views catch the refusals they
    can show beside a form; this is the net for the rest, so a refusal is never a 500.
    """

    def __init__(self, get_response: Any):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        from accord.lib.errors import RuleViolation

        if not isinstance(exception, RuleViolation) or request.path.startswith("/api/"):
            return None
        message = f"{exception.message} (rule: {exception.rule})."
        return _page(request, 409, "Not possible now", message)

"""The one error shape: {"detail": "...", "errors": [{"field": ..., "message": ...}]}."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

from accord.api.guards import too_large
from accord.lib.errors import InvalidInput, RuleViolation

log = logging.getLogger(__name__)

# Where ninja puts a parameter, which is not part of the field's name for a person.
_LOCATIONS = {"body", "query", "path", "header", "cookie", "form", "file"}


class ApiError(Exception):
    def __init__(self, status: int, detail: str, errors: list[dict[str, str]] | None = None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors


def error_body(detail: str, errors: list[dict[str, str]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"detail": detail}
    if errors:
        body["errors"] = errors
    return body


def field_name(loc: list[Any] | tuple[Any, ...], param_names: set[str]) -> str:
    """["body", "payload", "statuses", 0, "status"] -> "statuses[0].status".

    A problem with the body as a whole (["body", "payload"]: not an object) is named "body".
    """
    parts = list(loc)
    location = parts.pop(0) if parts and parts[0] in _LOCATIONS else None
    if parts and parts[0] in param_names and (len(parts) > 1 or location == "body"):
        parts = parts[1:]
    name = ""
    for part in parts:
        if isinstance(part, int):
            name += f"[{part}]"
        else:
            name += ("." if name else "") + str(part)
    return name or "body"


def _validation_errors(exc: ValidationError, param_names: set[str]) -> list[dict[str, str]]:
    errors = []
    for error in exc.errors:
        message = str(error.get("msg", "is not valid"))
        message = message.removeprefix("Value error, ")
        errors.append({"field": field_name(error.get("loc", ()), param_names), "message": message})
    return errors


def install(api: NinjaAPI) -> None:
    def respond(request: HttpRequest, status: int, detail: str, errors: Any = None) -> HttpResponse:
        return api.create_response(request, error_body(detail, errors), status=status)

    @api.exception_handler(ValidationError)
    def on_validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        # Body parameters are named "payload" by convention; drop that from field names.
        errors = _validation_errors(exc, {"payload", "body", "data", "filters"})
        names = ", ".join(sorted({e["field"] for e in errors}))
        return respond(request, 400, f"The request is not valid: check {names}.", errors)

    @api.exception_handler(AuthenticationError)
    def on_auth(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        response = respond(
            request, 401, "Authentication required: send a valid token as 'Authorization: Bearer <token>'."
        )
        response["WWW-Authenticate"] = 'Bearer realm="accord"'
        return response

    @api.exception_handler(Throttled)
    def on_throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
        response = respond(request, 429, "Too many requests: wait before trying again.")
        response["Retry-After"] = str(exc.wait or 60)
        return response

    @api.exception_handler(HttpError)
    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        detail = str(exc)
        if exc.status_code == 400 and detail.startswith("Cannot parse request body"):
            detail = "The request body is not valid JSON."
        return respond(request, exc.status_code, detail)

    @api.exception_handler(ApiError)
    def on_api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        return respond(request, exc.status, exc.detail, exc.errors)

    @api.exception_handler(RuleViolation)
    def on_rule(request: HttpRequest, exc: RuleViolation) -> HttpResponse:
        return respond(request, 409, exc.detail)

    @api.exception_handler(InvalidInput)
    def on_invalid(request: HttpRequest, exc: InvalidInput) -> HttpResponse:
        return respond(request, 400, exc.message, [{"field": exc.field, "message": exc.message}])

    @api.exception_handler(Http404)
    def on_404(request: HttpRequest, exc: Http404) -> HttpResponse:
        # One message for "missing" and "not yours", so nothing confidential is confirmed.
        return respond(request, 404, "Not found.")

    @api.exception_handler(PermissionDenied)
    def on_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return respond(request, 403, str(exc) or "Your role does not allow this.")

    @api.exception_handler(RequestDataTooBig)
    @api.exception_handler(TooManyFieldsSent)
    @api.exception_handler(TooManyFilesSent)
    def on_too_large(request: HttpRequest, exc: Exception) -> HttpResponse:
        # A form-encoded body is parsed late (for the CSRF check of a session caller).
        return too_large(exc)

    @api.exception_handler(Exception)
    def on_crash(request: HttpRequest, exc: Exception) -> HttpResponse:
        log.exception("API error on %s %s", request.method, request.path)
        return respond(request, 500, "Something went wrong on our side; it has been logged.")

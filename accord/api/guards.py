"""Guards on API request bodies, before any route sees them.

- A body over DATA_UPLOAD_MAX_MEMORY_SIZE gets the API's JSON 400, not Django's HTML page.
- JSON bodies carrying NUL characters are refused: PostgreSQL cannot store U+0000 in text,
  and no legitimate field needs it. Form fields get the same protection from Django's
  ProhibitNullCharactersValidator.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, JsonResponse

# What Django raises when a request is larger than its settings allow.
TOO_LARGE = (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent)


def too_large(exc: Exception) -> JsonResponse:
    """The API's answer to a body Django refuses to read, naming the limit."""
    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        field, detail = "body", f"The request body is larger than the limit of {limit:,} bytes."
    elif isinstance(exc, TooManyFieldsSent):
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        field, detail = "body", f"The request has more than the limit of {limit:,} form fields."
    else:
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FILES
        field, detail = "body", f"The request has more than the limit of {limit:,} files."
    return JsonResponse({"detail": detail, "errors": [{"field": field, "message": detail}]}, status=400)


class ApiBodyLimitMiddleware:
    """Read every API body once, up front, so that one over the limit is refused in JSON.

    Later readers (the guards below, the idempotency record, ninja) reuse what was read.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            try:
                request.body  # noqa: B018 - read and kept, or refused
            except RequestDataTooBig as exc:
                return too_large(exc)
        return self.get_response(request)


def _nul_field(value: Any, path: str = "") -> str | None:
    if isinstance(value, str):
        return (path or "body") if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in str(key):
                return path or "body"
            found = _nul_field(item, f"{path}.{key}" if path else str(key))
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _nul_field(item, f"{path or 'body'}[{index}]")
            if found:
                return found
    return None


class RejectNulMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/") and request.method in ("POST", "PUT", "PATCH") and request.body:
            try:
                data = json.loads(request.body)
            except (ValueError, RecursionError):
                data = None  # the API answers "not valid JSON" itself
            field = _nul_field(data) if data is not None else None
            if field:
                message = "Text may not contain NUL characters (U+0000)."
                return JsonResponse(
                    {"detail": f"{message} Check {field}.", "errors": [{"field": field, "message": message}]},
                    status=400,
                )
        return self.get_response(request)

"""Refuse JSON bodies carrying NUL characters before any route sees them.

PostgreSQL cannot store U+0000 in text, and no legitimate field needs it. Form fields get the
same protection from Django's ProhibitNullCharactersValidator.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse


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

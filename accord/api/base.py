"""Helpers every router uses: the access decorator, cursors, ETags and If-Match."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
from collections.abc import Callable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest, HttpResponse

from accord.api.errors import ApiError

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


# --- Cursor pagination ----------------------------------------------------------------------


def _encode(values: list[Any]) -> str:
    raw = json.dumps([v.isoformat() if isinstance(v, dt.datetime) else v for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _bad_cursor() -> ApiError:
    return ApiError(
        400,
        "The cursor is not valid: use the 'next' value of an earlier page.",
        [{"field": "cursor", "message": "not a cursor this list produced"}],
    )


def _decode(cursor: str, count: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError):
        values = None
    # Cursors hold one scalar per ordering field; anything else was not made by us.
    if (
        not isinstance(values, list)
        or len(values) != count
        or not all(isinstance(v, str | int | float) for v in values)
    ):
        raise _bad_cursor()
    return values


def _after(ordering: Sequence[str], values: list[Any]) -> Q:
    """Rows strictly after `values` in `ordering` (keyset pagination)."""
    condition = Q()
    for index, field in enumerate(ordering):
        name = field.lstrip("-")
        op = "lt" if field.startswith("-") else "gt"
        step = Q(**{f"{name}__{op}": values[index]})
        for earlier, value in zip(ordering[:index], values[:index], strict=False):
            step &= Q(**{earlier.lstrip("-"): value})
        condition |= step
    return condition


def paginate(
    queryset: QuerySet[Any],
    *,
    ordering: Sequence[str],
    cursor: str | None,
    limit: int | None,
    serialize: Callable[[list[Any]], list[Any]],
) -> dict[str, Any]:
    """The list envelope {"items": [...], "next": cursor|null}, with a constant query count.

    `ordering` must end with a unique field (the primary key). `serialize` receives the
    whole page, so it can fetch related rows in bulk.
    """
    size = DEFAULT_LIMIT if limit is None else limit
    if not 1 <= size <= MAX_LIMIT:
        raise ApiError(
            400,
            f"limit must be between 1 and {MAX_LIMIT}.",
            [{"field": "limit", "message": f"between 1 and {MAX_LIMIT}"}],
        )
    queryset = queryset.order_by(*ordering)
    if cursor:
        try:
            queryset = queryset.filter(_after(ordering, _decode(cursor, len(ordering))))
        except (ValueError, TypeError, OverflowError, ValidationError):
            # A value the field cannot take (a forged cursor): bad input, not a crash.
            raise _bad_cursor()
    rows = list(queryset[: size + 1])
    page, more = rows[:size], len(rows) > size
    next_cursor = None
    if more:
        last = page[-1]
        next_cursor = _encode(
            [_cursor_value(getattr(last, f.lstrip("-").replace("__", "."))) for f in ordering]
        )
    return {"items": serialize(page), "next": next_cursor}


def _cursor_value(value: Any) -> Any:
    if isinstance(value, Model):
        return value.pk
    return value


# --- ETag and If-Match -----------------------------------------------------------------------


def etag_of(obj: Model, stamp: Any) -> str:
    digest = hashlib.sha256(f"{obj._meta.label}:{obj.pk}:{stamp}".encode()).hexdigest()[:32]
    return f'"{digest}"'


def check_if_match(request: HttpRequest, current: str) -> None:
    """Honour If-Match when sent; never require it."""
    header = request.headers.get("If-Match")
    if not header:
        return
    candidates = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    if "*" in candidates or current in candidates:
        return
    raise ApiError(412, "The object changed since you read it (If-Match does not match): fetch it again.")


def set_etag(response: HttpResponse, tag: str) -> None:
    response["ETag"] = tag

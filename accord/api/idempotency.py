"""Idempotency-Key on API POSTs: a retry with the same key gets the first answer again.

Only successful answers are kept (a failed call may be retried with the same key).
An answer marked `Cache-Control: no-store` (a freshly created token's secret) is not
stored: its retry answers 409 instead of showing the secret twice.

A retry is authenticated and authorised before anything is replayed: the route's own auth
step runs (a revoked token gets 401, a lost role 403) and, for an "object:<kind>" route, the
caller must still reach the object (accord.api.auth.REACH), else it gets the route's 404.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from functools import cache

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.urls import Resolver404, resolve
from django.utils import timezone

from accord.api.auth import caller, check_reach
from accord.api.models import IdempotencyRecord
from accord.core.client_ip import client_ip
from accord.core.routes import Route, all_routes

KEEP = dt.timedelta(hours=24)


def _owner(request: HttpRequest) -> str:
    credential = request.headers.get("Authorization", "")
    if not credential and request.user.is_authenticated:
        credential = f"session-user:{request.user.pk}"
    if not credential:
        credential = "anonymous:" + client_ip(request)
    return hashlib.sha256(credential.encode()).hexdigest()


@cache
def _api_routes(urlconf: str) -> dict[tuple[str, str], Route]:
    return {
        (route.pattern, method): route
        for route in all_routes(urlconf)
        if route.kind == "api" and route.operation is not None
        for method in route.methods
    }


def _refusal(
    request: HttpRequest, fresh: Callable[[HttpRequest], HttpResponseBase]
) -> HttpResponseBase | None:
    """What the route answers a caller who may no longer call it, or None when it may."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        match = None
    route = _api_routes(settings.ROOT_URLCONF).get((match.route, request.method or "")) if match else None
    if match is None or route is None:
        return fresh(request)  # no such operation (any more): answer as a fresh call would
    # ninja's own authentication step (and throttles), as the operation runs it for a fresh call.
    refused: HttpResponseBase | None = route.operation._run_checks(request)
    if refused is not None:
        return refused
    try:
        check_reach(caller(request), route.rule, match.kwargs)
    except Http404 as exc:
        return route.operation.api.on_exception(request, exc)  # the route's own 404
    return None


def _conflict(detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=409)


class IdempotencyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        key = request.headers.get("Idempotency-Key")
        if request.method != "POST" or not key or not request.path.startswith("/api/"):
            return self.get_response(request)
        if len(key) > 200:
            return JsonResponse(
                {
                    "detail": "Idempotency-Key is too long (at most 200 characters).",
                    "errors": [{"field": "Idempotency-Key", "message": "at most 200 characters"}],
                },
                status=400,
            )
        owner = _owner(request)
        request_hash = hashlib.sha256(request.path.encode() + b"\0" + request.body).hexdigest()
        IdempotencyRecord.objects.filter(created_at__lt=timezone.now() - KEEP).delete()
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    owner=owner, key=key, method="POST", path=request.path, request_hash=request_hash
                )
        except IntegrityError:
            refused = _refusal(request, self.get_response)
            return refused if refused is not None else self._replay(owner, key, request_hash)
        response = self.get_response(request)
        if 200 <= response.status_code < 300:
            replayable = "no-store" not in response.get("Cache-Control", "")
            record.status_code = response.status_code
            record.content_type = response.get("Content-Type", "")
            record.body = response.content if replayable else None
            record.replayable = replayable
            record.save(update_fields=["status_code", "content_type", "body", "replayable"])
        else:
            record.delete()
        return response

    def _replay(self, owner: str, key: str, request_hash: str) -> HttpResponse:
        record = IdempotencyRecord.objects.get(owner=owner, key=key)
        if record.request_hash != request_hash:
            return _conflict(
                "This Idempotency-Key was used for a different request (rule: idempotency-key-reuse)."
            )
        if record.status_code is None:
            return _conflict(
                "A request with this Idempotency-Key is still in progress (rule: idempotency-key-reuse)."
            )
        if not record.replayable:
            return _conflict(
                "This Idempotency-Key already created the object; its secret was shown once"
                " (rule: idempotency-key-reuse)."
            )
        response = HttpResponse(
            bytes(record.body or b""), status=record.status_code, content_type=record.content_type
        )
        response["Idempotent-Replayed"] = "true"
        return response

"""The one access gate for pages and API routes.

Every view and every API operation declares a rule with `@access(rule)` (pages) or
`@api_access(rule)` (API, in accord.api.base). The decorator both enforces the role
part of the rule and records it on the view as `access_rule`, which the
authorization-matrix test reads. A route without a declared rule fails that test.

Object rules ("object:<kind>") require a login; the view then fetches its object
through an `access_*` helper that answers 404 for missing and forbidden alike. The API's
"object:<kind>-or-follow" rules also take a report's follow secret instead of a login.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase

from accord.core.actors import is_system
from accord.lib.errors import RuleViolation

ROLE_RULES = ("public", "authenticated", "analyst", "publisher", "coordinator-admin")
# "<kind>-or-follow": API routes a reporter uses, which also take the report's follow secret as
# the credential (`Authorization: Bearer <secret>`, accord.api.auth.FollowSecret): that report
# and its case only, as the reporter's participant.
OBJECT_KINDS = (
    "organization",
    "invitation",
    "token",
    "report",
    "case",
    "report-or-follow",
    "case-or-follow",
    "thread-or-follow",
    "thread",
)


def is_known_rule(rule: str) -> bool:
    if rule in ROLE_RULES:
        return True
    kind = rule.removeprefix("object:")
    return rule.startswith("object:") and kind in OBJECT_KINDS


def user_meets(user: Any, rule: str) -> bool:
    """Whether `user` passes the role part of `rule` (objects are checked by the view)."""
    if rule == "public":
        return True
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if rule == "analyst":
        return bool(user.is_analyst)
    if rule == "publisher":
        return bool(user.is_publisher)
    if rule == "coordinator-admin":
        return bool(user.is_coordinator_admin)
    return True  # "authenticated" and "object:*"


def require_analyst(user: Any) -> None:
    """For actions: refuse anyone but coordinator analysts (publishers and admins are analysts too)
    and Accord itself (SYSTEM: the scheduler, imports and the mail gateway act for the coordinator)."""
    if is_system(user):
        return
    if user is None or not getattr(user, "is_analyst", False):
        raise RuleViolation("analyst-only", "Only an analyst can do this")


def declare(rule: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    if not is_known_rule(rule):
        raise ValueError(f"unknown access rule {rule!r}")

    def mark(view: Callable[..., Any]) -> Callable[..., Any]:
        view.access_rule = rule  # type: ignore[attr-defined]
        return view

    return mark


def access(rule: str) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    """Page views: anonymous users go to the login page, others lacking the role get 403."""
    if not is_known_rule(rule):
        raise ValueError(f"unknown access rule {rule!r}")

    def decorate(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if rule != "public" and not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not user_meets(request.user, rule):
                raise PermissionDenied("Your role does not allow this page.")
            return view(request, *args, **kwargs)

        wrapper.access_rule = rule  # type: ignore[attr-defined]
        return wrapper

    return decorate

"""API authentication and the access rule of each operation, checked before the body is read.

Each operation declares its rule with `auth=rule("analyst")` (see accord.core.access).
The rule is enforced in ninja's authentication step, which runs before request
validation, so a caller without the role gets 401/403 and never a 400 about a body it
may not send. The authorization-matrix test reads `rule` from these callbacks.

The routes a reporter uses ("object:report-or-follow", "object:case-or-follow") also take
the report's follow secret as a bearer credential (`FollowSecret`). It never becomes
request.user: ninja keeps it as request.auth, and `caller(request)` hands it to the gate.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from django.http import Http404, HttpRequest
from ninja.security import APIKeyCookie, HttpBearer

from accord.accounts.actions import authenticate_token
from accord.accounts.queries import access_organization, access_token
from accord.api.errors import ApiError
from accord.cases.access import ReporterKey, access_case, access_report, reporter_key
from accord.core.access import is_known_rule, user_meets


def _check(user: Any, rule: str) -> Any:
    if not user_meets(user, rule):
        raise ApiError(403, "Your role does not allow this.")
    return user


class BearerToken(HttpBearer):
    openapi_description = "A personal API token: `Authorization: Bearer accord_…`"

    def __init__(self, rule: str):
        super().__init__()
        self.rule = rule

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = authenticate_token(token)
        if user is None:
            return None
        request.user = user
        return _check(user, self.rule)


class Session(APIKeyCookie):
    """The browser's session cookie; unsafe methods need the CSRF token, as for forms."""

    param_name = "sessionid"
    openapi_description = "The session cookie of a logged-in browser (send X-CSRFToken on writes)."

    def __init__(self, rule: str):
        super().__init__()
        self.rule = rule

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        if not request.user.is_authenticated:
            return None
        return _check(request.user, self.rule)


class FollowSecret(HttpBearer):
    """A report's follow secret, the reporter's credential without an account. It reaches that
    report and its case only (accord.cases.access.ReporterKey); an `accord_…` token never is one."""

    openapi_description = (
        "The reporter's follow secret (the last part of the private follow link): "
        "`Authorization: Bearer <secret>`. It reaches that report and its case only."
    )

    def __init__(self, rule: str):
        super().__init__()
        self.rule = rule

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        return reporter_key(token)


def caller(request: HttpRequest) -> Any:
    """Who calls: the follow secret's holder (a ReporterKey) where one authenticated the
    request, else request.user. Give it to the gate (access_case, access_report) and actions."""
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, ReporterKey) else request.user


class Public:
    """No credentials needed; a token or session is still honoured when sent."""

    rule = "public"

    def __call__(self, request: HttpRequest) -> Any:
        header = request.headers.get("Authorization", "")
        if header.lower().startswith("bearer "):
            secret = header[7:].strip()
            user = authenticate_token(secret)
            if user is None:
                key = reporter_key(secret)  # a reporter's tooling sends its secret everywhere
                if key is not None:
                    return key
                from ninja.errors import AuthenticationError

                raise AuthenticationError()
            request.user = user
        return request.user if request.user.is_authenticated else True


@cache
def rule(name: str) -> list[Any]:
    """The auth callbacks of an operation with access rule `name`."""
    if not is_known_rule(name):
        raise ValueError(f"unknown access rule {name!r}")
    if name == "public":
        return [Public()]
    if name.endswith("-or-follow"):
        return [BearerToken(name), Session(name), FollowSecret(name)]
    return [BearerToken(name), Session(name)]


class Undeclared:
    """The API's default: an operation that declares no rule answers 403 to everyone."""

    def __call__(self, request: HttpRequest) -> Any:
        raise ApiError(403, "This route declares no access rule.")


UNDECLARED = [Undeclared()]


# How a caller reaches the object an "object:<kind>" route names, from the route's path
# parameters: each raises Http404 (missing and forbidden alike) as the route itself would.
# An Idempotency-Key replay runs this before answering, so lost access is never replayed.
REACH: dict[str, Callable[[Any, dict[str, Any]], object]] = {
    "case": lambda user, path: access_case(user, path["case"], need="terms"),
    "report": lambda user, path: access_report(user, path["report_id"]),
    "case-or-follow": lambda who, path: access_case(who, path["case"], need="terms"),
    "report-or-follow": lambda who, path: access_report(who, path["report_id"]),
    "organization": lambda user, path: access_organization(user, path["org_id"]),
    "token": lambda user, path: access_token(user, path["token_id"]),
    "thread": lambda user, path: reach_thread(user, path),
    "thread-or-follow": lambda who, path: reach_thread(who, path),
}


def reach_thread(user: Any, path: dict[str, Any]) -> object:
    """A thread of a case (or the thread of a message's file) the caller may read."""
    from accord.cases.access import access_thread, threads_visible
    from accord.conversation.models import Attachment
    from accord.lib.ids import parse_id

    standing = access_case(user, path["case"], need="read")
    if "thread_id" in path:
        return access_thread(standing, path["thread_id"])
    found = Attachment.objects.filter(
        pk=parse_id(path.get("file_id")) or 0, message__thread__in=threads_visible(standing)
    ).first()
    if found is None:
        raise Http404("No such file.")
    return found


def check_reach(user: Any, rule_name: str | None, path: dict[str, Any]) -> None:
    """Raise Http404 unless `user` (a user, or a ReporterKey: see `caller`) still reaches the
    object of a route with rule `rule_name`."""
    if rule_name and rule_name.startswith("object:"):
        REACH[rule_name.removeprefix("object:")](user, path)

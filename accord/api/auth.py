from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from accord.accounts.actions import authenticate_token


class BearerToken(HttpBearer):
    openapi_description = "A personal API token: `Authorization: Bearer accord_…`"

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = authenticate_token(token)
        if user is not None:
            request.user = user
        return user


class Session(SessionAuth):
    """The browser's session cookie; unsafe methods need the CSRF token as usual."""


class Anonymous:
    """Lets a route run without credentials; `request.user` is then AnonymousUser."""

    openapi_type = "none"

    def __call__(self, request: HttpRequest) -> Any:
        return request.user if request.user.is_authenticated else True


AUTH = [BearerToken(), Session()]
AUTH_OR_ANONYMOUS = [BearerToken(), Session(), Anonymous()]

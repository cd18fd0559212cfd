import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from accord.accounts import zones
from accord.accounts.twofactor import has_2fa


class Require2FAMiddleware:
    """Coordinator staff must finish TOTP setup before using anything else.

    Login always asks for the code of a user who has a device, so an authenticated but
    unverified staff member either has no device yet (sent to setup) or logged in some
    other way, such as the admin site (logged out).
    """

    ALLOWED_PREFIXES = ("/accounts/2fa/setup/", "/accounts/logout/", "/static/")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            settings.REQUIRE_2FA_FOR_STAFF
            and user.is_authenticated
            and user.is_coordinator_staff
            and not user.is_verified()  # type: ignore[attr-defined]
            and not request.path.startswith(self.ALLOWED_PREFIXES)
        ):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {
                        "detail": "Two-factor authentication is required for coordinator staff: finish it in the UI."
                    },
                    status=401,
                )
            if has_2fa(user):
                logout(request)
                return redirect(reverse("accounts:login"))
            return redirect(reverse("accounts:2fa_setup"))
        return self.get_response(request)


class UserTimezoneMiddleware:
    """Form fields read and show times in the reader's zone; storage stays UTC.

    The zone (accord.accounts.zones): the one the user chose, else the browser's (its cookie),
    else UTC. The API never uses the browser's cookie: its instants carry their own offset.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            chosen = zones.chosen_zone(request.user)
            zone = zones.Zone(chosen, "chosen") if chosen else zones.DEFAULT
        else:
            zone = zones.zone_of(request)
        request.accord_zone = zone  # type: ignore[attr-defined]
        try:
            timezone.activate(zoneinfo.ZoneInfo(zone.name))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            timezone.deactivate()
        return self.get_response(request)

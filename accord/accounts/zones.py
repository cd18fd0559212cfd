"""Which time zone a page uses for a reader, and why.

Instants are stored in UTC and every page shows them in UTC and, next to it, in the reader's
zone, named. The reader's zone is, in order:

1. the zone the user chose in their profile (or through PATCH /api/v1/me): `User.timezone`;
   a blank value means "not chosen yet";
2. until they choose one, the browser's own zone: static/accord.js reads
   `Intl.DateTimeFormat().resolvedOptions().timeZone` and stores it in the `accord_zone`
   cookie, which later requests carry. The server accepts only a known IANA name;
3. otherwise (no JavaScript yet, or an unknown name) UTC alone.

The cookie is a display preference of this browser, like a language choice. It needs no CSRF
protection: a forged value can only change how the forger's own pages are shown, and the
server never trusts it beyond a name from the IANA list. It also works before signing in
(the reporter's follow page) and survives the session change at login.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import unquote

from accord.lib.time import is_timezone

COOKIE = "accord_zone"
Source = Literal["chosen", "browser", "default"]


@dataclass(frozen=True)
class Zone:
    name: str
    source: Source

    @property
    def is_utc(self) -> bool:
        return self.name in ("UTC", "Etc/UTC")

    @property
    def why(self) -> str:
        """Why this zone, in a few words for pages ("the zone you chose")."""
        return {
            "chosen": "the zone you chose",
            "browser": "your browser's zone",
            "default": "no zone chosen and none known from your browser",
        }[self.source]


DEFAULT = Zone("UTC", "default")


def chosen_zone(user: Any) -> str:
    """The zone the user chose, or "" when they have not chosen one (or are not signed in)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return ""
    zone = getattr(user, "timezone", "") or ""
    return zone if is_timezone(zone) else ""


def browser_zone(request: Any) -> str:
    """The browser's zone from its cookie, when it is a known IANA name; else ""."""
    cookies = getattr(request, "COOKIES", None) or {}
    value = unquote(str(cookies.get(COOKIE, ""))[:200])[:64]
    return value if is_timezone(value) else ""


def zone_of(request: Any) -> Zone:
    """The reader's zone for this request: chosen, else the browser's, else UTC."""
    if request is None:
        return DEFAULT
    cached = getattr(request, "accord_zone", None)
    if isinstance(cached, Zone):
        return cached
    chosen = chosen_zone(getattr(request, "user", None))
    if chosen:
        return Zone(chosen, "chosen")
    browser = browser_zone(request)
    if browser:
        return Zone(browser, "browser")
    return DEFAULT

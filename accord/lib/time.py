"""Instants: always stored in UTC, shown as UTC plus the viewer's zone, named."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from functools import lru_cache

UTC = dt.UTC


@lru_cache(maxsize=1)
def timezone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def is_timezone(name: str) -> bool:
    return name in timezone_names()


def rfc3339(value: dt.datetime | None) -> str | None:
    """`2026-11-23T22:00:00Z`: UTC, seconds precision, Z suffix."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime: Accord stores only aware UTC instants")
    return value.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def format_utc(value: dt.datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def format_local(value: dt.datetime, zone_name: str) -> str:
    """`2026-11-24 07:00 JST (Asia/Tokyo)`: the abbreviation and the IANA name."""
    local = value.astimezone(zoneinfo.ZoneInfo(zone_name))
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()} ({zone_name})"

"""The address of the client behind a request, for rate limits and login throttling.

Without ACCORD_TRUSTED_PROXIES it is REMOTE_ADDR. Behind a reverse proxy REMOTE_ADDR is the
proxy for everyone, so one client's failures or reports would count against all; then the
proxy's X-Forwarded-For is read, from the right, skipping our own proxies: the first address
that is not one of them was appended by a proxy we trust. Entries further left were written
by the client and may be anything, and a request that does not come from a trusted proxy
has its header ignored altogether.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings
from django.http import HttpRequest

IP = ipaddress.IPv4Address | ipaddress.IPv6Address


def _parse(value: str) -> IP | None:
    value = value.strip()
    if value.startswith("["):  # "[2001:db8::1]:443"
        value = value[1:].partition("]")[0]
    elif value.count(":") == 1:  # "192.0.2.1:5678"
        value = value.partition(":")[0]
    try:
        ip = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def _trusted(ip: IP | None) -> bool:
    return ip is not None and any(ip in network for network in settings.TRUSTED_PROXIES)


def client_ip(request: HttpRequest | Any) -> str:
    """The client's address: forwarded by a trusted proxy, else REMOTE_ADDR."""
    remote = str(request.META.get("REMOTE_ADDR", "") or "")
    if not settings.TRUSTED_PROXIES or not _trusted(_parse(remote)):
        return remote
    hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        ip = _parse(hop)
        if ip is None:
            return remote  # our proxy would not write this: count the request as the proxy's
        if not _trusted(ip):
            return str(ip)
    return remote  # no header, or only our proxies in it

"""Typed readers for ACCORD_* environment variables.

Each helper fails loudly (ImproperlyConfigured naming the variable) on a value it
cannot read, so a typo in production stops start-up instead of changing behaviour.
Every variable read goes through here and is recorded in REGISTRY, which the
README's table is checked against.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class Variable:
    name: str
    default: str
    help: str


REGISTRY: dict[str, Variable] = {}

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _raw(name: str, default: object, help: str) -> str | None:
    if not name.startswith("ACCORD_"):
        raise ImproperlyConfigured(f"{name}: Accord's settings are named ACCORD_*")
    REGISTRY[name] = Variable(name, "" if default is None else str(default), help)
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return None
    return value.strip()


def env_str(name: str, default: str, help: str = "") -> str:
    value = _raw(name, default, help)
    return default if value is None else value


def env_optional(name: str, help: str = "") -> str | None:
    return _raw(name, None, help)


def env_bool(name: str, default: bool, help: str = "") -> bool:
    value = _raw(name, "1" if default else "0", help)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use 1/0, true/false, yes/no, on/off)")


def env_int(name: str, default: int, help: str = "", *, minimum: int | None = None) -> int:
    value = _raw(name, default, help)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not an integer")
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name}={number} must be at least {minimum}")
    return number


def env_list(name: str, default: list[str], help: str = "") -> list[str]:
    value = _raw(name, ",".join(default), help)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_networks(name: str, help: str = "") -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """A comma-separated list of IP addresses or CIDR networks (an address is a /32 or /128)."""
    networks = []
    for item in env_list(name, [], help):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ImproperlyConfigured(f"{name}: {item!r} is not an IP address or CIDR network")
    return tuple(networks)


def env_path(name: str, default: Path, help: str = "") -> Path:
    value = _raw(name, default, help)
    return (Path(value) if value is not None else default).expanduser().resolve()


def env_choice(name: str, default: str, choices: tuple[str, ...], help: str = "") -> str:
    value = env_str(name, default, help)
    if value not in choices:
        raise ImproperlyConfigured(f"{name}={value!r} must be one of {', '.join(choices)}")
    return value


def read_secret_file(name: str, path: str) -> str:
    try:
        secret = Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ImproperlyConfigured(f"{name}: cannot read {path}: {exc.strerror}")
    if not secret:
        raise ImproperlyConfigured(f"{name}: {path} is empty")
    return secret

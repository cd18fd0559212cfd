"""Every route of the instance, pages and API operations, with its declared access rule.

The authorization-matrix test walks this list, so a route added tomorrow is covered
tomorrow; a route without a rule is reported by `missing_rules`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

# Routes Accord does not write itself, with the rule they enforce on their own.
THIRD_PARTY_NAMESPACES = {
    "admin": "coordinator-admin",  # Django's admin: is_staff users only (set for coordinator admins)
}
NINJA_BUILTIN_NAMES = {"openapi-json": "public", "openapi-view": "public", "api-root": "public"}


@dataclass(frozen=True)
class Route:
    kind: str  # "page" or "api"
    pattern: str  # Django route syntax, e.g. "accounts/organizations/<int:org_id>/"
    name: str
    methods: tuple[str, ...]
    rule: str | None
    callback: Callable[..., Any] | None = None
    operation: Any = None  # an API route's ninja Operation (its auth step runs before a replay)


def _join(prefix: str, pattern: Any) -> str:
    return prefix + str(pattern)


def _walk(
    resolvers: list[URLPattern | URLResolver], prefix: str = "", namespace: str = ""
) -> Iterator[Route]:
    for entry in resolvers:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or ""
            if ns in THIRD_PARTY_NAMESPACES and not namespace:
                yield Route("page", _join(prefix, entry.pattern), ns, ("GET",), THIRD_PARTY_NAMESPACES[ns])
                continue
            if entry.app_name == "ninja":
                yield from _ninja_routes(entry, _join(prefix, entry.pattern))
                continue
            yield from _walk(entry.url_patterns, _join(prefix, entry.pattern), ns or namespace)
        else:
            name = f"{namespace}:{entry.name}" if namespace else str(entry.name)
            rule = getattr(entry.callback, "access_rule", None)
            yield Route("page", _join(prefix, entry.pattern), name, ("GET", "POST"), rule, entry.callback)


def _ninja_routes(resolver: URLResolver, prefix: str) -> Iterator[Route]:
    from accord.api.urls import api

    for entry in resolver.url_patterns:
        if isinstance(entry, URLPattern) and entry.name in NINJA_BUILTIN_NAMES:
            yield Route(
                "api",
                _join(prefix, entry.pattern),
                str(entry.name),
                ("GET",),
                NINJA_BUILTIN_NAMES[entry.name],
            )
    for bound in api._get_bound_routers():
        for path, path_view in bound.path_operations.items():
            route = "/".join(p for p in (bound.prefix.strip("/"), path.strip("/")) if p)
            for operation in path_view.operations:
                rules = {getattr(callback, "rule", None) for callback in operation.auth_callbacks}
                rule = rules.pop() if len(rules) == 1 else None
                yield Route(
                    "api",
                    prefix + route.replace("{", "<").replace("}", ">"),
                    operation.view_func.__name__,
                    tuple(operation.methods),
                    rule,
                    operation.view_func,
                    operation,
                )


def all_routes(urlconf: str | None = None) -> list[Route]:
    return list(_walk(get_resolver(urlconf).url_patterns))


def missing_rules(urlconf: str | None = None) -> list[Route]:
    return [route for route in all_routes(urlconf) if route.rule is None]

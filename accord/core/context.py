from typing import Any

from django.conf import settings
from django.http import HttpRequest

# Which main-navigation entry a page belongs to, by URL name: (view names, the entry).
# Pages of a section other than its first page get aria-current="true"; the first, "page".
_SECTIONS = {
    "core:dashboard": "dashboard",
    "cases:triage": "triage",
    "cases:my_reports": "my_reports",
    "cases:report_new": "report",
    "cases:policy": "policy",
    "cases:portal": "portal",
    "publication:list": "notes",
    "vendors:directory": "vendors",
    # The account menu's entries.
    "accounts:profile": "profile",
    "accounts:organizations": "organizations",
    "accounts:tokens": "tokens",
    "cases:policy_edit": "policy_edit",
}
# The mail triage pages belong to Triage: mail that could not be routed is triaged there too.
_STAFF_NAMESPACES = {"vendors": "vendors", "mailgate": "triage"}


def _section(request: HttpRequest) -> tuple[str, str] | None:
    """(entry, "page" or "true") for the main navigation; None outside it. No queries."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return None
    name = match.view_name
    if name in _SECTIONS:
        return _SECTIONS[name], "page"
    user = getattr(request, "user", None)
    analyst = bool(getattr(user, "is_analyst", False))
    if analyst and match.namespace in _STAFF_NAMESPACES:
        return _STAFF_NAMESPACES[match.namespace], "true"
    if name.startswith("cases:report_") and name not in ("cases:report_follow",):
        return ("triage" if analyst else "my_reports"), "true"
    if name.startswith("cases:portal"):
        return "portal", "true"
    if match.namespace == "publication":
        return "notes", "true"
    return None


def site(request: HttpRequest) -> dict[str, Any]:
    section = _section(request)
    return {
        "instance_name": settings.INSTANCE_NAME,
        "nav_current": {section[0]: section[1]} if section else {},
    }

"""The public URLs of a note's machine-readable exports (issue 12):
`/vuls/<case>/csaf.json` for the newest revision and `/vuls/<case>/revisions/<k>/csaf.json` for
revision k, likewise osv.json, openvex.json, cve.json and csaf-2.1.json (when ACCORD_CSAF_21 is on).

The bytes are registry.document()'s, the same the API and `accord export` give. A refusal is a
plain-text sentence with its reason: 404 (no such public note, revision or format, or the format
cannot describe this note), or 410 for a withdrawn note, as its page answers.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_safe

from accord.core.access import access
from accord.exports import lookup, source


def export_response(found: lookup.Export) -> HttpResponse:
    response = HttpResponse(found.content, content_type=f"{found.fmt.media_type}; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{found.filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    # Published advisories are public data that scanners and dashboards fetch from other origins;
    # no cookie ever authorises these URLs, so any origin may read them.
    response["Access-Control-Allow-Origin"] = "*"
    return response


def refusal(exc: lookup.Unavailable) -> HttpResponse:
    response = HttpResponse(exc.detail + "\n", status=exc.status, content_type="text/plain; charset=utf-8")
    response["X-Content-Type-Options"] = "nosniff"
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _serve(case: str, filename: str, revision: int | None) -> HttpResponse:
    try:
        return export_response(lookup.export(case, filename, revision, by_filename=True))
    except lookup.Unavailable as exc:
        return refusal(exc)


@access("public")
@require_safe
def note_export(request: HttpRequest, case: str, filename: str) -> HttpResponse:
    return _serve(case, filename, None)


@access("public")
@require_safe
def revision_export(request: HttpRequest, case: str, revision_number: int, filename: str) -> HttpResponse:
    return _serve(case, filename, revision_number)


def links(published: source.Published, ref: str, *, revision_page: bool) -> list[dict[str, Any]]:
    """The "Machine-readable formats" list of a public note page: each enabled format with its URL,
    or its reason for not being available. A revision page links that revision's documents."""
    out = []
    for offer in lookup.offers(published):
        if revision_page:
            url = reverse("publication:revision_export", args=[ref, published.revision, offer.fmt.filename])
        else:
            url = reverse("publication:export", args=[ref, offer.fmt.filename])
        out.append({"fmt": offer.fmt, "url": url, "reason": offer.reason})
    return out

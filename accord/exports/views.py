"""The CSAF provider directory under /.well-known/csaf/ (CSAF 2.0 §7.1): public, read-only, and read
only from the stored rows (accord.exports.directory), never from drafts. A file that does not exist
(or a 2.1 path while ACCORD_CSAF_21 is off) is a plain 404; nothing here redirects (requirement 6)."""

from __future__ import annotations

import json
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from accord.core.access import access
from accord.exports import directory
from accord.exports.directory import Tree

TEXT = "text/plain; charset=utf-8"


def _tree(spec: str) -> Tree:
    tree = directory.tree(spec)
    if tree is None:
        raise Http404("CSAF 2.1 is not served here (ACCORD_CSAF_21 is off).")
    return tree


def _json(data: Any) -> HttpResponse:
    return HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False) + "\n", content_type="application/json"
    )


@access("public")
@require_safe
def provider_metadata(request: HttpRequest, spec: str, canonical: str) -> HttpResponse:
    """provider-metadata.json; `canonical` names the URL it claims as its own. With CSAF 2.1 on, the
    well-known URL serves the 2.0 metadata of /.well-known/csaf/v2.0/ (2.0 stays authoritative), and
    /.well-known/csaf/v2.0/ exists only then."""
    tree = _tree(spec)
    if canonical == "provider_metadata" and directory.tree("2.1") is not None:
        canonical = "provider_metadata_20"
    elif canonical == "provider_metadata_20" and directory.tree("2.1") is None:
        raise Http404("No transition to CSAF 2.1 is under way here.")
    return _json(directory.provider_metadata(tree, directory.url(canonical)))


@access("public")
@require_safe
def service(request: HttpRequest, spec: str) -> HttpResponse:
    return _json(directory.rolie_service(_tree(spec)))


@access("public")
@require_safe
def feed(request: HttpRequest, spec: str) -> HttpResponse:
    return _json(directory.rolie_feed(_tree(spec)))


@access("public")
@require_safe
def index_txt(request: HttpRequest, spec: str) -> HttpResponse:
    return HttpResponse(directory.index_txt(_tree(spec)), content_type=TEXT)


@access("public")
@require_safe
def changes_csv(request: HttpRequest, spec: str) -> HttpResponse:
    # RFC 7111's text/csv would make browsers download it; the folder is for reading too.
    return HttpResponse(directory.changes_csv(_tree(spec)), content_type=TEXT)


@access("public")
@require_safe
def folder(request: HttpRequest, spec: str) -> HttpResponse:
    """The TLP folder's listing (requirement 14): the year folders and the lists."""
    tree = _tree(spec)
    names = [f"{year}/" for year in directory.years(tree)] + ["changes.csv", "index.txt", tree.feed_name]
    path = reverse(f"exports:folder{tree.suffix}")
    return render(request, "exports/listing.html", {"path": path, "parent": "../", "names": names})


@access("public")
@require_safe
def year(request: HttpRequest, spec: str, year: str) -> HttpResponse:
    tree = _tree(spec)
    files = directory.year_files(tree, year)
    if not files:
        raise Http404("No CSAF document was first released that year.")
    names = []
    for row in files:
        names += [row.filename, row.filename + ".sha256", row.filename + ".sha512"]
        names += [row.filename + ".asc"] if row.signature else []
    path = reverse(f"exports:year{tree.suffix}", args=[year])
    return render(request, "exports/listing.html", {"path": path, "parent": "../", "names": names})


@access("public")
@require_safe
def file(request: HttpRequest, spec: str, year: str, filename: str) -> HttpResponse:
    """A document (.json), its hashes in `sha256sum` format (.sha256, .sha512), or its signature (.asc)."""
    tree = _tree(spec)
    name, dot, extension = filename.partition(".json")
    row = directory.stored(tree, year, name + dot)
    if row is None:
        raise Http404("No such CSAF document.")
    if extension == "":
        response = HttpResponse(bytes(row.content), content_type="application/json")
    elif extension in (".sha256", ".sha512"):
        digest = row.sha256 if extension == ".sha256" else row.sha512
        response = HttpResponse(f"{digest}  {row.filename}\n", content_type=TEXT)
    elif extension == ".asc" and row.signature:
        response = HttpResponse(row.signature, content_type="application/pgp-signature")
    else:
        raise Http404("This document has no signature: no coordinator key could sign it.")
    return response

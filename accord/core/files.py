"""Serving a stored file to someone the gate let through: always a download, never rendered."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, Http404


def download(stored: Any, name: str) -> FileResponse:
    """`stored` is a FieldFile; a file missing from the disk is the same 404 as a missing row."""
    try:
        handle = stored.open("rb")
    except FileNotFoundError:
        raise Http404("No such file.")
    response = FileResponse(
        handle, as_attachment=True, filename=name, content_type="application/octet-stream"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response

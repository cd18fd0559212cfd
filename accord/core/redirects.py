"""Where a `next` parameter may send the browser: a path on this site, nothing else."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def local_next(request: HttpRequest, candidate: str | None) -> str | None:
    """`candidate` when it is a path on this site ("/cases/…"), else None.

    A value without the leading slash is refused as well: redirect() takes a bare word such
    as "²" for a view name and crashes on it, and a relative path means nothing here.
    """
    if (
        candidate
        and candidate.startswith("/")
        and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return candidate
    return None

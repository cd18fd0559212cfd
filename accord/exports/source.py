"""What an exporter reads: one published revision of a note, and the instance publishing it.

`Published` is plain data, so exporters stay pure and tests can build it by hand. `published()` is
the only way code gets one: it reads through accord.publication.public, which returns only PUBLISHED
revisions of notes that are not withdrawn. Snapshots were built through the presenter's public view
(accord.publication.snapshot), so nothing an anonymous vendor hid is in them.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse

from accord.lib.time import rfc3339
from accord.publication import public
from accord.publication.snapshot_types import Snapshot


@dataclass(frozen=True)
class RevisionInfo:
    number: int
    published_at: str  # RFC 3339, UTC
    summary: str


@dataclass(frozen=True)
class Site:
    """The publishing instance, from the settings."""

    name: str  # ACCORD_INSTANCE_NAME: the CSAF publisher's name
    url: str  # ACCORD_SITE_URL without the trailing slash: the CSAF publisher's namespace
    contact_email: str
    cve_org_id: str = ""  # ACCORD_CVE_ORG_ID; "" = CVE records are not available
    cve_org_short_name: str = ""
    osv_prefix: str = ""  # ACCORD_OSV_PREFIX; "" = the unregistered "x_" prefix

    def note_url(self, number: int, revision: int | None = None) -> str:
        if revision is None:
            return self.url + reverse("publication:note", args=[number])
        return self.url + reverse("publication:revision", args=[number, revision])


@dataclass(frozen=True)
class Published:
    snapshot: Snapshot
    revision: int  # this revision's number
    published_at: str  # this revision's publication instant, RFC 3339
    history: list[RevisionInfo]  # the published revisions up to and including this one, oldest first
    site: Site


def site() -> Site:
    return Site(
        name=settings.INSTANCE_NAME,
        url=settings.SITE_URL,
        contact_email=settings.DEFAULT_FROM_EMAIL,
        cve_org_id=settings.CVE_ORG_ID,
        cve_org_short_name=settings.CVE_ORG_SHORT_NAME or settings.INSTANCE_NAME,
        osv_prefix=settings.OSV_PREFIX,
    )


def published(ref: str, revision: int | None = None) -> Published | None:
    """Revision `revision` (default: the newest) of the public note of case `ref`, or None when
    there is none the public may read (never published, withdrawn, or no such revision)."""
    note = public.note_for(ref, revision)
    return None if note is None else of_note(note)


def of_note(note: public.PublicNote) -> Published | None:
    """The export input of a note the public query layer already loaded (None for a tombstone)."""
    if note.revision is None:
        return None
    shown = note.revision
    assert shown.number is not None and shown.published_at is not None
    history = [
        RevisionInfo(r.number, rfc3339(r.published_at) or "", r.change_summary)
        for r in note.history
        if r.number is not None and r.number <= shown.number
    ]
    return Published(
        snapshot=shown.snapshot,
        revision=shown.number,
        published_at=rfc3339(shown.published_at) or "",
        history=history,
        site=site(),
    )

"""The one query layer for public reads of Vulnerability Notes (issue 11, the public site).

Every public page, feed, sitemap and public API route reads notes through these functions only.
They return PUBLISHED revisions of notes that are not withdrawn; a withdrawn note is a tombstone.
Drafts, notes never published, PENDING and DISCARDED revisions never leave this module.
Each function runs a constant number of queries, whatever the number of vendors in a snapshot.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.fields.json import KT

from accord.answers.models import Statement
from accord.lib import openpgp
from accord.lib.ids import parse_case_ref
from accord.publication.models import Note, Revision
from accord.publication.snapshot_text import vendor_marker

PUBLISHED = Revision.State.PUBLISHED


def public_revisions() -> QuerySet[Revision]:
    """Published, numbered revisions of notes that are not withdrawn."""
    return Revision.objects.filter(
        state=PUBLISHED, number__isnull=False, published_at__isnull=False, note__withdrawn_at__isnull=True
    ).exclude(note__state=Note.State.WITHDRAWN)


def latest_revisions() -> QuerySet[Revision]:
    """The latest public revision of every public note, newest first, with its title and case number
    as columns (the snapshot itself is deferred: a list never loads 300 vendors' statements)."""
    newer = Revision.objects.filter(note=OuterRef("note"), state=PUBLISHED, number__gt=OuterRef("number"))
    return (
        public_revisions()
        .filter(~Exists(newer))
        .select_related("note", "note__case")
        .defer("snapshot", "search_text")
        .annotate(title=KT("snapshot__title"))
        .order_by("-published_at", "-id")
    )


def published_notes(*, year: int | None = None, vendor: str = "", q: str = "") -> QuerySet[Revision]:
    """The public list: latest revisions, filtered by first publication year, public vendor name
    (the alias of an anonymous vendor) and full text (`q`), newest first."""
    # NUL can never match published text, and PostgreSQL refuses it in a query: drop it.
    vendor, q = vendor.replace("\x00", ""), q.replace("\x00", "")
    rows = latest_revisions()
    if year is not None:
        rows = rows.filter(note__first_published_at__year=year)
    if vendor.strip():
        rows = rows.filter(search_text__icontains=vendor_marker(vendor))
    if q.strip():
        rows = search_filter(rows, q)
    return rows


def search_filter(rows: QuerySet[Revision], q: str) -> QuerySet[Revision]:
    # Every word must appear (icontains works on every backend; the text is the published snapshot).
    condition = Q()
    for word in q.replace("\x00", "").split()[:20]:
        condition &= Q(search_text__icontains=word)
    return rows.filter(condition)


def years() -> list[int]:
    """The years with a first publication, newest first (one query)."""
    dates = (
        Note.objects.filter(revisions__in=public_revisions())
        .dates("first_published_at", "year", order="DESC")
        .distinct()
    )
    return [d.year for d in dates]


@dataclass
class PublicNote:
    """A note as the public may see it: its shown revision and history, or a tombstone."""

    note: Note
    number: int  # the case number
    revision: Revision | None  # None for a tombstone
    history: list[Revision] = field(default_factory=list)  # published revisions, oldest first

    @property
    def withdrawn(self) -> bool:
        return self.revision is None

    @property
    def snapshot(self) -> dict[str, Any]:
        assert self.revision is not None
        return self.revision.snapshot


def case_number(ref: str) -> int | None:
    """`854306`, `VU854306`, `VU#854306` (1-7 digits) -> 854306."""
    return parse_case_ref(ref)


def note_for(ref: str, revision: int | None = None, *, staff: bool = False) -> PublicNote | None:
    """The note of case `ref` with its latest public revision (or revision `revision`), a tombstone
    for a withdrawn note (whose revisions only `staff` may still read), or None (404).
    Three queries at most."""
    number = case_number(ref)
    if number is None:
        return None
    note = Note.objects.select_related("case").filter(case__number=number).first()
    if note is None:
        return None
    withdrawn = note.state == Note.State.WITHDRAWN or note.withdrawn_at is not None
    history = list(
        Revision.objects.filter(note=note, state=PUBLISHED, number__isnull=False, published_at__isnull=False)
        .defer("snapshot", "search_text")
        .order_by("number")
    )
    if not history:
        return None  # never published: nothing public, not even a tombstone
    if withdrawn and not (staff and revision is not None):
        return PublicNote(note=note, number=number, revision=None, history=history)
    wanted = revision if revision is not None else history[-1].number
    if wanted not in {r.number for r in history}:
        return None
    shown = Revision.objects.get(note=note, state=PUBLISHED, number=wanted)
    return PublicNote(note=note, number=number, revision=shown, history=history)


def statement_for(ref: str, statement_id: int) -> tuple[bytes, Statement, dict[str, Any]] | None:
    """The bytes the public may read of a statement, the statement and its snapshot item, only when
    a public revision of that note publishes it (with the same bytes: the sha256 must match).
    Never a statement of another case or an unpublished one.

    A named vendor's statement is served exactly as stored. An anonymous vendor's is served without
    any OpenPGP armour (process.md "Anonymity"): a clearsigned block carries the signer's key id
    and user id, which would unmask it."""
    number = case_number(ref)
    if number is None:
        return None
    snapshots = public_revisions().filter(note__case__number=number).values_list("snapshot", flat=True)
    item = None
    for snapshot in snapshots:
        for vendor in (snapshot or {}).get("vendors", []):
            statement = vendor.get("statement")
            if statement and statement.get("id") == statement_id:
                item = {**statement, "anonymous": bool(vendor.get("anonymous"))}
    if item is None:
        return None
    row = Statement.objects.filter(pk=statement_id, participant__case__number=number).first()
    if row is None:
        return None
    exact = row.text_bytes
    shown = openpgp.without_signatures(exact) if item["anonymous"] else exact
    # The snapshot's hash is of the stored bytes (or, for an anonymous vendor, of what it publishes).
    if item.get("sha256") not in {hashlib.sha256(exact).hexdigest(), hashlib.sha256(shown).hexdigest()}:
        return None
    return shown, row, item


# --- Search text -------------------------------------------------------------------------------


def parse_instant(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None

"""Keep the CSAF provider directory (CSAF 2.0 §7.1) in step with the public notes.

`refresh()` builds the CSAF document of every public note's latest revision through the registry
(the same bytes as every other surface), and stores a row only when the bytes changed: then it
hashes and signs them again with the coordinator's key. A document whose bytes did not change is
neither rewritten nor re-signed, so its .asc and changes.csv line stay as they were. Rows of notes
that are no longer public (withdrawn), or whose format is "not available", are removed.

gpg runs outside any database transaction (signing can take a while): sign first, then save in a
short transaction. It runs after every publication (accord.exports.tasks), every few minutes from
the scheduler, and from `accord csaf_refresh`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from accord.exports import registry, source
from accord.exports.ids import csaf_filename
from accord.exports.models import CsafDirectory, CsafDocument
from accord.lib import openpgp
from accord.mailgate import coordinator_key
from accord.publication import public

log = logging.getLogger(__name__)

# Each directory's spec and the export format that fills it.
FORMATS = {"2.0": "csaf", "2.1": "csaf21"}


def enabled_specs() -> list[str]:
    """The specs served: 2.0 always, 2.1 with ACCORD_CSAF_21."""
    return [spec for spec, name in FORMATS.items() if registry.get(name) is not None]


@dataclass
class Counts:
    changed: int = 0  # stored anew (new or changed bytes, or signed again with a new key)
    unchanged: int = 0
    removed: int = 0  # no longer public, or no longer available
    unavailable: int = 0  # the format is "not available" for the note (registry.NotAvailable)
    failed: int = 0  # the exporter failed: the row (if any) is kept as it was, and the error logged

    def __str__(self) -> str:
        return ", ".join(f"{value} {name}" for name, value in vars(self).items())


@dataclass(frozen=True)
class Signer:
    secret: str
    passphrase: str | None
    fingerprint: str


def signer() -> Signer | None:
    """The coordinator's key, when one is set up and readable; None otherwise (documents are then
    served without a signature, and the provider is not a trusted provider)."""
    try:
        key = coordinator_key.signing_key()
    except coordinator_key.KeyProblem as exc:
        log.warning("CSAF documents cannot be signed: %s", exc)
        return None
    published = coordinator_key.public_key()
    if key is None or published is None:
        return None
    return Signer(key[0], key[1], published.fingerprint)


@dataclass(frozen=True)
class Built:
    content: bytes
    sha256: str
    sha512: str
    tracking_id: str
    title: str
    initial_release_date: str
    current_release_date: str

    @property
    def path(self) -> str:
        # CSAF §7.1.11: one folder per year of the initial release; §5.1: the file name.
        return f"{self.initial_release_date[:4]}/{csaf_filename(self.tracking_id)}"


def build(spec: str, published: source.Published) -> Built:
    """The document's bytes and what the directory lists of it. Raises registry.NotAvailable."""
    fmt = registry.get(FORMATS[spec])
    assert fmt is not None
    content = registry.document(fmt, published)
    document = json.loads(content)["document"]
    tracking = document["tracking"]
    return Built(
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        sha512=hashlib.sha512(content).hexdigest(),
        tracking_id=tracking["id"],
        title=document["title"],
        initial_release_date=tracking["initial_release_date"],
        current_release_date=tracking["current_release_date"],
    )


def _sign(content: bytes, key: Signer | None) -> tuple[str, str]:
    """(armoured detached signature, fingerprint), or ("", "") when there is no key or it cannot sign."""
    if key is None:
        return "", ""
    try:
        return openpgp.sign_detached(content, key.secret, key.passphrase), key.fingerprint
    except openpgp.OpenPGPError as exc:
        log.warning("A CSAF document is served unsigned: %s", exc)
        return "", ""


def _needs_signature(row: CsafDocument, key: Signer | None) -> bool:
    # Unsigned while a key exists, or signed with another key than the one now published.
    return key is not None and row.signed_by != key.fingerprint


def _instant(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def _save(
    spec: str, note_id: int, number: int, revision: int, built: Built, signature: tuple[str, str]
) -> None:
    now = timezone.now()
    with transaction.atomic():
        CsafDocument.objects.update_or_create(
            spec=spec,
            note_id=note_id,
            defaults={
                "case_number": number,
                "tracking_id": built.tracking_id,
                "title": built.title[:1000],
                "path": built.path,
                "revision": revision,
                "content": built.content,
                "sha256": built.sha256,
                "sha512": built.sha512,
                "signature": signature[0],
                "signed_by": signature[1],
                "initial_release_date": built.initial_release_date,
                "current_release_date": built.current_release_date,
                "released_at": _instant(built.current_release_date),
                "changed_at": now,
            },
        )
        CsafDirectory.objects.update_or_create(spec=spec, defaults={"updated_at": now})


def refresh(progress: Callable[[str], None] | None = None) -> Counts:
    """Bring the stored directory in step with the public notes; returns what changed."""
    say = progress or (lambda line: None)
    counts = Counts()
    specs = enabled_specs()
    key = signer()
    stored = {(row.spec, row.note_id): row for row in CsafDocument.objects.defer("content")}
    keep: set[tuple[str, int]] = set()
    notes = list(public.latest_revisions().values_list("note_id", "note__case__number"))
    say(f"{len(notes)} public notes; CSAF {', '.join(specs)}; {'signing' if key else 'no key: unsigned'}")
    for note_id, number in notes:
        published = source.published(str(number))
        if published is None:
            continue  # withdrawn meanwhile: its rows go below
        for spec in specs:
            row = stored.get((spec, note_id))
            try:
                built = build(spec, published)
            except registry.NotAvailable as exc:
                counts.unavailable += 1
                say(f"VU#{number} CSAF {spec}: not available ({exc})")
                continue
            except Exception:
                # One exporter failure must not empty the directory: keep what was served.
                log.exception("CSAF %s of VU#%s could not be built", spec, number)
                counts.failed += 1
                if row is not None:
                    keep.add((spec, note_id))
                continue
            keep.add((spec, note_id))
            # Equal SHA-512 digests stand for equal bytes: the stored bytes need not be loaded.
            same = row is not None and row.sha512 == built.sha512 and row.path == built.path
            if same and row is not None and not _needs_signature(row, key):
                counts.unchanged += 1
                continue
            # Same bytes, new key: sign again; otherwise sign the new bytes.
            _save(spec, note_id, number, published.revision, built, _sign(built.content, key))
            counts.changed += 1
            say(f"VU#{number} CSAF {spec}: {built.path} revision {published.revision}")
    stale = [row for pair, row in stored.items() if pair not in keep]
    if stale:
        with transaction.atomic():
            CsafDocument.objects.filter(pk__in=[row.pk for row in stale]).delete()
            for spec in {row.spec for row in stale}:
                CsafDirectory.objects.update_or_create(spec=spec, defaults={"updated_at": timezone.now()})
        counts.removed = len(stale)
        for row in stale:
            say(f"VU#{row.case_number} CSAF {row.spec}: {row.path} removed")
    return counts

"""One export of one public note, for every surface that hands exports out: the public URLs, the API
and `accord export`. They all call `export()`, so they serve the same bytes and refuse for the same
reasons, in the same words."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from accord.exports import registry, source
from accord.exports.ids import csaf_filename
from accord.exports.registry import Format
from accord.lib.ids import case_label
from accord.publication import public

log = logging.getLogger(__name__)


class Unavailable(Exception):
    """No document to hand out. `status` is the HTTP status (404, or 410 for a withdrawn note);
    the message is one sentence that names the case and the reason."""

    def __init__(self, status: int, detail: str):
        super().__init__(detail)
        self.status = status
        self.detail = detail


@dataclass(frozen=True)
class Export:
    fmt: Format
    published: source.Published
    content: bytes
    revision_named: bool  # the caller asked for this revision by number

    @property
    def filename(self) -> str:
        """A download name: CSAF's own rule (§5.1, from the tracking id) for CSAF, else
        "vu_854306.osv.json", with the revision when one was asked for."""
        base = csaf_filename(self.published.snapshot["case"])
        if self.fmt.name in ("csaf", "csaf21"):
            return base
        stem = base.removesuffix(".json")
        if self.revision_named:
            stem += f".r{self.published.revision}"
        return f"{stem}.{self.fmt.filename}"


def label_of(ref: str) -> str:
    number = public.case_number(ref)
    return case_label(number) if number is not None else repr(ref)


def format_named(name: str, *, by_filename: bool = False) -> Format:
    """The enabled format `name`: a registry name such as "csaf", or with `by_filename` the file
    name in its URL ("csaf.json")."""
    for fmt in registry.formats(enabled_only=False):
        if name == (fmt.filename if by_filename else fmt.name):
            if not fmt.enabled:
                raise Unavailable(404, f"{fmt.title} is turned off on this instance ({fmt.setting}).")
            return fmt
    names = ", ".join(f.name for f in registry.formats())
    raise Unavailable(404, f"There is no export format named {name[:40]!r}; the formats are {names}.")


def unpublished_reason(ref: str, revision: int | None) -> Unavailable:
    """Why `source.published(ref, revision)` gave nothing, in the public's words: the note was
    withdrawn (410), or there is no such public note or revision (404)."""
    label = label_of(ref)
    if public.case_number(ref) is None:
        return Unavailable(404, f"{label} is not a case id like VU#854306.")
    found = public.note_for(ref)
    if found is None:
        return Unavailable(404, f"{label} has no published note.")
    if found.withdrawn:
        reason = found.note.withdrawn_reason or "no reason given"
        return Unavailable(410, f"{label} was withdrawn: {one_line(reason)}")
    return Unavailable(404, f"{label} has no published revision {revision}.")


def one_line(text: str) -> str:
    return " ".join(str(text).split())


def not_available(fmt: Format, exc: registry.NotAvailable) -> str:
    return f"{fmt.title} is not available for this note: {one_line(str(exc))}"


def export(ref: str, name: str, revision: int | None = None, *, by_filename: bool = False) -> Export:
    """Format `name` of revision `revision` (default: the newest) of the public note of `ref`.
    Raises Unavailable."""
    fmt = format_named(name, by_filename=by_filename)
    published = source.published(ref, revision)
    if published is None:
        raise unpublished_reason(ref, revision)
    try:
        content = registry.document(fmt, published)
    except registry.NotAvailable as exc:
        raise Unavailable(404, not_available(fmt, exc)) from exc
    return Export(fmt, published, content, revision_named=revision is not None)


@dataclass(frozen=True)
class Offer:
    """A format as the note page lists it: available, or not with the reason."""

    fmt: Format
    reason: str = ""  # "" when the document exists


def offers(published: source.Published) -> list[Offer]:
    """Every enabled format of this revision. An exporter's bug must not take the note page down
    with it: it is logged, and the format shows as not available."""
    out = []
    for fmt in registry.formats():
        try:
            registry.document(fmt, published)
        except registry.NotAvailable as exc:
            out.append(Offer(fmt, one_line(str(exc))))
        except Exception:
            log.exception("export %s of %s failed", fmt.name, published.snapshot["case"])
            out.append(Offer(fmt, "an error occurred while building it"))
        else:
            out.append(Offer(fmt))
    return out

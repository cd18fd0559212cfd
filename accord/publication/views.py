"""The public site: the note list, note pages and revisions, raw statements, the feed, the sitemap
and the "For vendors" page. Every read goes through accord.publication.public."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps.views import sitemap as sitemap_view
from django.contrib.syndication.views import Feed
from django.core.paginator import Paginator
from django.db.models.fields.json import KT
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.views.decorators.http import require_safe

from accord.cases import policy
from accord.core.access import access
from accord.exports import source
from accord.lib.ids import case_label
from accord.mailgate import coordinator_key
from accord.publication import public, views_exports
from accord.publication.models import Note, Revision

PAGE_SIZE = 25
MAX_QUERY = 200


def _is_staff(request: HttpRequest) -> bool:
    return bool(getattr(request.user, "is_analyst", False))


def _year(value: str | None) -> int | None:
    return int(value) if value and value.isascii() and value.isdigit() and len(value) == 4 else None


@access("public")
@require_safe
def note_list(request: HttpRequest) -> HttpResponse:
    year = _year(request.GET.get("year"))
    vendor = request.GET.get("vendor", "")[:MAX_QUERY]
    q = request.GET.get("q", "")[:MAX_QUERY]
    rows = public.published_notes(year=year, vendor=vendor, q=q)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    filters = {k: v for k, v in (("year", year or ""), ("vendor", vendor), ("q", q)) if v}
    context = {
        "page": page,
        "years": public.years(),
        "year": year,
        "vendor": vendor,
        "q": q,
        "query": urlencode(filters),
        "filtered": bool(filters),
    }
    return render(request, "publication/list.html", context)


def _note_or_404(request: HttpRequest, case: str, revision: int | None = None) -> public.PublicNote:
    found = public.note_for(case, revision, staff=_is_staff(request))
    if found is None:
        raise Http404("No published note")
    return found


def _render_note(request: HttpRequest, found: public.PublicNote, *, revision: bool = False) -> HttpResponse:
    context: dict[str, Any] = {"found": found, "label": case_label(found.number), "staff": _is_staff(request)}
    if found.withdrawn:
        return render(request, "publication/tombstone.html", context, status=410)
    assert found.revision is not None
    context["snapshot"] = found.revision.snapshot
    context["revision"] = found.revision
    context["latest"] = found.history[-1].number == found.revision.number
    context["exports"] = _exports(found, revision_page=revision)
    context["revision_page"] = revision
    return render(request, "publication/note.html", context)


def _exports(found: public.PublicNote, *, revision_page: bool) -> list[dict[str, Any]]:
    """The export links, only for what the public may fetch (not a withdrawn note's revision that
    staff read here: its export URLs answer 410)."""
    if found.note.withdrawn_at is not None or found.note.state == Note.State.WITHDRAWN:
        return []
    assert found.revision is not None
    published = source.of_note(found)  # the revision this page already loaded: no second lookup
    if published is None:
        return []
    return views_exports.links(published, found.note.case.url_ref, revision_page=revision_page)


@access("public")
@require_safe
def note_page(request: HttpRequest, case: str) -> HttpResponse:
    return _render_note(request, _note_or_404(request, case))


@access("public")
@require_safe
def revision_page(request: HttpRequest, case: str, revision_number: int) -> HttpResponse:
    """An older (or the latest) revision; a withdrawn note's revisions for staff only."""
    return _render_note(request, _note_or_404(request, case, revision_number), revision=True)


@access("public")
@require_safe
def statement_raw(request: HttpRequest, case: str, statement_id: int) -> HttpResponse:
    """The statement's exact bytes, only when a public revision of this note publishes it."""
    found = public.statement_for(case, statement_id)
    if found is None:
        raise Http404("No published statement")
    shown, _, _ = found
    response = HttpResponse(shown, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="statement-{statement_id}.txt"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@access("public")
@require_safe
def statement_signature(request: HttpRequest, case: str, statement_id: int) -> HttpResponse:
    """A named vendor's detached signature over the raw bytes (never an anonymous vendor's)."""
    found = public.statement_for(case, statement_id)
    if found is None:
        raise Http404("No published statement")
    _, statement, item = found
    if item["anonymous"] or item.get("signature_kind") != "detached" or not statement.signature:
        raise Http404("No published signature")
    response = HttpResponse(statement.signature, content_type="application/pgp-signature")
    response["Content-Disposition"] = f'inline; filename="statement-{statement_id}.asc"'
    return response


class NoteFeed(Feed):
    feed_type = Atom1Feed
    description_template = None

    def title(self) -> str:
        return f"{settings.INSTANCE_NAME}: Vulnerability Notes"

    def link(self) -> str:
        return reverse("publication:list")

    def subtitle(self) -> str:
        return "Published Vulnerability Notes and their revisions, newest first."

    def items(self) -> list[Revision]:
        # Every published revision (a correction is news too), never a pending or discarded one.
        return list(
            public.public_revisions()
            .select_related("note__case")
            .defer("snapshot", "search_text")
            .annotate(title=KT("snapshot__title"))
            .order_by("-published_at", "-id")[:50]
        )

    def item_title(self, item: Revision) -> str:
        label = case_label(item.note.case.number)
        suffix = f" (revision {item.number})" if item.number and item.number > 1 else ""
        return f"{label}: {item.title}{suffix}"  # type: ignore[attr-defined]

    def item_description(self, item: Revision) -> str:
        return item.change_summary or "First publication."

    def item_link(self, item: Revision) -> str:
        return reverse("publication:revision", args=[item.note.case.url_ref, item.number])

    def item_guid(self, item: Revision) -> str:
        return f"{case_label(item.note.case.number)}/{item.number}"

    def item_pubdate(self, item: Revision) -> Any:
        return item.published_at

    def item_updateddate(self, item: Revision) -> Any:
        return item.published_at


note_feed = access("public")(require_safe(NoteFeed()))


class NoteSitemap(Sitemap):
    changefreq = "monthly"
    limit = 5000

    def items(self) -> Any:
        return public.latest_revisions()

    def location(self, item: Revision) -> str:
        return reverse("publication:note", args=[item.note.case.url_ref])

    def lastmod(self, item: Revision) -> Any:
        return item.published_at


@access("public")
@require_safe
def sitemap(request: HttpRequest) -> HttpResponse:
    return sitemap_view(request, sitemaps={"notes": NoteSitemap()})


@access("public")
@require_safe
def for_vendors(request: HttpRequest) -> HttpResponse:
    """How a vendor answers and works with this coordinator, from the instance's own settings."""
    key = coordinator_key.public_key()
    fingerprint = (
        " ".join(key.fingerprint[i : i + 4] for i in range(0, len(key.fingerprint), 4)) if key else ""
    )
    context = {
        "contact_email": settings.DEFAULT_FROM_EMAIL,
        "recipients": [r for r in settings.MAIL_RECIPIENTS if r != settings.DEFAULT_FROM_EMAIL],
        "key": key,
        "fingerprint": fingerprint,
        "example": case_label(854306),
        "values": policy.snapshot(),
    }
    return render(request, "publication/for_vendors.html", context)

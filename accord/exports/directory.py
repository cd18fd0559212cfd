"""What the CSAF provider directory serves, built from the stored rows only (accord.exports.models).

CSAF 2.0 §7.1: provider-metadata.json (requirement 7), one folder per year (11), index.txt (12),
changes.csv (13), directory listings (14), a ROLIE feed and service document (15, 16), hash files
(18), signatures (19) and the public key (20, served by accord.core at /.well-known/openpgpkey.asc).

With ACCORD_CSAF_21 the same tree for CSAF 2.1 is served under /.well-known/csaf/v2.1/, as the 2.1
draft's "Transition between CSAF 2.0 and CSAF 2.1" recommends: 2.0 stays authoritative, so
/.well-known/csaf/provider-metadata.json is then the 2.0 metadata, also served (with its canonical
URL) at /.well-known/csaf/v2.0/provider-metadata.json. CSAF 2.1 calls TLP:WHITE "CLEAR".

Every function runs a constant number of queries, whatever the number of documents.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from accord.exports import source
from accord.exports.models import CsafDirectory, CsafDocument
from accord.exports.provider import enabled_specs
from accord.lib.time import rfc3339
from accord.mailgate import coordinator_key

ROLIE_CSAF = {"scheme": "urn:ietf:params:rolie:category:information-type", "term": "csaf"}
SCHEMAS = {
    "2.0": "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json",
    "2.1": "https://docs.oasis-open.org/csaf/csaf/v2.1/schema/csaf.json",
}
PROVIDER_SCHEMA_21 = "https://docs.oasis-open.org/csaf/csaf/v2.1/schema/provider.json"


@dataclass(frozen=True)
class Tree:
    spec: str
    tlp: str  # the TLP label of every document Accord publishes: they are public
    folder: str  # the folder of that label's documents
    suffix: str  # of the URL names (accord/exports/urls.py)

    @property
    def feed_name(self) -> str:
        return f"csaf-feed-tlp-{self.folder}.json"


TREES = {"2.0": Tree("2.0", "WHITE", "white", ""), "2.1": Tree("2.1", "CLEAR", "clear", "_21")}


def tree(spec: str) -> Tree | None:
    """The tree of `spec`, when it is served."""
    return TREES[spec] if spec in enabled_specs() else None


def url(name: str, tree: Tree | None = None, *args: Any) -> str:
    return settings.SITE_URL + reverse(f"exports:{name}{tree.suffix if tree else ''}", args=args)


def document_url(tree: Tree, row: CsafDocument) -> str:
    year, filename = row.path.split("/", 1)
    return url("file", tree, year, filename)


def rows(tree: Tree) -> QuerySet[CsafDocument]:
    """The stored documents of a tree, newest change first, without their bytes."""
    return CsafDocument.objects.filter(spec=tree.spec).defer("content").order_by("-released_at", "-id")


def last_updated(tree: Tree) -> str:
    updated = CsafDirectory.objects.filter(spec=tree.spec).values_list("updated_at", flat=True).first()
    return rfc3339(updated or timezone.now()) or ""


def publisher(tree: Tree) -> dict[str, Any]:
    """The publisher exactly as the CSAF documents name it (accord.exports.csaf.document), since
    requirement 7 says it SHOULD match theirs; CSAF 2.1 has a structured contact."""
    site = source.site()
    publisher: dict[str, Any] = {"category": "coordinator", "name": site.name, "namespace": site.url}
    if site.contact_email:
        if tree.spec == "2.0":
            publisher["contact_details"] = site.contact_email
        else:
            publisher["contact"] = {"email": site.contact_email}
    return publisher


def role(tree: Tree) -> str:
    """csaf_trusted_provider only when it holds: every served document is signed with the published
    key (requirements 19 and 20; hashes, 18, always exist) and the site is served over TLS
    (requirement 3). Otherwise csaf_provider: the directory and ROLIE distributions (11-17) and
    provider-metadata.json at the well-known URL (7, 9) exist whatever the key."""
    key = coordinator_key.public_key()
    if key is None or not settings.SITE_URL.startswith("https://"):
        return "csaf_provider"
    unsigned = CsafDocument.objects.filter(spec=tree.spec).exclude(signed_by=key.fingerprint).exists()
    return "csaf_provider" if unsigned else "csaf_trusted_provider"


def provider_metadata(tree: Tree, canonical: str) -> dict[str, Any]:
    """provider-metadata.json of a tree, whose canonical URL is `canonical`."""
    site = source.site()
    updated = last_updated(tree)
    summary = f"All TLP:{tree.tlp} CSAF {tree.spec} documents of {site.name}."
    feed: dict[str, Any] = {"summary": summary, "tlp_label": tree.tlp, "url": url("feed", tree)}
    rolie = {"feeds": [feed], "services": [url("service", tree)]}
    metadata: dict[str, Any] = {"canonical_url": canonical}
    if tree.spec == "2.0":
        distributions: list[dict[str, Any]] = [{"directory_url": url("folder", tree)}, {"rolie": rolie}]
    else:
        metadata = {"$schema": PROVIDER_SCHEMA_21, **metadata}
        feed["last_updated"] = updated
        distributions = [{"directory": {"tlp_label": tree.tlp, "url": url("folder", tree)}}, {"rolie": rolie}]
    metadata |= {
        "distributions": distributions,
        "last_updated": updated,
        # Every document is public (TLP:WHITE): aggregators are welcome to list and mirror them.
        "list_on_CSAF_aggregators": True,
        "metadata_version": tree.spec,
        "mirror_on_CSAF_aggregators": True,
    }
    key = coordinator_key.public_key()
    if key is not None:
        metadata["public_openpgp_keys"] = [
            {"fingerprint": key.fingerprint, "url": settings.SITE_URL + reverse("core:openpgp_key")}
        ]
    metadata["publisher"] = publisher(tree)
    metadata["role"] = role(tree)
    return metadata


def _feed_title(tree: Tree) -> str:
    return f"{settings.INSTANCE_NAME} CSAF {tree.spec} feed (TLP:{tree.tlp})"


def rolie_feed(tree: Tree) -> dict[str, Any]:
    """The ROLIE feed (RFC 8322, JSON) listing every document with its hashes and signature."""
    entries = []
    for row in rows(tree):
        href = document_url(tree, row)
        links = [
            {"rel": "self", "href": href, "type": "application/json"},
            {"rel": "hash", "href": href + ".sha256"},
            {"rel": "hash", "href": href + ".sha512"},
        ]
        if row.signature:
            links.append({"rel": "signature", "href": href + ".asc"})
        entries.append(
            {
                "id": row.tracking_id,
                "title": row.title,
                "link": links,
                "published": row.initial_release_date,
                "updated": row.current_release_date,
                "summary": {
                    "content": f"CSAF {tree.spec} document of {row.tracking_id}, revision {row.revision}"
                },
                "content": {"type": "application/json", "src": href},
                "format": {"schema": SCHEMAS[tree.spec], "version": tree.spec},
            }
        )
    host = settings.SITE_URL.split("://", 1)[-1].replace(":", "-").replace("/", "-")
    return {
        "feed": {
            "id": f"{host}-csaf-feed-tlp-{tree.folder}",
            "title": _feed_title(tree),
            "link": [{"rel": "self", "href": url("feed", tree)}],
            "category": [ROLIE_CSAF],
            "updated": last_updated(tree),
            "entry": entries,
        }
    }


def rolie_service(tree: Tree) -> dict[str, Any]:
    """The ROLIE service document (requirement 16): the one feed."""
    collection = {
        "title": _feed_title(tree),
        "href": url("feed", tree),
        "categories": {"category": [ROLIE_CSAF]},
    }
    return {
        "service": {"workspace": [{"title": f"Public CSAF {tree.spec} feed", "collection": [collection]}]}
    }


def index_txt(tree: Tree) -> str:
    paths = sorted(rows(tree).values_list("path", flat=True), reverse=True)
    return "".join(f"{path}\n" for path in paths)


def changes_csv(tree: Tree) -> str:
    """Newest current_release_date first. CSAF 2.0 quotes both fields; 2.1 quotes neither."""
    quote = '"' if tree.spec == "2.0" else ""
    lines = rows(tree).values_list("path", "current_release_date")
    return "".join(f"{quote}{path}{quote},{quote}{date}{quote}\n" for path, date in lines)


def years(tree: Tree) -> list[str]:
    return sorted({path[:4] for path in rows(tree).values_list("path", flat=True)}, reverse=True)


def year_files(tree: Tree, year: str) -> list[CsafDocument]:
    return sorted(rows(tree).filter(path__startswith=f"{year}/"), key=lambda row: row.path)


def stored(tree: Tree, year: str, filename: str) -> CsafDocument | None:
    return CsafDocument.objects.filter(spec=tree.spec, path=f"{year}/{filename}").first()

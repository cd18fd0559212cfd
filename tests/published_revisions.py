"""Every revision the test suite publishes, kept for tests/test_every_published_revision.py, which
runs last and exports each one in every format through the official validators (issue 12).

A post_save receiver records the export input (`Published`) of each PUBLISHED, numbered revision
while the test that made it still has its database; the archive import's bulk-created revisions are
checked by the export tests of the import instead.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from accord.exports.source import Published, RevisionInfo, site
from accord.lib.time import rfc3339
from accord.publication.models import Revision

# Keyed by (case number, revision number, snapshot hash): a test that publishes the same revision
# as another adds nothing.
SEEN: dict[tuple[Any, ...], Published] = {}
TEST_CNA = "d6c6d5e5-4c4c-4e0f-9a3e-0f6b3c1c2a10"  # any UUID: CVE records need a CNA org id


def record(sender: Any, instance: Revision, **kwargs: Any) -> None:
    if instance.state != Revision.State.PUBLISHED or instance.number is None or instance.published_at is None:
        return
    earlier = Revision.objects.filter(
        note_id=instance.note_id, state=Revision.State.PUBLISHED, number__lt=instance.number
    ).order_by("number")
    history = [RevisionInfo(r.number, rfc3339(r.published_at) or "", r.change_summary) for r in earlier]  # type: ignore[arg-type]
    history.append(
        RevisionInfo(instance.number, rfc3339(instance.published_at) or "", instance.change_summary)
    )
    published = Published(
        snapshot=instance.snapshot,
        revision=instance.number,
        published_at=rfc3339(instance.published_at) or "",
        history=history,
        site=dataclasses.replace(site(), cve_org_id=TEST_CNA, cve_org_short_name="accord-tests"),
    )
    key = (
        instance.snapshot.get("number"),
        instance.number,
        repr(sorted(map(repr, instance.snapshot.items()))),
    )
    SEEN[key] = published

"""Every revision the test suite publishes, kept for tests/test_every_published_revision.py, which
runs last and exports each one in every format through the official validators (issue 12).

A post_save receiver records the export input (`Published`) of each PUBLISHED, numbered revision
while the test that made it still has its database; the archive import's bulk-created revisions are
checked by the export tests of the import instead.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from accord.exports.source import Published, RevisionInfo, site
from accord.lib.time import rfc3339
from accord.publication.models import Revision

# Keyed by (case number, revision number, snapshot hash): a test that publishes the same revision
# as another adds nothing.
SEEN: dict[tuple[Any, ...], Published] = {}
# What must never appear in that revision's exports: each anonymous vendor's real name (unless a
# named vendor of the same note carries it in its own name), its contacts' and members' addresses,
# and the fingerprints and long key ids of its keys and statements.
HIDDEN: dict[tuple[Any, ...], set[str]] = {}
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
    HIDDEN[key] = _hidden(instance.snapshot)


def _hidden(snapshot: dict[str, Any]) -> set[str]:
    from accord.answers.models import Statement
    from accord.cases.models import Participant
    from accord.vendors.models import Contact, PublicKey

    keys = [v["key"] for v in snapshot.get("vendors", []) if v.get("anonymous") and v["key"].startswith("p")]
    public_names = " ".join(v["name"] for v in snapshot.get("vendors", []) if not v.get("anonymous"))
    hidden: set[str] = set()
    for p in Participant.objects.filter(pk__in=[int(k[1:]) for k in keys]).select_related(
        "organization", "user"
    ):
        if p.organization_id:
            org = p.organization
            if org.name not in public_names and org.name not in {p.alias}:
                hidden.add(org.name)
            hidden |= set(Contact.objects.filter(organization=org).values_list("email", flat=True))
            hidden |= {m.user.email for m in org.memberships.select_related("user")}
            prints = set(PublicKey.objects.filter(organization=org).values_list("fingerprint", flat=True))
        else:
            prints = set()
        prints |= set(
            Statement.objects.filter(participant=p)
            .exclude(fingerprint="")
            .values_list("fingerprint", flat=True)
        )
        hidden |= {f for f in prints if f} | {f[-16:] for f in prints if len(f) >= 16}
    # The snapshot itself is checked by the anonymity tests (a vendor may name itself in its own
    # statement, which is published verbatim); the exports must add nothing to it.
    published_text = json.dumps(snapshot, ensure_ascii=False).casefold()
    return {h for h in hidden if len(h) >= 4 and h.casefold() not in published_text}

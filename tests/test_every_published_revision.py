"""Issue 12's acceptance: every revision the test suite publishes exports in every format, and each
document passes its official validator, or the format is "not available" for a documented reason; and no anonymous vendor's name, address or key id
appears in any of them.

conftest.py runs this file last; tests/published_revisions.py recorded each published revision while
its test still had its database. Run alone, it publishes a sample note of its own first.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from accord.exports import csaf, csaf21, cve5, openvex, osv
from accord.exports.registry import NotAvailable
from accord.testing import make_case, publish_snapshot, sample_snapshot
from tests import published_revisions
from tests.export_validators import csaf_problems, schema_problems

# The documented reasons a format may be unavailable (process.md "Exports"), as the exporters word them.
DOCUMENTED = {
    "cve5": (
        "no CVE id is assigned",
        "no text describing the vulnerability",
        "names no vendor or product",
    ),
    "openvex": ("no vendor gave a status OpenVEX can express",),
}
BUILDERS = {
    "csaf": csaf.build,
    "csaf21": csaf21.build,
    "cve5": cve5.build,
    "osv": osv.build,
    "openvex": openvex.build,
}


@pytest.mark.django_db
def test_every_published_revision_exports_valid_documents() -> None:
    if not published_revisions.SEEN:
        case = make_case(654321, vulnerabilities=2)
        publish_snapshot(case, sample_snapshot(case, 5))
    revisions = list(published_revisions.SEEN.items())
    assert revisions
    documents: dict[str, list[tuple[str, object]]] = {name: [] for name in BUILDERS}
    unavailable: Counter[str] = Counter()
    leaks = []
    for key, published in revisions:
        label = f"{published.snapshot['case']} revision {published.revision}"
        hidden = published_revisions.HIDDEN.get(key, set())
        for name, build in BUILDERS.items():
            try:
                doc = build(published)
            except NotAvailable as exc:
                assert any(reason in str(exc) for reason in DOCUMENTED.get(name, ())), (
                    f"{label}: {name} not available for an undocumented reason: {exc}"
                )
                unavailable[name] += 1
                continue
            for item in doc if isinstance(doc, list) else [doc]:
                documents[name].append((label, item))
            text = json.dumps(doc, ensure_ascii=False).casefold()
            leaks += [f"{label} {name}: {h!r}" for h in hidden if h.casefold() in text]
    assert not leaks, "an anonymous vendor shows in an export:\n" + "\n".join(leaks[:20])
    failures = []
    for name in ("csaf", "csaf21"):
        labels = [label for label, _ in documents[name]]
        for label, problems in zip(labels, csaf_problems([d for _, d in documents[name]], name), strict=True):
            failures += [f"{label} {name}: {p}" for p in problems]
    for name in ("cve5", "osv", "openvex"):
        for label, doc in documents[name]:
            failures += [f"{label} {name}: {p}" for p in schema_problems(doc, name)]
    assert not failures, "\n".join(failures[:50])
    assert documents["csaf"], "no CSAF document was built"
    print(
        f"{len(revisions)} revisions; documents: { {k: len(v) for k, v in documents.items()} }; not available: {dict(unavailable)}"
    )

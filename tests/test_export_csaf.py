"""CSAF 2.0 and 2.1 exports (issue 12): every document passes PyPI csaf's validator."""

from __future__ import annotations

import json
from typing import Any

import pytest

from accord.exports import csaf, csaf21, registry
from accord.exports.source import Published, RevisionInfo, Site
from accord.testing import make_case, sample_snapshot
from tests.export_validators import csaf_problems

SITE = Site(name="Example CERT", url="https://cert.example.org", contact_email="cert@example.org")


def published(snapshot: dict[str, Any], revisions: int = 1) -> Published:
    history = [
        RevisionInfo(n, f"2026-11-{29 + n:02d}T12:00:00Z" if n < 2 else f"2026-12-{n:02d}T12:00:00Z", "")
        for n in range(1, revisions + 1)
    ]
    return Published(snapshot, revisions, history[-1].published_at, history, SITE)  # type: ignore[arg-type]


def rich_snapshot(number: int = 854306, *, products: bool = False) -> dict[str, Any]:
    """sample_snapshot (named, anonymous, failed-signature and silent vendors) with three
    vulnerabilities, EUVD and GCVE aliases and a CVSS 4.0 vector; with `products`, every answer
    names a product (purls, version ranges, fix information, justifications) and the analysts
    listed a product on the first vulnerability."""
    case = make_case(number, vulnerabilities=3)
    snapshot = sample_snapshot(case, 5, number=number)
    vulns = snapshot["vulnerabilities"]
    vulns[0]["aliases"] = ["EUVD-2026-12345", "GCVE-1-2026-0001"]
    vulns[1]["cvss"].append(
        {"version": "4.0", "vector": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", "score": 9.3}
    )
    vulns[2]["description"] = "A second flaw in the same parser."
    if not products:
        return snapshot
    vulns[0]["products"] = [{"name": "widget-lib", "version_range": "vers:npm/<1.4.2", "purl": "pkg:npm/widget-lib"}]
    named, hidden, failed = snapshot["vendors"][:3]
    answers = {
        "fixed": {"product": "Widget Server", "version_range": "vers:semver/<2.1.0", "fixed_version": "2.1.0",
                  "release_reference": "https://acme.example/releases/2.1.0", "purl": "pkg:pypi/widget-server"},
        "not_affected": {"product": "Gadget", "version_range": "", "purl": "pkg:github/hidden/gadget@3.0",
                         "justification": "vulnerable_code_not_present"},
        "affected": {"product": "Beta Router", "version_range": "1.0 through 1.4", "purl": "not a purl"},
    }
    for vendor in (named, hidden, failed):
        for status in vendor["statuses"]:
            status.update(answers[status["status"]])
    failed["statuses"][1]["status"] = "under_investigation"
    named["statuses"].append({**named["statuses"][0], "product": "Widget Server", "version_range": "2.0.1"})
    return snapshot


@pytest.mark.django_db
def test_dev() -> None:
    docs = [csaf.build(published(rich_snapshot())), csaf.build(published(rich_snapshot(854307, products=True)))]
    open("/tmp/csafdev/a.json", "w").write(json.dumps(docs[1], indent=1))
    assert csaf_problems(docs) == [[], []]
    assert [d["document"]["category"] for d in docs] == ["csaf_security_advisory", "csaf_vex"]
    docs21 = [csaf21.build(published(rich_snapshot(854308))), csaf21.build(published(rich_snapshot(854309, products=True)))]
    open("/tmp/csafdev/b.json", "w").write(json.dumps(docs21[1], indent=1))
    assert csaf_problems(docs21, "csaf21") == [[], []]

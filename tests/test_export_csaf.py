"""CSAF 2.0 and 2.1 exports (issue 12): every document passes PyPI csaf's validator
(tests/export_validators.py), product ids are stable, and nothing an anonymous vendor hid appears."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.answers.actions import AnswerInput, StatementInput, StatusInput, submit_answer
from accord.cases import actions as case_actions
from accord.cases.models import Participant
from accord.exports import csaf, csaf21, registry, source
from accord.exports.source import Published, RevisionInfo, Site
from accord.publication import actions
from accord.publication.models import Note
from accord.testing import add_vendor, make_case, make_world, sample_snapshot, start_embargo
from tests.export_validators import csaf_problems

SITE = Site(name="Example CERT", url="https://cert.example.org", contact_email="cert@example.org")
SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "data" / "certcc-vda"


def published(snapshot: Any, revisions: int = 1) -> Published:
    history = [RevisionInfo(n, f"2026-12-{n:02d}T12:00:00Z", "") for n in range(1, revisions + 1)]
    return Published(snapshot, revisions, history[-1].published_at, history, SITE)


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
        {
            "version": "4.0",
            "vector": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            "score": 9.3,
        }
    )
    vulns[2]["description"] = "A second flaw in the same parser."
    if not products:
        return snapshot
    vulns[0]["products"] = [
        {"name": "widget-lib", "version_range": "vers:npm/<1.4.2", "purl": "pkg:npm/widget-lib"}
    ]
    named, hidden, failed = snapshot["vendors"][:3]
    answers = {
        "fixed": {
            "product": "Widget Server",
            "version_range": "vers:semver/<2.1.0",
            "fixed_version": "2.1.0",
            "release_reference": "https://acme.example/releases/2.1.0",
            "purl": "pkg:pypi/widget-server",
        },
        "not_affected": {
            "product": "Gadget",
            "purl": "pkg:github/hidden/gadget@3.0",
            "justification": "vulnerable_code_not_present",
        },
        "affected": {"product": "Beta Router", "version_range": "1.0 through 1.4", "purl": "not a purl"},
    }
    for vendor in (named, hidden, failed):
        for status in vendor["statuses"]:
            status.update(answers[status["status"]])
    failed["statuses"][1]["status"] = "under_investigation"
    named["statuses"].append({**named["statuses"][0], "product": "Widget Server", "version_range": "2.0.1"})
    return snapshot


def status_ids(doc: dict[str, Any]) -> set[str]:
    return {
        pid
        for v in doc.get("vulnerabilities", [])
        for ids in v.get("product_status", {}).values()
        for pid in ids
    }


def note_text(doc: dict[str, Any], title: str) -> str:
    return next(n["text"] for n in doc["document"]["notes"] if n.get("title") == title)


@pytest.mark.django_db
def test_sample_notes_validate_as_csaf_20_and_21() -> None:
    snapshots = [rich_snapshot(854306), rich_snapshot(854307, products=True)]
    docs = [csaf.build(published(s)) for s in snapshots]
    docs21 = [csaf21.build(published(s)) for s in snapshots]
    assert csaf_problems(docs) == [[], []]
    assert csaf_problems(docs21, "csaf21") == [[], []]
    assert [d["document"]["category"] for d in docs] == ["csaf_security_advisory", "csaf_vex"]
    assert [d["document"]["category"] for d in docs21] == ["csaf_security_advisory", "csaf_vex"]

    advisory, vex = docs
    head = advisory["document"]
    assert head["title"] == "VU#854306: Heap overflow in the widget parser"
    assert head["tracking"]["id"] == "VU#854306" and head["distribution"]["tlp"]["label"] == "WHITE"
    assert (
        head["references"][0]["url"] == "https://cert.example.org/.well-known/csaf/white/2026/vu_854306.json"
    )
    assert "https://example.test/advisory" in [r["url"] for r in head["references"]]
    first = advisory["vulnerabilities"][0]
    assert first["cve"] == "CVE-2026-1001"
    assert {"system_name": "EUVD", "text": "EUVD-2026-12345"} in first["ids"]
    assert {"system_name": "GCVE", "text": "GCVE-1-2026-0001"} in first["ids"]
    assert set(first["product_status"]) == {"fixed", "known_affected", "known_not_affected"}
    assert "Silent Vendor 0 (notified 2026-10-01)" in note_text(advisory, "Vendors that did not answer")
    assert "cannot carry CVSS 4.0" in note_text(advisory, "What this CSAF document does not carry")
    assert "CVSS:4.0/" in str(advisory["vulnerabilities"][1]["notes"])
    assert "Statement from Beta 854306 (its OpenPGP signature did not verify)" in str(head["notes"])
    assert "The coordinator checked the fix in 2.1." in str(head["notes"])

    # VEX: ranges as product_version_range, a single version as product_version, purls only when valid.
    tree = str(vex["product_tree"])
    assert "'product_version_range', 'name': 'vers:semver/<2.1.0'" in tree
    assert "'product_version', 'name': '2.0.1'" in tree
    assert "not a purl" not in tree and "pkg:pypi/widget-server" in tree
    first = vex["vulnerabilities"][0]
    assert {
        "label": "vulnerable_code_not_present",
        "product_ids": first["product_status"]["known_not_affected"],
    } in (first["flags"])
    assert any(r.get("url") == "https://acme.example/releases/2.1.0" for r in first["remediations"])

    # 2.1: CLEAR, CVSS 4.0 as a metric, and who was told and who answered.
    doc21 = docs21[1]
    assert doc21["document"]["distribution"]["tlp"]["label"] == "CLEAR"
    assert "cvss_v4" in doc21["vulnerabilities"][1]["metrics"][0]["content"]
    actions_ = doc21["document"]["involvement"]["actions"]
    notified = {
        a["receiving_entity_refs"][0]: a["status"] for a in actions_ if a["category"] == "notification"
    }
    silent = [v["key"] for v in snapshots[1]["vendors"] if v["responded_at"] is None]
    assert {notified[f"EID-{k}"] for k in silent} == {"attempted"}
    assert sorted(notified.values()).count("completed") == 3
    assert {a["category"] for a in actions_} == {"notification", "assessment", "fix_release"}
    assert "embargo" in note_text(doc21, "What this CSAF document does not carry")


@pytest.mark.django_db
def test_the_anonymous_vendors_organisation_never_appears() -> None:
    snapshot = rich_snapshot(854310, products=True)
    hidden = snapshot["vendors"][1]
    assert hidden["anonymous"]
    for build in (csaf.build, csaf21.build):
        data = registry.to_bytes(build(published(snapshot))).decode()
        assert "Hidden Corp" not in data and "B" * 40 not in data and "psirt@" not in data
        assert hidden["name"] in data  # by its alias


@pytest.mark.django_db
def test_same_revision_gives_the_same_bytes_and_a_new_revision_keeps_the_product_ids() -> None:
    snapshot = rich_snapshot(854311, products=True)
    for build in (csaf.build, csaf21.build):
        assert registry.to_bytes(build(published(snapshot))) == registry.to_bytes(build(published(snapshot)))
    first = csaf.build(published(snapshot))
    later = dict(snapshot, vendors=[*snapshot["vendors"]])
    newcomer = {**snapshot["vendors"][0], "key": "p999999", "name": "Newcomer Inc"}
    later["vendors"].insert(0, newcomer)
    second = csaf.build(published(later, revisions=2))
    assert status_ids(first) < status_ids(second)
    assert [r["number"] for r in second["document"]["tracking"]["revision_history"]] == ["1", "2"]
    assert csaf_problems([second]) == [[]]


@pytest.mark.django_db
def test_a_note_published_through_the_actions_validates_and_keeps_its_ids_in_revision_two() -> None:
    world = make_world()
    start_embargo(world)
    case = world.case
    assert case is not None
    case_actions.add_vulnerability(
        case, by=world.analyst, title="Heap overflow", description="In the parser."
    )
    case.participants.filter(kind=Participant.Kind.VENDOR).update(first_contact_at=timezone.now())
    vendor = case.participants.get(organization=world.vendor_org)
    statuses = [
        StatusInput(
            vulnerability="1", status="fixed", product="Widget", version_range="<2.2", fixed_version="2.2"
        )
    ]
    submit_answer(
        vendor,
        AnswerInput(
            statuses=statuses, statement=StatementInput(text=b"Vendor One says: fixed.\n"), share=True
        ),
        by=world.vendor,
    )
    case_actions.terminate_embargo(case, by=world.analyst, reason="fix shipped")
    note = actions.note_for(case, by=world.analyst)
    actions.save_draft(
        note, {"overview": "A heap overflow.", "solution": "Update."}, summary="s", by=world.analyst
    )
    actions.approve(actions.request_review(note, by=world.analyst), by=world.publisher)
    note.refresh_from_db()
    actions.publish_now(note, by=world.publisher, summary="Initial")
    one = source.published(case.label)
    assert one is not None
    add_vendor(case, world.other_vendor_org)
    case.participants.filter(kind=Participant.Kind.VENDOR).update(first_contact_at=timezone.now())
    note = Note.objects.get(case=case)
    actions.correct(note, by=world.publisher, summary="Vendor Two added")
    two = source.published(case.label)
    assert two is not None and two.revision == 2
    docs = [csaf.build(one), csaf.build(two)]
    assert csaf_problems(docs) == [[], []]
    assert csaf_problems([csaf21.build(one), csaf21.build(two)], "csaf21") == [[], []]
    assert status_ids(docs[0]) and status_ids(docs[0]) <= status_ids(docs[1])
    assert [r["summary"] for r in docs[1]["document"]["tracking"]["revision_history"]] == [
        "Initial",
        "Vendor Two added",
    ]
    for doc in (*docs, csaf21.build(two)):
        data = registry.to_bytes(doc).decode()
        assert "Vendor One" not in data.replace("Vendor One says", "") and "psirt@" not in data
    assert "Vendor Two" in note_text(docs[1], "Vendors that did not answer")


@pytest.mark.django_db
@pytest.mark.skipif(not (SAMPLE / "data").is_dir(), reason="the archive sample is not in ../shared")
def test_every_published_archive_note_validates_and_vu854306_lists_285_vendors() -> None:
    call_command("import_certcc", str(SAMPLE), stdout=io.StringIO(), stderr=io.StringIO())
    labels = [n.case.label for n in Note.objects.filter(state=Note.State.PUBLISHED).select_related("case")]
    assert len(labels) == 200
    notes = [source.published(label) for label in sorted(labels)]
    docs = [csaf.build(p) for p in notes if p is not None]
    assert len(docs) == 200
    problems = csaf_problems(docs)
    assert [(d["document"]["tracking"]["id"], p) for d, p in zip(docs, problems, strict=True) if p] == []
    problems21 = csaf_problems([csaf21.build(p) for p in notes if p is not None], "csaf21")
    assert [p for p in problems21 if p] == []

    big = source.published("VU#854306")
    assert big is not None
    plan = csaf.plan(big)
    doc = csaf.document(plan)
    assert len(big.snapshot["vendors"]) == 285
    assert len(status_ids(doc)) + len(plan.unknown) == 285
    assert csaf_problems([doc]) == [[]]
    # The acceptance's own command prints exactly this document.
    out = io.StringIO()
    call_command("export", "VU#854306", format="csaf", stdout=out)
    assert json.loads(out.getvalue()) == doc
    # CSAF 2.1's disclosure history names CERT/CC as the coordinator of an archived note (this
    # instance only republishes it), and a vendor that never answered was only "attempted".
    involvement = csaf21.build(big)["document"]["involvement"]
    assert involvement["entities"][0] == {
        "category": "coordinator",
        "entity_id": "EID-coordinator",
        "name": "CERT Coordination Center (CERT/CC)",
    }
    summaries = [a["summary"] for a in involvement["actions"]]
    assert "CERT Coordination Center (CERT/CC) notified Nortel Networks, Inc." in summaries
    assert not any(s.endswith("..") for s in summaries)
    attempted = {a["receiving_entity_refs"][0] for a in involvement["actions"] if a["status"] == "attempted"}
    silent = {
        f"EID-{v['key']}" for v in big.snapshot["vendors"] if not v["responded_at"] and v["notified_at"]
    }
    assert attempted == silent and attempted


# Random snapshots ----------------------------------------------------------------------------------

WORDS = ["affected", "not_affected", "fixed", "under_investigation", "unknown"]
RANGES = ["", "2.1", "<2.1", "vers:semver/>=1.0.0|<1.4.2", "1.x", "all versions before 3", "vers:npm/1.2.3"]
VECTORS = [
    {"version": "3.1", "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "score": 9.8},
    {"version": "3.0", "vector": "CVSS:3.0/AV:L/AC:H/PR:H/UI:R/S:C/C:L/I:N/A:N", "score": 2.5},
    {"version": "2.0", "vector": "AV:N/AC:L/Au:N/C:P/I:P/A:P", "score": 7.5},
    {
        "version": "4.0",
        "vector": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
        "score": 9.3,
    },
    {"version": "3.1", "vector": "CVSS:3.1/AV:X", "score": None},
]
_status = st.fixed_dictionaries(
    {
        "status": st.sampled_from(WORDS),
        "product": st.sampled_from(["", "", "Router", "Router Pro", " Spaced "]),
        "version_range": st.sampled_from(RANGES),
        "purl": st.sampled_from(["", "pkg:pypi/router@1.0", "nonsense"]),
        "justification": st.sampled_from(["", "component_not_present", "other words"]),
        "impact_statement": st.sampled_from(["", "Not reachable."]),
        "fixed_version": st.sampled_from(["", "2.2"]),
        "release_reference": st.sampled_from(["", "https://vendor.example/fix", "see the site"]),
        "source_word": st.sampled_from(["", "Vulnerable"]),
    }
)


def _random_snapshot(vulns: int, vendors: list[list[dict[str, Any]]], cvss: list[int], solution: str) -> Any:
    ids = [f"VU#100001.{i + 1}" for i in range(vulns)]
    return {
        "schema": 1,
        "case": "VU#100001",
        "number": 100001,
        "title": "Random",
        "sections": dict.fromkeys(
            ("overview", "description", "impact", "workarounds", "references", "credit"), ""
        )
        | {"solution": solution},
        "vulnerabilities": [
            {
                "id": vid,
                "title": "",
                "description": "",
                "cve": f"CVE-2026-{2000 + i}",
                "cwe": "",
                "cvss": [VECTORS[c] for c in cvss[: i + 1]],
                "aliases": [],
                "products": [{"name": "lib", "version_range": RANGES[i % len(RANGES)], "purl": ""}]
                if i == 1
                else [],
            }
            for i, vid in enumerate(ids)
        ],
        "vendors": [
            {
                "key": f"p{n}",
                "name": f"Vendor {n}",
                "anonymous": False,
                "notified_at": "2026-10-01T09:00:00Z" if n % 2 else None,
                "responded_at": "2026-10-03T09:00:00Z" if n % 3 else None,
                "statement_at": None,
                "statuses": [{**s, "vulnerability": ids[k % vulns]} for k, s in enumerate(statuses)],
                "statement": None,
                "addendum": "",
                "information": "",
            }
            for n, statuses in enumerate(vendors)
        ],
        "timeline": [],
        "first_published_at": "2026-12-01T12:00:00Z",
        "source": "accord",
    }


def test_random_snapshots_always_validate() -> None:
    docs: list[dict[str, Any]] = []
    docs21: list[dict[str, Any]] = []

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        vulns=st.integers(1, 3),
        vendors=st.lists(st.lists(_status, min_size=1, max_size=4), max_size=4),
        cvss=st.lists(st.integers(0, len(VECTORS) - 1), max_size=3),
        solution=st.sampled_from(["", "Update."]),
    )
    def collect(vulns: int, vendors: list[list[dict[str, Any]]], cvss: list[int], solution: str) -> None:
        snapshot = _random_snapshot(vulns, vendors, cvss, solution)
        for build, bucket in ((csaf.build, docs), (csaf21.build, docs21)):
            with contextlib.suppress(registry.NotAvailable):
                bucket.append(build(published(snapshot, revisions=2)))

    collect()
    assert docs and docs21
    failing = [(doc, p) for doc, p in zip(docs, csaf_problems(docs), strict=True) if p]
    assert failing == []
    failing = [(doc, p) for doc, p in zip(docs21, csaf_problems(docs21, "csaf21"), strict=True) if p]
    assert failing == []

"""The CVE Record 5.2, OSV and OpenVEX exports (issue 12): every document validates against its schema
in ../shared/schemas, or the format is "not available" for a documented reason; bytes are stable;
an anonymous vendor's name never appears; the archive import's 200 published notes all export."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections import Counter
from typing import Any, cast

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.exports import cve5, facts, openvex, osv, registry, source
from accord.exports.source import Published, RevisionInfo, Site
from accord.publication import public
from accord.publication.snapshot_types import Snapshot
from accord.testing import make_case, publish_snapshot, sample_snapshot
from tests.export_validators import schema_problems
from tests.test_import_certcc import SAMPLE, needs_sample

ORG = "6abe59d8-c742-4dff-8ce8-9b0ca1073da8"
SITE = Site(
    name="Accord Test",
    url="https://accord.test",
    contact_email="cert@accord.test",
    cve_org_id=ORG,
    cve_org_short_name="Accord Test CNA",
)
BUILDERS = {"cve5": cve5.build, "osv": osv.build, "openvex": openvex.build}


def blank_status(vulnerability: str, status: str, **fields: str) -> dict[str, Any]:
    row = dict.fromkeys(
        ("product", "version_range", "purl", "source_word", "justification", "impact_statement")
        + ("fixed_version", "release_reference"),
        "",
    )
    return {**row, "vulnerability": vulnerability, "status": status, **fields}


def enrich(snapshot: dict[str, Any]) -> dict[str, Any]:
    """Identifiers beyond CVE, CVSS 4.0, analysts' products with and without purls, and product
    statuses with purls and versions for the named vendors."""
    vulns = snapshot["vulnerabilities"]
    first = vulns[0]["id"]
    vulns[0]["aliases"] = ["EUVD-2026-12345", "GCVE-1-2026-0001"]
    vulns[0]["cvss"].append(
        {
            "version": "4.0",
            "vector": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            "score": 9.3,
        }
    )
    vulns[0]["cvss"].append({"version": "3.1", "vector": "CVSS:3.1/AV:X/broken", "score": None})
    vulns[0]["products"] = [
        {"name": "@acme/widget", "version_range": "< 2.1", "purl": "pkg:npm/%40acme/widget@2.0.0"},
        {"name": "widget-go", "version_range": "", "purl": "pkg:golang/github.com/acme/widget"},
        {"name": "Widget appliance", "version_range": "all", "purl": ""},
        {"name": "widget-deb", "version_range": "", "purl": "pkg:deb/debian/widget@1.0"},
    ]
    named, hidden, failed = snapshot["vendors"][:3]
    named["statuses"] += [
        blank_status(first, "fixed", product="widget", purl="pkg:pypi/widget@2.0", fixed_version="2.1",
                     release_reference="https://example.test/widget/2.1"),
        blank_status(first, "affected", product="widget-server", version_range=">= 1.0, < 2.1",
                     purl="pkg:maven/com.acme/widget-server"),
        blank_status(first, "under_investigation", product="widget-cloud"),
    ]  # fmt: skip
    hidden["statuses"] += [
        blank_status(first, "not_affected", product="gadget", purl="pkg:cargo/gadget@0.3",
                     justification="vulnerable_code_not_present"),
    ]  # fmt: skip
    failed["statuses"] += [
        blank_status(first, "affected", product="beta-lib", purl="pkg:gem/beta-lib@1.2.3", fixed_version="1.2.4"),
        blank_status(first, "not_affected", product="beta-tool", impact_statement="The parser is not built."),
    ]  # fmt: skip
    return snapshot


def published_of(case: Any, snapshot: dict[str, Any], number: int = 1, **site: Any) -> Published:
    publish_snapshot(case, snapshot, number=number, at=timezone.now() + dt.timedelta(hours=number))
    found = source.published(case.label, number)
    assert found is not None
    return dataclasses.replace(found, site=dataclasses.replace(SITE, **site))


def built(published: Published) -> dict[str, Any]:
    """Every format's document, or the NotAvailable reason."""
    out: dict[str, Any] = {}
    for fmt, build in BUILDERS.items():
        try:
            out[fmt] = build(published)
        except registry.NotAvailable as exc:
            out[fmt] = exc
    return out


def problems(fmt: str, doc: Any) -> list[str]:
    docs = doc if fmt == "cve5" else [doc]
    assert docs
    return [p for d in docs for p in schema_problems(d, fmt)]


# Sample notes --------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("vulnerabilities", [1, 3])
def test_sample_notes_validate_in_every_format(vulnerabilities: int) -> None:
    case = make_case(4101 + vulnerabilities, vulnerabilities=vulnerabilities)
    published = published_of(case, enrich(sample_snapshot(case, 6, number=case.number)))
    docs = built(published)
    for fmt, doc in docs.items():
        assert not isinstance(doc, Exception), (fmt, doc)
        assert problems(fmt, doc) == [], fmt

    records = docs["cve5"]
    assert [r["cveMetadata"]["cveId"] for r in records] == [
        f"CVE-2026-{1001 + i}" for i in range(vulnerabilities)
    ]
    cna = records[0]["containers"]["cna"]
    assert records[0]["cveMetadata"]["assignerShortName"] == "Accord_Test_CNA"
    assert {m.get("cvssV3_1", m.get("cvssV4_0"))["baseSeverity"] for m in cna["metrics"]} == {"CRITICAL"}
    assert len(cna["metrics"]) == 2  # the broken vector is left out
    assert cna["references"][0]["url"] == f"https://accord.test/vuls/{case.number}/"
    assert {"url": "https://example.test/advisory"} in cna["references"]
    assert cna["credits"] == [{"lang": "en", "value": "Thanks to the reporter.", "type": "other"}]
    affected = {(a.get("vendor"), a.get("product"), a.get("packageURL")): a for a in cna["affected"]}
    assert affected[(f"Acme {case.number}", "n/a", None)]["defaultStatus"] == "affected"  # fixed
    widget = affected[(f"Acme {case.number}", "widget", "pkg:pypi/widget")]
    assert widget["versions"] == [
        {"version": "0", "status": "affected", "lessThan": "2.1", "versionType": "custom"}
    ]
    assert affected[("Vendor 2", "gadget", "pkg:cargo/gadget")]["defaultStatus"] == "unaffected"
    assert affected[("Silent Vendor 0", "n/a", None)]["defaultStatus"] == "unknown"
    server = affected[(f"Acme {case.number}", "widget-server", "pkg:maven/com.acme/widget-server")]
    assert server["versions"] == [{"version": ">= 1.0, < 2.1", "status": "affected"}]
    packages = [a for a in cna["affected"] if "collectionURL" in a]
    assert [(a["collectionURL"], a["packageName"], a["packageURL"]) for a in packages] == [
        ("https://www.npmjs.com", "@acme/widget", "pkg:npm/%40acme/widget"),
        ("https://pkg.go.dev", "github.com/acme/widget", "pkg:golang/github.com/acme/widget"),
    ]  # the appliance (no purl) and the Debian package (no sure collection) are left out

    entry = docs["osv"]
    assert entry["id"] == f"x_VU-{case.number}"
    ids = [f"CVE-2026-{1001 + i}" for i in range(vulnerabilities)]
    if vulnerabilities == 1:
        assert entry["aliases"] == [ids[0], "EUVD-2026-12345", "GCVE-1-2026-0001"]
        assert "related" not in entry
        assert [s["type"] for s in entry["severity"]] == ["CVSS_V3", "CVSS_V4"]
    else:
        assert "aliases" not in entry and "severity" not in entry
        assert entry["related"] == [ids[0], "EUVD-2026-12345", "GCVE-1-2026-0001", *ids[1:]]
        assert "covers 3 vulnerabilities" in entry["details"]
    osv_packages = {a["package"]["purl"]: a for a in entry["affected"]}
    assert list(osv_packages) == [
        "pkg:pypi/widget",
        "pkg:maven/com.acme/widget-server",
        "pkg:gem/beta-lib",
    ] + [
        "pkg:npm/%40acme/widget",
        "pkg:golang/github.com/acme/widget",
    ]
    assert osv_packages["pkg:pypi/widget"]["ranges"] == [
        {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.1"}]}
    ]
    assert osv_packages["pkg:gem/beta-lib"]["versions"] == ["1.2.3"]
    assert "ranges" not in osv_packages["pkg:maven/com.acme/widget-server"]
    assert osv_packages["pkg:npm/%40acme/widget"]["package"] == {
        "ecosystem": "npm",
        "name": "@acme/widget",
        "purl": "pkg:npm/%40acme/widget",
    }
    assert "`pkg:cargo/gadget@0.3` (Vendor 2" in entry["details"]  # not affected: in details only
    assert "`pkg:deb/debian/widget@1.0`" in entry["details"]  # no OSV ecosystem
    assert entry["references"][0] == {"type": "ADVISORY", "url": f"https://accord.test/vuls/{case.number}/"}

    vex = docs["openvex"]
    assert vex["@id"] == f"https://accord.test/vuls/{case.number}/openvex.json"
    assert vex["version"] == 1 and vex["author"] == "Accord Test" and vex["role"] == "Coordinator"
    statements = vex["statements"]
    assert all(s["status"] != "unknown" for s in statements)
    assert not any("Silent Vendor" in s["supplier"] for s in statements)
    not_affected = [s for s in statements if s["status"] == "not_affected"]
    assert {s.get("justification") or s["impact_statement"] for s in not_affected} == {
        openvex.NO_DETAIL,
        "vulnerable_code_not_present",
        "The parser is not built.",
    }
    beta = [s for s in statements if s["status"] == "affected" and s["supplier"] == f"Beta {case.number}"]
    assert {s["action_statement"] for s in beta} == {
        "Update to 2.1.",
        "The vendor reports the fix in version 1.2.4.",
    }
    first = statements[0]["vulnerability"]
    assert first == {
        "name": "CVE-2026-1001",
        "description": "Flaw 1",
        "aliases": [f"{case.label}.1", "EUVD-2026-12345", "GCVE-1-2026-0001"],
    }
    assert {"@id": "pkg:pypi/widget@2.0", "identifiers": {"purl": "pkg:pypi/widget@2.0"}} in [
        p for s in statements for p in s["products"]
    ]


@pytest.mark.django_db
def test_each_not_available_reason() -> None:
    case = make_case(4201)
    snapshot = sample_snapshot(case, number=case.number)
    published = published_of(case, snapshot)

    def reason(fmt: str, p: Published) -> str:
        with pytest.raises(registry.NotAvailable) as caught:
            BUILDERS[fmt](p)
        return str(caught.value)

    no_org = dataclasses.replace(published, site=dataclasses.replace(SITE, cve_org_id=""))
    assert reason("cve5", no_org) == "this instance has no CVE Numbering Authority org id (ACCORD_CVE_ORG_ID)"
    bad_org = dataclasses.replace(published, site=dataclasses.replace(SITE, cve_org_id="certcc"))
    assert "is not a UUID" in reason("cve5", bad_org)

    def variant(change: Any) -> Published:
        copy = json.loads(json.dumps(snapshot))
        change(copy)
        return dataclasses.replace(published, snapshot=cast(Snapshot, copy))

    def no_cve(s: dict[str, Any]) -> None:
        s["vulnerabilities"][0]["cve"] = ""

    assert reason("cve5", variant(no_cve)) == "no CVE id is assigned to a vulnerability of this note"

    def no_text(s: dict[str, Any]) -> None:
        s["sections"]["overview"] = s["sections"]["description"] = ""

    assert "no text describing the vulnerability" in reason("cve5", variant(no_text))

    def no_vendor(s: dict[str, Any]) -> None:
        s["vendors"] = []

    assert "names no vendor or product" in reason("cve5", variant(no_vendor))
    assert reason("openvex", variant(no_vendor)) == "no vendor gave a status OpenVEX can express"

    def only_unknown_or_unactionable(s: dict[str, Any]) -> None:
        s["sections"]["solution"] = ""
        for vendor in s["vendors"]:
            for status in vendor["statuses"]:
                status["status"] = "unknown" if status["status"] != "affected" else "affected"

    assert (
        reason("openvex", variant(only_unknown_or_unactionable))
        == "no vendor gave a status OpenVEX can express"
    )
    # OSV always has an entry, even without vendors or CVE ids.
    for change in (no_cve, no_text, no_vendor, only_unknown_or_unactionable):
        assert problems("osv", osv.build(variant(change))) == []


@pytest.mark.django_db
def test_an_anonymous_vendors_name_appears_in_no_document() -> None:
    case = make_case(4301, vulnerabilities=2)
    published = published_of(case, enrich(sample_snapshot(case, number=case.number)))
    for fmt, doc in built(published).items():
        text = registry.to_bytes(doc).decode()
        assert "Hidden Corp" not in text, fmt
        assert "B" * 40 not in text, fmt  # nor its key's fingerprint
    assert "Vendor 2" in registry.to_bytes(openvex.build(published)).decode()


@pytest.mark.django_db
def test_bytes_are_stable_and_a_second_revision_keeps_product_ids() -> None:
    case = make_case(4401)
    snapshot = enrich(sample_snapshot(case, 5, number=case.number))
    first = published_of(case, snapshot)
    for fmt, build in BUILDERS.items():
        assert registry.to_bytes(build(first)) == registry.to_bytes(build(first)), fmt
    second_snapshot = json.loads(json.dumps(snapshot))
    second_snapshot["vendors"].insert(
        0, {**second_snapshot["vendors"][3], "key": "a-new", "name": "Aardvark"}
    )
    second_snapshot["vendors"][0]["statuses"] = [blank_status(f"{case.label}.1", "under_investigation")]
    second = published_of(case, second_snapshot, number=2)
    assert second.history[0].published_at == first.published_at

    def product_ids(p: Published) -> dict[str, list[str]]:
        return {
            s["supplier"]: [prod["@id"] for prod in s["products"]] for s in openvex.build(p)["statements"]
        }

    old, new = product_ids(first), product_ids(second)
    assert {k: v for k, v in new.items() if k != "Aardvark"} == old
    one, two = openvex.build(first), openvex.build(second)
    assert one["@id"] == two["@id"] and (one["version"], two["version"]) == (1, 2)
    assert two["timestamp"] == one["timestamp"] and two["last_updated"] == second.published_at
    assert osv.build(second)["id"] == osv.build(first)["id"]
    assert osv.build(second)["published"] == first.published_at
    record = cve5.build(second)[0]["cveMetadata"]
    assert (record["datePublished"], record["dateUpdated"]) == (first.published_at, second.published_at)


def test_short_names_and_reference_urls() -> None:
    assert cve5.short_name("CERT/CC") == "CERT_CC"
    assert cve5.short_name(" é ") == ""
    assert len(cve5.short_name("x" * 50)) == 32
    refs = "- <https://a.test/x>\n- [b](https://b.test/y?q=1)\n- see https://c.test/z. and ftp://d.test\n- https://bad:port/ host"
    assert facts.reference_urls(refs) == ["https://a.test/x", "https://b.test/y?q=1", "https://c.test/z"]
    assert facts.reference_urls("- https://e.test/a b") == ["https://e.test/a"]
    assert not facts.is_web_url("https://x.test/%zz")


# Random snapshots ----------------------------------------------------------------------------------

_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
_words = st.sampled_from(["affected", "not_affected", "fixed", "under_investigation", "unknown"])
_purls = st.sampled_from(
    [
        "",
        "pkg:pypi/foo@1.0",
        "pkg:npm/bar",
        "pkg:maven/org.x/y@2",
        "pkg:deb/debian/z",
        "pkg:generic/w@3",
        "nonsense",
    ]
)
_vectors = st.sampled_from(
    [
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "CVSS:3.0/AV:L/AC:H/PR:L/UI:R/S:C/C:L/I:N/A:N",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
        "AV:N/AC:L/Au:N/C:P/I:P/A:P",
        "CVSS:3.1/garbage",
        "",
    ]
)


@st.composite
def snapshots(draw: st.DrawFn) -> dict[str, Any]:
    count = draw(st.integers(1, 3))
    ids = [f"VU#777.{i}" for i in range(1, count + 1)]
    vulnerabilities = [
        {
            "id": i,
            "title": draw(_text),
            "description": draw(_text),
            "cve": draw(st.sampled_from(["", f"CVE-2026-{1000 + n}"])),
            "cwe": draw(st.sampled_from(["", "CWE-79", "CWE-0", "CWE-1234567"])),
            "cvss": [
                {"version": "", "vector": v, "score": None} for v in draw(st.lists(_vectors, max_size=3))
            ],
            "aliases": draw(st.sampled_from([[], ["EUVD-2026-1"], ["GCVE-1-2026-2", "GCVE-3-2026-4"]])),
            "products": [
                {"name": draw(_text), "version_range": draw(_text), "purl": draw(_purls)}
                for _ in range(draw(st.integers(0, 2)))
            ],
        }
        for n, i in enumerate(ids)
    ]
    vendors = []
    for n in range(draw(st.integers(0, 3))):
        statuses = [
            blank_status(
                draw(st.sampled_from(ids)),
                draw(_words),
                product=draw(_text),
                version_range=draw(_text),
                purl=draw(_purls),
                justification=draw(st.sampled_from(["", "component_not_present"])),
                impact_statement=draw(_text),
                fixed_version=draw(_text),
                release_reference=draw(_text),
                source_word=draw(_text),
            )
            for _ in range(draw(st.integers(1, 3)))
        ]
        vendors.append(
            {"key": f"p{n}", "name": f"Vendor {n}", "anonymous": draw(st.booleans()), "statuses": statuses}
        )
    sections = {
        k: draw(_text) for k in ("overview", "description", "impact", "solution", "workarounds", "credit")
    }
    sections["references"] = draw(st.sampled_from(["", "- <https://x.test/a>", "https://y.test/ b <c>"]))
    return {
        "schema": 1,
        "case": "VU#777",
        "number": 777,
        "title": draw(_text),
        "sections": sections,
        "vulnerabilities": vulnerabilities,
        "vendors": vendors,
        "timeline": [],
        "first_published_at": "2026-11-30T12:00:00Z",
        "source": "accord",
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(snapshot=snapshots(), org=st.sampled_from([ORG, ""]), prefix=st.sampled_from(["", "OSV"]))
def test_random_snapshots_validate_or_are_not_available(
    snapshot: dict[str, Any], org: str, prefix: str
) -> None:
    site = dataclasses.replace(SITE, cve_org_id=org, osv_prefix=prefix)
    history = [RevisionInfo(1, "2026-11-30T12:00:00Z", ""), RevisionInfo(2, "2026-12-01T08:00:00Z", "")]
    published = Published(cast(Snapshot, snapshot), 2, "2026-12-01T08:00:00Z", history, site)
    for fmt, doc in built(published).items():
        if isinstance(doc, registry.NotAvailable):
            assert fmt != "osv"
            continue
        assert problems(fmt, doc) == [], (fmt, doc)
        assert registry.to_bytes(doc) == registry.to_bytes(BUILDERS[fmt](published))


# The archive import ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def archive_results(django_db_setup: Any, django_db_blocker: Any) -> dict[str, Any]:
    """Every format of every published note of the sample, imported once for the module."""
    results: dict[str, Any] = {"notes": 0, "problems": {}, "reasons": Counter(), "counts": Counter()}
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("import_certcc", str(SAMPLE), stdout=open("/dev/null", "w"))  # noqa: SIM115
        numbers = [r.note.case.number for r in public.latest_revisions()]
        for number in numbers:
            found = source.published(str(number))
            assert found is not None
            published = dataclasses.replace(found, site=SITE)
            results["notes"] += 1
            for fmt, doc in built(published).items():
                if isinstance(doc, registry.NotAvailable):
                    results["reasons"][(fmt, str(doc))] += 1
                    results.setdefault("which", {}).setdefault(str(doc), []).append(number)
                    continue
                results["counts"][fmt] += len(doc) if fmt == "cve5" else 1
                found_problems = problems(fmt, doc)
                if found_problems:
                    results["problems"][(fmt, number)] = found_problems[:3]
                if number == 854306 and fmt == "openvex":
                    results["vu854306"] = doc
        transaction.set_rollback(True)
    return results


@needs_sample
@pytest.mark.django_db
def test_the_archive_notes_all_validate_or_are_not_available_for_a_documented_reason(
    archive_results: dict[str, Any],
) -> None:
    assert archive_results["notes"] == 200
    assert archive_results["problems"] == {}
    # The sample's notes, counted once: 32 have no CVE id; two have no prose at all (VU#985449,
    # VU#564707) and one lists no vendor (VU#722414), so no CVE record is possible for them. OpenVEX:
    # 11 notes have only "unknown" vendors, or "affected" ones with no fix and no solution section.
    assert archive_results["reasons"] == {
        ("cve5", "no CVE id is assigned to a vulnerability of this note"): 32,
        ("cve5", "the note has no text describing the vulnerability, which a CVE record requires"): 2,
        ("cve5", "the note names no vendor or product, which a CVE record requires"): 1,
        ("openvex", "no vendor gave a status OpenVEX can express"): 11,
    }
    assert archive_results["which"]["the note names no vendor or product, which a CVE record requires"] == [
        722414
    ]
    # 165 notes give 212 CVE records (one per CVE id); every note has an OSV entry.
    assert archive_results["counts"] == {"cve5": 212, "osv": 200, "openvex": 189}
    vex = archive_results["vu854306"]
    assert len(vex["statements"]) > 100 and {s["vulnerability"]["name"] for s in vex["statements"]} == {
        "CVE-2002-0013"
    }

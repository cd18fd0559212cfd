"""process.md "Identifiers" (VU#n.N) and issue 3's vulnerability data: CVE and CWE ids, CVSS 3.1
and 4.0 vectors scored with the `cvss` library, and package URLs."""

from __future__ import annotations

from decimal import Decimal

import pytest
from cvss import CVSS3, CVSS4
from hypothesis import given
from hypothesis import strategies as st

from accord.cases import actions
from accord.cases.models import Vulnerability
from accord.lib import vulnids
from accord.lib.errors import InvalidInput
from tests.rule_helpers import assert_refused, events_since, last_event_pk

CVSS3_CRITICAL = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
CVSS4_VECTOR = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"
CVSS4_OTHER = "CVSS:4.0/AV:L/AC:H/AT:P/PR:L/UI:A/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N"


def test_vulnerabilities_are_numbered_in_order(world):
    case = world.case
    [first] = case.vulnerabilities.all()
    assert first.label == f"VU#{case.number}.1"
    mark = last_event_pk()
    second = actions.add_vulnerability(case, by=world.analyst, title="Second")
    third = actions.add_vulnerability(case, by=world.analyst, title="Third")
    assert (second.seq, third.seq) == (2, 3)
    assert second.label == f"VU#{case.number}.2" and third.label == f"VU#{case.number}.3"
    events = events_since(mark)
    assert [e.kind for e in events] == ["vulnerability.added"] * 2
    assert [e.data["vulnerability"] for e in events] == [second.label, third.label]


def test_only_analysts_add_vulnerabilities(world):
    for persona in ("vendor", "reporter", "outsider"):
        assert_refused(
            lambda persona=persona: actions.add_vulnerability(world.case, by=world.persona(persona)),
            "analyst-only",
            world.case,
        )


# --- CVE ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("CVE-2026-1234", "CVE-2026-1234"),
        ("cve-2026-123456", "CVE-2026-123456"),
        (" CVE-1999-0001 ", "CVE-1999-0001"),
    ],
)
def test_a_cve_id_is_checked_and_stored(world, value, stored):
    vulnerability = actions.add_vulnerability(world.case, by=world.analyst, cve=value)
    assert Vulnerability.objects.get(pk=vulnerability.pk).cve == stored


@pytest.mark.parametrize(
    "value", ["CVE-26-1", "CVE-2026-123", "CVE2026-1234", "2026-1234", "CVE-2026-12a4", "GHSA-xxxx"]
)
def test_a_malformed_cve_id_is_refused(world, value):
    assert_refused(
        lambda: actions.add_vulnerability(world.case, by=world.analyst, cve=value), InvalidInput, field="cve"
    )


def test_a_cve_is_attached_later(world):
    [first] = world.case.vulnerabilities.all()
    mark = last_event_pk()
    actions.update_vulnerability(first, by=world.analyst, cve="CVE-2026-4242")
    first.refresh_from_db()
    assert first.cve == "CVE-2026-4242"
    [event] = events_since(mark)
    assert event.kind == "vulnerability.updated"
    assert event.data["changes"]["cve"] == {"old": "", "new": "CVE-2026-4242"}


def test_a_cve_is_not_attached_to_two_vulnerabilities_of_a_case(world):
    [first] = world.case.vulnerabilities.all()
    actions.update_vulnerability(first, by=world.analyst, cve="CVE-2026-4242")
    second = actions.add_vulnerability(world.case, by=world.analyst)
    assert_refused(
        lambda: actions.add_vulnerability(world.case, by=world.analyst, cve="cve-2026-4242"),
        InvalidInput,
        world.case,
        field="cve",
    )
    assert_refused(
        lambda: actions.update_vulnerability(second, by=world.analyst, cve="CVE-2026-4242"),
        InvalidInput,
        second,
        field="cve",
    )
    # Its own CVE again is no conflict.
    actions.update_vulnerability(first, by=world.analyst, cve="CVE-2026-4242", title="Renamed")


# --- CWE ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "stored"), [("79", "CWE-79"), ("CWE-79", "CWE-79"), ("cwe-1321", "CWE-1321"), ("", "")]
)
def test_a_cwe_id_is_normalised(world, value, stored):
    vulnerability = actions.add_vulnerability(world.case, by=world.analyst, cwe=value)
    assert Vulnerability.objects.get(pk=vulnerability.pk).cwe == stored


@pytest.mark.parametrize("value", ["CWE79", "CWE-", "XSS", "CWE-1234567", "-79"])
def test_a_malformed_cwe_id_is_refused(world, value):
    assert_refused(
        lambda: actions.add_vulnerability(world.case, by=world.analyst, cwe=value), InvalidInput, field="cwe"
    )


# --- CVSS --------------------------------------------------------------------------------------------


def test_a_cvss_31_vector_is_parsed_and_scored(world):
    vulnerability = actions.add_vulnerability(world.case, by=world.analyst, cvss3_vector=CVSS3_CRITICAL)
    vulnerability = Vulnerability.objects.get(pk=vulnerability.pk)
    assert vulnerability.cvss3_vector == CVSS3_CRITICAL
    assert vulnerability.cvss3_score == Decimal("9.8")


@pytest.mark.parametrize("vector", [CVSS4_VECTOR, CVSS4_OTHER])
def test_a_cvss_40_vector_is_scored_as_the_library_says(world, vector):
    vulnerability = actions.add_vulnerability(world.case, by=world.analyst, cvss4_vector=vector)
    vulnerability = Vulnerability.objects.get(pk=vulnerability.pk)
    expected = CVSS4(vector)
    assert vulnerability.cvss4_vector == expected.clean_vector()
    assert vulnerability.cvss4_score == Decimal(str(expected.base_score))
    if vector == CVSS4_VECTOR:
        assert vulnerability.cvss4_score == Decimal("9.3")


def test_both_vectors_on_one_vulnerability(world):
    [first] = world.case.vulnerabilities.all()
    actions.update_vulnerability(
        first, by=world.analyst, cvss3_vector=CVSS3_CRITICAL, cvss4_vector=CVSS4_VECTOR
    )
    first.refresh_from_db()
    assert (first.cvss3_score, first.cvss4_score) == (Decimal("9.8"), Decimal("9.3"))


@pytest.mark.parametrize(
    ("field", "vector", "reason"),
    [
        ("cvss3_vector", "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 'Unknown value "X"'),
        ("cvss3_vector", "CVSS:3.1/AV:N", "Missing mandatory metrics"),
        ("cvss3_vector", CVSS3_CRITICAL + "/AV:L", 'Duplicate metric "AV"'),
        ("cvss3_vector", "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "CVSS:3.1/"),
        ("cvss3_vector", "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "CVSS:3.1/"),
        ("cvss4_vector", "CVSS:4.0/AV:N", "Missing mandatory metrics"),
        ("cvss4_vector", CVSS4_VECTOR.replace("VC:H", "VC:Q"), None),
        ("cvss4_vector", CVSS3_CRITICAL, "CVSS:4.0/"),
    ],
)
def test_an_invalid_vector_is_refused_with_the_reason_and_nothing_stored(world, field, vector, reason):
    [first] = world.case.vulnerabilities.all()
    error = assert_refused(
        lambda: actions.add_vulnerability(world.case, by=world.analyst, **{field: vector}),
        InvalidInput,
        world.case,
        field=field,
    )
    assert reason is None or reason in error.message
    assert_refused(
        lambda: actions.update_vulnerability(first, by=world.analyst, **{field: vector}),
        InvalidInput,
        first,
        field=field,
    )


def test_the_library_reason_is_passed_on():
    with pytest.raises(Exception) as library:
        CVSS3("CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
    with pytest.raises(InvalidInput) as ours:
        vulnids.cvss3_score("CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
    assert str(library.value) in ours.value.message


@given(st.sampled_from(["CVSS:3.1/", "CVSS:4.0/", ""]), st.text(max_size=120))
def test_any_vector_is_scored_or_refused_never_crashes(prefix, rest):
    for check in (vulnids.cvss3_score, vulnids.cvss4_score):
        try:
            vector, score = check(prefix + rest)
        except InvalidInput:
            continue
        assert score is None or Decimal("0") <= score <= Decimal("10")
        assert (score is None) == (vector == "")


# --- Package URLs ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "purl",
    [
        "pkg:pypi/django@5.2",
        "pkg:npm/%40angular/core@17.0.0",
        "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
        "pkg:deb/debian/openssl@3.0.11-1?arch=amd64",
        "pkg:github/widget/server",
        "",
    ],
)
def test_a_valid_purl_is_stored(world, purl):
    [first] = world.case.vulnerabilities.all()
    mark = last_event_pk()
    product = actions.add_product(first, "Widget", by=world.analyst, version_range="<2.2", purl=purl)
    assert product.purl == purl
    [event] = events_since(mark)
    assert event.kind == "product.added" and event.data["purl"] == purl


@pytest.mark.parametrize(
    "purl",
    [
        "pypi/django",
        "pkg:pypi",
        "pkg:/django",
        "pkg:pypi/",
        "pkg:1pypi/django",
        "pkg:-x/y",
        "pkg:pypi/dj ango",
    ],
)
def test_an_invalid_purl_is_refused(world, purl):
    [first] = world.case.vulnerabilities.all()
    assert_refused(
        lambda: actions.add_product(first, "Widget", by=world.analyst, purl=purl),
        InvalidInput,
        first,
        field="purl",
    )


def test_a_product_needs_a_name(world):
    [first] = world.case.vulnerabilities.all()
    assert_refused(
        lambda: actions.add_product(first, "  ", by=world.analyst), InvalidInput, first, field="name"
    )


# --- EUVD and GCVE ids (issue 12 item 2) -------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "stored"),
    [("EUVD-2026-12345", "EUVD-2026-12345"), (" euvd-2025-1 ", "EUVD-2025-1"), ("", "")],
)
def test_an_euvd_id_is_checked_and_stored(world, value, stored):
    vulnerability = actions.add_vulnerability(world.case, by=world.analyst, euvd=value)
    assert Vulnerability.objects.get(pk=vulnerability.pk).euvd == stored


@pytest.mark.parametrize("value", ["EUVD-26-1", "EUVD-2026-", "CVE-2026-1234", "EUVD 2026 1", "EUVD-2026-1x"])
def test_a_malformed_euvd_id_is_refused(world, value):
    [first] = world.case.vulnerabilities.all()
    assert_refused(
        lambda: actions.update_vulnerability(first, by=world.analyst, euvd=value),
        InvalidInput,
        first,
        field="euvd",
    )


def test_gcve_ids_are_read_from_text_or_a_list_and_deduplicated(world):
    vulnerability = actions.add_vulnerability(
        world.case, by=world.analyst, gcve="gcve-1-2026-0001, GCVE-1-2026-0001\nGCVE-42-2025-7"
    )
    assert vulnerability.gcve == ["GCVE-1-2026-0001", "GCVE-42-2025-7"]
    actions.update_vulnerability(vulnerability, by=world.analyst, gcve=["GCVE-3-2026-9"])
    vulnerability.refresh_from_db()
    assert vulnerability.gcve == ["GCVE-3-2026-9"]
    assert vulnerability.aliases == ["GCVE-3-2026-9"]


@pytest.mark.parametrize("value", ["GCVE-2026-0001", "GCVE-X-2026-1", "CVE-2026-1234", "GCVE-1-26-1"])
def test_a_malformed_gcve_id_is_refused(world, value):
    [first] = world.case.vulnerabilities.all()
    assert_refused(
        lambda: actions.update_vulnerability(first, by=world.analyst, gcve=[value]),
        InvalidInput,
        first,
        field="gcve",
    )


def test_at_most_twenty_gcve_ids(world):
    [first] = world.case.vulnerabilities.all()
    many = " ".join(f"GCVE-1-2026-{n}" for n in range(21))
    assert_refused(
        lambda: actions.update_vulnerability(first, by=world.analyst, gcve=many),
        InvalidInput,
        first,
        field="gcve",
    )


def test_euvd_and_gcve_through_the_web_form(world):
    from django.test import Client

    from accord.testing import login

    case = world.case
    client = login(Client(), world.analyst)
    bad = client.post(
        f"/cases/{case.url_ref}/vulnerabilities/edit/", {"seq": "1", "euvd": "EUVD-26-1", "gcve": "GCVE-1"}
    )
    assert bad.status_code == 400
    body = bad.content.decode()
    assert "is not an EUVD id like EUVD-2026-12345." in body
    assert case.vulnerabilities.get(seq=1).euvd == ""
    bad = client.post(f"/cases/{case.url_ref}/vulnerabilities/edit/", {"seq": "1", "gcve": "GCVE-1"})
    assert bad.status_code == 400 and "is not a GCVE id like GCVE-1-2026-0001." in bad.content.decode()
    good = client.post(
        f"/cases/{case.url_ref}/vulnerabilities/edit/",
        {
            "seq": "1",
            "title": "Heap overflow",
            "euvd": "euvd-2026-4242",
            "gcve": "GCVE-1-2026-7, GCVE-9-2026-8",
        },
    )
    assert good.status_code == 302
    first = case.vulnerabilities.get(seq=1)
    assert (first.euvd, first.gcve) == ("EUVD-2026-4242", ["GCVE-1-2026-7", "GCVE-9-2026-8"])
    page = client.get(f"/cases/{case.url_ref}/").content.decode()
    assert "Other ids" in page and "EUVD-2026-4242, GCVE-1-2026-7, GCVE-9-2026-8" in page
    # The edit form shows them back as typed values.
    assert 'value="EUVD-2026-4242"' in page and 'value="GCVE-1-2026-7 GCVE-9-2026-8"' in page


def test_euvd_and_gcve_through_the_api(world):
    from accord.testing import token_client

    case = world.case
    client = token_client(world.analyst)
    url = f"/api/v1/cases/{case.url_ref}/vulnerabilities"
    bad = client.post(url, {"title": "Second", "euvd": "EUVD-1"}, content_type="application/json")
    assert bad.status_code == 400
    assert bad.json()["errors"] == [
        {"field": "euvd", "message": "'EUVD-1' is not an EUVD id like EUVD-2026-12345."}
    ]
    bad = client.post(url, {"gcve": ["GCVE-1-2026-1", "nope"]}, content_type="application/json")
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "gcve"
    bad = client.post(url, {"gcve": "GCVE-1-2026-1"}, content_type="application/json")
    assert bad.status_code == 400  # a list, not a string
    assert case.vulnerabilities.count() == 1
    made = client.post(
        url,
        {"title": "Second", "euvd": "EUVD-2026-5", "gcve": ["GCVE-1-2026-5"]},
        content_type="application/json",
    )
    assert made.status_code == 201
    assert (made.json()["euvd"], made.json()["gcve"]) == ("EUVD-2026-5", ["GCVE-1-2026-5"])
    patched = client.patch(f"{url}/2", {"gcve": []}, content_type="application/json")
    assert (
        patched.status_code == 200
        and patched.json()["gcve"] == []
        and patched.json()["euvd"] == "EUVD-2026-5"
    )
    got = client.get(f"/api/v1/cases/{case.url_ref}").json()
    assert [v["euvd"] for v in got["vulnerabilities"]] == ["", "EUVD-2026-5"]


def test_euvd_and_gcve_appear_on_the_public_note_after_publication(world):
    from django.test import Client

    from accord.publication import actions as notes
    from accord.testing import start_embargo

    case = start_embargo(world)
    [first] = case.vulnerabilities.all()
    actions.update_vulnerability(first, by=world.analyst, euvd="EUVD-2026-777", gcve="GCVE-1-2026-77")
    actions.terminate_embargo(case, by=world.analyst, reason="fix shipped")
    note = notes.note_for(case, by=world.analyst)
    notes.save_draft(note, {"overview": "A heap overflow."}, summary="first words", by=world.analyst)
    notes.approve(notes.request_review(note, by=world.analyst), by=world.publisher)
    note.refresh_from_db()
    notes.publish_now(note, by=world.publisher)
    page = Client().get(f"/vuls/{case.url_ref}/").content.decode()
    assert "Other ids" in page
    assert '<span class="nowrap">EUVD-2026-777</span>, <span class="nowrap">GCVE-1-2026-77</span>' in page
    note_json = Client().get(f"/api/v1/notes/{case.url_ref}").json()
    assert note_json["vulnerabilities"][0]["aliases"] == ["EUVD-2026-777", "GCVE-1-2026-77"]

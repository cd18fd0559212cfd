"""process.md "Identifiers": case numbers, case ids in text and in paths, report ids."""

from __future__ import annotations

import re
from itertools import chain, repeat
from urllib.parse import unquote

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from accord.cases import actions
from accord.cases.access import access_case
from accord.cases.actions.reports import ReportInput
from accord.cases.models import Case, Report
from accord.lib import ids
from accord.lib.ids import case_label, find_case_number, parse_case_ref, parse_vulnerability_ref

# --- Case numbers ------------------------------------------------------------------------------


def test_case_numbers_are_drawn_from_100000_to_999999(monkeypatch):
    monkeypatch.setattr(ids.secrets, "randbelow", lambda n: 0)
    assert ids.new_case_number() == 100000
    monkeypatch.setattr(ids.secrets, "randbelow", lambda n: n - 1)
    assert ids.new_case_number() == 999999
    monkeypatch.undo()
    drawn = {ids.new_case_number() for _ in range(2000)}
    assert all(100000 <= n <= 999999 for n in drawn)
    assert len(drawn) > 1900  # random, not a sequence of a few values


def test_a_taken_case_number_is_never_reused(world, monkeypatch):
    taken = world.case.number
    free = 100001 if taken != 100001 else 100002
    # accept_report imported the generator by name: patch it where it is used.
    draws = chain([taken, taken], repeat(free))
    monkeypatch.setattr("accord.cases.actions.reports.new_case_number", lambda: next(draws))
    report, _ = actions.submit_report(
        ReportInput(product="Gadget", version="1", description="x", reporter_name="R"), by=None
    )
    case = actions.accept_report(report, by=world.analyst)
    assert case.number == free
    assert Case.objects.filter(number=taken).count() == 1


def test_case_label_uses_the_prefix_setting(settings):
    assert case_label(123456) == "VU#123456"
    settings.CASE_PREFIX = "JVN#"
    assert case_label(123456) == "JVN#123456"


# --- Case ids in text ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "VU#123456",
        "VU #123456",
        "vu#123456",
        "Vu#123456",
        "VU123456",
        "[VU#123456]",
        "Re: Fwd: [VU#123456] Heap overflow in Widget",
        "RE: FW: VU#123456: status?",
        "About VU#123456.",
        "(VU#123456)",
        "case VU#123456, see also VU#654321",  # the first one
    ],
)
def test_every_spelling_of_process_md_is_parsed(text):
    assert find_case_number(text) == 123456


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("VU#1234567", 1234567),  # never 123456
        ("[VU#1234567] re", 1234567),
        ("VU#6733", 6733),  # imported: CERT/CC's archive
        ("Re: [VU#1600833]", 1600833),
        ("VU#1", 1),
        ("VU#123456.2", 123456),  # a vulnerability's id names its case
    ],
)
def test_the_whole_run_of_digits_is_taken(text, number):
    assert find_case_number(text) == number


@pytest.mark.parametrize(
    "text",
    [
        "",
        "no case here",
        "VU#",
        "VU#12345678",  # eight digits: not a case id, and never a part of the run
        "VU#١٢٣٤٥٦",  # only ASCII digits make a case number
        "MENU#123456",  # "VU" inside a word
        "#123456",
    ],
)
def test_text_without_a_case_id(text):
    assert find_case_number(text) is None


def test_a_run_of_other_digits_does_not_join_the_number():
    assert find_case_number("VU#123456٧") == 123456


@given(st.text())
def test_find_case_number_never_raises(text):
    number = find_case_number(text)
    assert number is None or 0 <= number <= 9_999_999


@given(
    prefix=st.text().filter(lambda s: "v" not in s.lower()),
    separator=st.sampled_from([" ", "[", "(", ": ", "\n", "Re: Fwd: ["]),
    spelling=st.sampled_from(["VU#", "vu#", "VU #", "VU", "Vu# "]),
    digits=st.text(alphabet="0123456789", min_size=1, max_size=7),
    suffix=st.text().filter(lambda s: not s[:1].isascii() or not s[:1].isdigit()),
)
def test_the_whole_run_after_vu_is_returned(prefix, separator, spelling, digits, suffix):
    """Reading: "contains VU# + a digit run" means a case id that is not the tail of a word
    (`MENU#12` is not one) and a run of 1 to 7 ASCII digits, as process.md defines case ids."""
    text = prefix + separator + spelling + digits + suffix
    assert find_case_number(text) == int(digits)


@given(
    prefix=st.sampled_from(["", " ", "[", "Re: "]),
    digits=st.text(alphabet="0123456789", min_size=8, max_size=20),
    suffix=st.text().filter(lambda s: "v" not in s.lower()),
)
def test_a_longer_run_is_never_cut(prefix, digits, suffix):
    assume(not (suffix[:1].isascii() and suffix[:1].isdigit()))
    assert find_case_number(prefix + "VU#" + digits + suffix) is None


# --- Case ids in paths and the API -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "number"),
    [
        ("VU123456", 123456),
        (unquote("VU%23123456"), 123456),
        ("VU#123456", 123456),
        ("vu123456", 123456),
        ("123456", 123456),
        ("VU6733", 6733),
        ("VU#1600833", 1600833),
        ("1600833", 1600833),
    ],
)
def test_parse_case_ref(value, number):
    assert parse_case_ref(value) == number


@pytest.mark.parametrize(
    "value",
    [
        "",
        "VU",
        "VU#",
        "garbage",
        "12345678",
        "VU#123456.1",
        "VU#123456x",
        "-123456",
        "123 456",
        "١٢٣٤٥٦",
        "../123456",
        "VU%23123456",  # not decoded: the router decodes
    ],
)
def test_parse_case_ref_refuses_garbage(value):
    assert parse_case_ref(value) is None


def test_parse_vulnerability_ref():
    assert parse_vulnerability_ref("VU#123456.2") == (123456, 2)
    assert parse_vulnerability_ref("VU6733.1") == (6733, 1)
    assert parse_vulnerability_ref("VU#123456") is None


@pytest.mark.parametrize("ref", ["VU6733", "VU#6733", "6733", 6733])
def test_every_lookup_accepts_imported_short_numbers(world, ref):
    imported = Case.objects.create(number=6733, title="Imported", quiet=True)
    assert imported.label == "VU#6733"
    assert access_case(world.analyst, ref).case == imported


@pytest.mark.parametrize("ref", ["VU1600833", "VU#1600833", "1600833"])
def test_every_lookup_accepts_imported_seven_digit_numbers(world, ref):
    imported = Case.objects.create(number=1600833, title="Imported", quiet=True)
    assert access_case(world.analyst, ref).case == imported


# --- Report ids ------------------------------------------------------------------------------------

REPORT_ID = re.compile(r"^REPORT-\d{4}-[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{8}$")


def test_report_ids_cannot_be_guessed(world):
    assert REPORT_ID.match(world.report.id), world.report.id
    assert world.report.id.startswith(f"REPORT-{world.report.created_at.year}-")
    drawn = {ids.new_report_id(2026) for _ in range(1000)}
    assert len(drawn) == 1000
    assert all(REPORT_ID.match(report_id) for report_id in drawn)
    # 32 symbols, 8 of them: 40 bits, drawn with `secrets`.
    assert len(set("".join(report_id[-8:] for report_id in drawn))) == 32


def test_a_report_id_collision_is_retried(world, monkeypatch):
    taken = world.report.id
    fresh = "REPORT-2026-ZZZZ2222"
    draws = iter([taken, taken, fresh])
    monkeypatch.setattr("accord.cases.actions.reports.new_report_id", lambda year: next(draws))
    before = Report.objects.get(pk=taken)
    report, _ = actions.submit_report(
        ReportInput(product="Gadget", version="1", description="x", reporter_name="R"), by=None
    )
    assert report.id == fresh
    after = Report.objects.get(pk=taken)
    assert (after.product, after.description, after.state) == (
        before.product,
        before.description,
        before.state,
    )

"""Checks for CVE and CWE ids, CVSS vectors (with the `cvss` library) and package URLs."""

from __future__ import annotations

import re
from decimal import Decimal

from cvss import CVSS3, CVSS4
from cvss.exceptions import CVSS3Error, CVSS4Error

from accord.lib.errors import InvalidInput

CVE = re.compile(r"^CVE-\d{4}-\d{4,19}$")
CWE = re.compile(r"^CWE-\d{1,6}$")
PURL = re.compile(r"^pkg:[A-Za-z][A-Za-z0-9.+-]*/[^\s]+$")  # the type starts with a letter


def check_cve(value: str) -> str:
    value = (value or "").strip().upper()
    if value and not CVE.match(value):
        raise InvalidInput("cve", f"{value!r} is not a CVE id like CVE-2026-12345.")
    return value


def check_cwe(value: str) -> str:
    value = (value or "").strip().upper()
    if value.isdigit():
        value = f"CWE-{value}"
    if value and not CWE.match(value):
        raise InvalidInput("cwe", f"{value!r} is not a CWE id like CWE-79.")
    return value


def cvss3_score(vector: str) -> tuple[str, Decimal | None]:
    vector = (vector or "").strip()
    if not vector:
        return "", None
    if not vector.startswith("CVSS:3.1/"):
        raise InvalidInput("cvss3_vector", "A CVSS 3.1 vector starts with 'CVSS:3.1/'.")
    try:
        parsed = CVSS3(vector)
    except CVSS3Error as exc:  # malformed, or a mandatory metric missing
        raise InvalidInput("cvss3_vector", f"Not a valid CVSS 3.1 vector: {exc}")
    return parsed.clean_vector(), Decimal(str(parsed.base_score))


def cvss4_score(vector: str) -> tuple[str, Decimal | None]:
    vector = (vector or "").strip()
    if not vector:
        return "", None
    if not vector.startswith("CVSS:4.0/"):
        raise InvalidInput("cvss4_vector", "A CVSS 4.0 vector starts with 'CVSS:4.0/'.")
    try:
        parsed = CVSS4(vector)
    except CVSS4Error as exc:  # malformed, or a mandatory metric missing
        raise InvalidInput("cvss4_vector", f"Not a valid CVSS 4.0 vector: {exc}")
    return parsed.clean_vector(), Decimal(str(parsed.base_score))


def check_purl(value: str) -> str:
    value = (value or "").strip()
    if value and not PURL.match(value):
        raise InvalidInput("purl", f"{value!r} is not a package URL like pkg:pypi/django@5.2.")
    return value

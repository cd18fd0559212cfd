"""Checks for CVE, EUVD, GCVE and CWE ids, CVSS vectors (with the `cvss` library) and package URLs
(with `packageurl-python`)."""

from __future__ import annotations

import re
from decimal import Decimal

from cvss import CVSS3, CVSS4
from cvss.exceptions import CVSS3Error, CVSS4Error
from packageurl import PackageURL

from accord.lib.errors import InvalidInput

CVE = re.compile(r"^CVE-\d{4}-\d{4,19}$")
CWE = re.compile(r"^CWE-\d{1,6}$")
EUVD = re.compile(r"^EUVD-\d{4}-\d{1,19}$")  # ENISA: EUVD-YYYY-NNNNN
GCVE = re.compile(r"^GCVE-\d{1,9}-\d{4}-\d{1,19}$")  # GCVE-<GNA id>-<year>-<number>


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


def check_euvd(value: str) -> str:
    value = (value or "").strip().upper()
    if value and not EUVD.match(value):
        raise InvalidInput("euvd", f"{value!r} is not an EUVD id like EUVD-2026-12345.")
    return value


def check_gcve(values: str | list[str]) -> list[str]:
    """GCVE ids from a list or from text separated by commas, spaces or new lines; duplicates dropped."""
    items = values.replace(",", " ").split() if isinstance(values, str) else list(values or [])
    out: list[str] = []
    for item in items:
        value = str(item).strip().upper()
        if not GCVE.match(value):
            raise InvalidInput("gcve", f"{value!r} is not a GCVE id like GCVE-1-2026-0001.")
        if value not in out:
            out.append(value)
    if len(out) > 20:
        raise InvalidInput("gcve", "At most 20 GCVE ids.")
    return out


def parse_purl(value: str) -> PackageURL | None:
    """The parsed package URL, or None when `value` is not one."""
    if any(c.isspace() for c in value):
        return None
    try:
        parsed = PackageURL.from_string(value)
    except ValueError:
        return None
    # ECMA-427: the type starts with an ASCII letter (the library only refuses a leading digit).
    return parsed if parsed.type[:1].isascii() and parsed.type[:1].isalpha() else None


def check_purl(value: str) -> str:
    value = (value or "").strip()
    if value and (len(value) > 500 or parse_purl(value) is None):
        raise InvalidInput("purl", f"{value!r} is not a package URL like pkg:pypi/django@5.2.")
    return value

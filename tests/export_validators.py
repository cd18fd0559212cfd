"""The official validators of every export format, for tests (architecture.md "exports"):

- CSAF 2.0 and 2.1: PyPI `csaf`'s own command, `csaf validate --spec-version v20|v21csd04 --no-network`,
  run in batches (its RFC 7464 output, one result per file, in order); an error in the schema test or
  any mandatory test (6.1.x) fails the document.
- CVE Record 5.2: ../shared/schemas/cve-5.2 with jsonschema's Draft 7 validator.
- OSV and OpenVEX: ../shared/schemas with jsonschema (2020-12), formats checked
  (`jsonschema[format-nongpl]`).
Each function returns the list of problems (empty = valid), so a failing test names them.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

SCHEMAS = Path(__file__).resolve().parents[2] / "shared" / "schemas"
CSAF = str(Path(sys.executable).with_name("csaf"))
SPEC = {"csaf": "v20", "csaf21": "v21csd04"}


def csaf_problems(docs: list[dict[str, Any]], fmt: str = "csaf") -> list[list[str]]:
    """One list of problems per document."""
    if not docs:
        return []
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for index, doc in enumerate(docs):
            path = Path(folder) / f"doc_{index:05d}.json"
            path.write_text(json.dumps(doc))
            paths.append(str(path))
        out = subprocess.run(
            [CSAF, "validate", "--spec-version", SPEC[fmt], "--no-network", "--format", "deprecated-json"]
            + ["--rfc7464-always", *paths],
            capture_output=True,
            text=True,
            check=False,
        )
    results = [json.loads(chunk) for chunk in out.stdout.split("\x1e") if chunk.strip()]
    assert len(results) == len(docs), out.stderr[-2000:]
    problems = []
    for result in results:
        found = []
        for test in result["tests"]:
            name = str(test["name"])
            mandatory = name == "schema" or name.startswith(("mandatoryTest", "6.1."))
            if mandatory and test["errors"]:
                found += [
                    f"{name} {e.get('instancePath', '')}: {e.get('message', '')}" for e in test["errors"]
                ]
        problems.append(found)
    return problems


def _load(*parts: str) -> dict[str, Any]:
    return json.loads((SCHEMAS.joinpath(*parts)).read_text())


@cache
def _validator(fmt: str) -> Any:
    checker = jsonschema.FormatChecker()
    if fmt == "cve5":
        return jsonschema.Draft7Validator(
            _load("cve-5.2", "CVE_Record_Format_bundled.json"), format_checker=checker
        )
    if fmt == "osv":
        return jsonschema.Draft202012Validator(_load("osv", "schema.json"), format_checker=checker)
    if fmt == "openvex":
        return jsonschema.Draft202012Validator(
            _load("openvex", "openvex_json_schema.json"), format_checker=checker
        )
    if fmt == "provider":
        # The provider schema refers to the CSAF schema, which refers to FIRST's CVSS schemas by URL.
        registry: Registry = Registry()
        for version in ("2.0", "3.0", "3.1"):
            schema = _load("csaf-2.0", "first", f"cvss-v{version}.json")
            url = f"https://www.first.org/cvss/cvss-v{version}.json"
            resource = Resource.from_contents(schema, default_specification=DRAFT7)
            registry = registry.with_resource(url, resource)
        csaf = _load("csaf-2.0", "csaf_json_schema.json")
        registry = registry.with_resource(csaf["$id"], Resource.from_contents(csaf))
        return jsonschema.Draft202012Validator(
            _load("csaf-2.0", "provider_json_schema.json"), registry=registry, format_checker=checker
        )
    raise ValueError(fmt)


def schema_problems(doc: Any, fmt: str) -> list[str]:
    """Problems of one CVE record, OSV entry, OpenVEX document or CSAF provider-metadata.json."""
    return [
        f"{'/'.join(str(p) for p in error.absolute_path)}: {error.message}"
        for error in _validator(fmt).iter_errors(doc)
    ]

"""Measure the exports (issue 12) on the archive sample (../shared/data/certcc-vda): its 200 published
notes, and VU#854306 with 285 vendor records, the largest note.

- building each format of VU#854306 (median of 5), and of all 200 notes;
- the public URL of VU#854306's CSAF document: time and queries;
- the CSAF provider directory: the first refresh (200 documents built, hashed and signed with a real
  coordinator key) and a second one where nothing changed (nothing re-signed).

Writes benchmarks/results/exports.json, each figure next to its budget. Throw-away SQLite database.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

import common  # sets Django up: before any Django import (isort keeps it first)
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accord.archive.load import load_archive
from accord.exports import provider, registry, source
from accord.publication import public

SAMPLE = common.ROOT.parent / "shared" / "data" / "certcc-vda"
# Budgets on one machine of 2 cores.
BUDGET_LARGEST_NOTE_S = 0.5  # one format of the 285-vendor note
BUDGET_ALL_NOTES_S = 20.0  # one format of all 200 notes
BUDGET_URL_S = 1.0
BUDGET_URL_QUERIES = 6
BUDGET_FIRST_REFRESH_S = 120.0  # 200 documents built, hashed and signed
BUDGET_SECOND_REFRESH_S = 20.0  # nothing changed: built and compared, nothing signed


def _timed(fn: Any, repeat: int = 1) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _build(fmt: registry.Format, published: source.Published) -> bool:
    try:
        registry.document(fmt, published)
    except registry.NotAvailable:
        return False
    return True


def main() -> None:
    from django.conf import settings

    call_command("migrate", verbosity=0)
    settings.CSAF_21 = True
    settings.CVE_ORG_ID = "d6c6d5e5-4c4c-4e0f-9a3e-0f6b3c1c2a10"
    load_archive(SAMPLE, quiet=True)
    largest = source.published("854306")
    assert largest is not None
    notes = [source.published(str(r.note.case.number)) for r in public.latest_revisions()]
    results: dict[str, Any] = {"notes": len(notes), "largest_note_vendors": len(largest.snapshot["vendors"])}
    for fmt in registry.formats():
        available = sum(_build(fmt, p) for p in notes if p is not None)
        results[fmt.name] = {
            "largest_note_s": round(_timed(lambda fmt=fmt: _build(fmt, largest), 5), 3),
            "largest_note_budget_s": BUDGET_LARGEST_NOTE_S,
            "all_notes_s": round(_timed(lambda fmt=fmt: [_build(fmt, p) for p in notes if p]), 2),
            "all_notes_budget_s": BUDGET_ALL_NOTES_S,
            "available": available,
        }
    client = Client()
    with CaptureQueriesContext(connection) as queries:
        seconds = _timed(lambda: client.get("/vuls/854306/csaf.json"))
    results["url_csaf_854306"] = {
        "seconds": round(seconds, 3),
        "budget_s": BUDGET_URL_S,
        "queries": len(queries),
        "budget_queries": BUDGET_URL_QUERIES,
    }
    # The CSAF directory, with a real coordinator key: the first refresh signs every document, the
    # second finds nothing changed.
    call_command("keys", "generate", "--name", "Accord benchmark", "--email", "cert@bench.test", verbosity=0)
    for run, budget in (("first", BUDGET_FIRST_REFRESH_S), ("second", BUDGET_SECOND_REFRESH_S)):
        started = time.perf_counter()
        counts = provider.refresh()
        results[f"csaf_directory_{run}_refresh"] = {
            "seconds": round(time.perf_counter() - started, 2),
            "budget_s": budget,
            "changed": counts.changed,
            "unchanged": counts.unchanged,
            "unavailable": counts.unavailable,
        }
    common.write_results("exports", **results)
    print(results)


if __name__ == "__main__":
    main()

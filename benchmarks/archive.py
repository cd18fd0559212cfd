"""Measure `accord import_certcc` on the archive sample (../shared/data/certcc-vda: 500 reports,
2,315 vendor records), then on five copies of it under other numbers (2,500 reports), to show that
the rate and the memory per batch do not grow with the archive (Python's heap after every 500
reports; peak RSS is reported too but counts the allocator's high-water mark); and a second,
unchanged run. The 200 published reports of each copy become notes with their first revision.

Writes benchmarks/results/archive.json, with the full archive's time extrapolated (66,673 reports
and 32,480 vendor records: a twentieth of the sample's vendor records per report, so the
extrapolation by reports is pessimistic) next to its budget. Runs on a throw-away SQLite database.
"""

from __future__ import annotations

import io
import os
import re
import resource
import tempfile
import time
import tracemalloc
from pathlib import Path

import common  # sets Django up: before any Django import (isort keeps it first)
from django.core.management import call_command

from accord.archive.load import load_archive
from accord.cases.models import Case

SAMPLE = common.ROOT.parent / "shared" / "data" / "certcc-vda"
FULL_REPORTS = 66_673
FULL_VENDOR_RECORDS = 32_480
COPIES = 5
OFFSET = 2_000_000  # a multiple of 100 keeps each copy in its report's bucket; numbers stay 7 digits
# Budgets on one machine of 2 cores: the whole archive, first run and an unchanged second run (s).
BUDGET_FULL_FIRST_S = 900
BUDGET_FULL_SECOND_S = 300
# Python's heap after each 500 reports (tracemalloc), from the first to the last: memory stays that
# of one batch (the caches of Django and SQLite fill once), it does not grow with the archive.
BUDGET_HEAP_GROWTH_MB = 10


def _copies(target: Path) -> None:
    """COPIES copies of the sample, copy k numbered k * OFFSET above the original."""
    for path in (SAMPLE / "data").glob("*/vu_*"):
        number = int(path.name[3:])
        for k in range(COPIES):
            new = number + k * OFFSET
            folder = target / "data" / path.parent.name / f"vu_{new}"
            folder.mkdir(parents=True)
            for file in path.glob("*.json"):
                text = file.read_bytes().replace(f'"VU#{number}"'.encode(), f'"VU#{new}"'.encode())
                name = f"vu_{new}.json" if file.name.startswith("vu_") else file.name
                (folder / name).write_bytes(text)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _run(root: Path) -> dict[str, float | int]:
    rss = _rss_mb()
    started = time.perf_counter()
    report = load_archive(root, quiet=True)
    seconds = time.perf_counter() - started
    assert report.error_count == 0, report.errors[:5]
    return {
        "reports": report.reports,
        "imported": report.imported,
        "unchanged": report.unchanged,
        "vendor_records": report.vendor_records,
        "notes": report.notes,
        "seconds": round(seconds, 2),
        "reports_per_s": round(report.reports / seconds, 1),
        "peak_rss_mb": round(_rss_mb(), 1),
        "peak_rss_growth_mb": round(_rss_mb() - rss, 1),
    }


def _heap_per_500(root: Path) -> list[float]:
    """Python's heap (MB) at each progress line (every 500 reports) of an import of `root`."""
    heap: list[float] = []
    tracemalloc.start()
    try:
        load_archive(root, out=lambda line: heap.append(round(tracemalloc.get_traced_memory()[0] / 1e6, 1)))
    finally:
        tracemalloc.stop()
    return heap


def main() -> None:
    if not (SAMPLE / "data").is_dir():
        raise SystemExit(f"the archive sample is not in {SAMPLE}")
    call_command("migrate", verbosity=0)
    first = _run(SAMPLE)
    second = _run(SAMPLE)
    assert first["imported"] == 500 and second["unchanged"] == 500
    assert first["notes"] == 200 and second["notes"] == 0  # the published reports' notes, once
    # The command's own output, for the record (progress lines and summary).
    out = io.StringIO()
    call_command("import_certcc", str(SAMPLE), stdout=out)
    summary = out.getvalue().strip().splitlines()
    Case.objects.all().delete()
    with tempfile.TemporaryDirectory(prefix="accord-vda-") as tmp:
        _copies(Path(tmp))
        scaled = _run(Path(tmp))
        scaled_second = _run(Path(tmp))
        Case.objects.all().delete()  # and their rows and archive records: the same import again
        heap = _heap_per_500(Path(tmp))
    assert scaled["imported"] == 500 * COPIES and scaled["notes"] == 200 * COPIES
    per_report = float(scaled["seconds"]) / int(scaled["reports"])
    per_report_second = float(scaled_second["seconds"]) / int(scaled_second["reports"])
    full_first = round(per_report * FULL_REPORTS, 1)
    full_second = round(per_report_second * FULL_REPORTS, 1)
    growth = heap[-1] - heap[0]
    results = {
        "sample (500 reports, 2,315 vendor records)": {"first run": first, "second run (unchanged)": second},
        f"{COPIES} copies of the sample ({500 * COPIES:,} reports)": {
            "first run": scaled,
            "second run (unchanged)": scaled_second,
        },
        "full archive, extrapolated by reports": {
            "reports": FULL_REPORTS,
            "vendor_records": FULL_VENDOR_RECORDS,
            "first_run_s": full_first,
            "first_run_budget_s": BUDGET_FULL_FIRST_S,
            "second_run_s": full_second,
            "second_run_budget_s": BUDGET_FULL_SECOND_S,
            "note": "the sample has 4.6 vendor records per report, the archive 0.49: this is an upper bound",
        },
        "python_heap_mb_after_each_500_reports": heap,
        "python_heap_growth_mb": round(growth, 1),
        "python_heap_growth_budget_mb": BUDGET_HEAP_GROWTH_MB,
        "within_budget": full_first <= BUDGET_FULL_FIRST_S
        and full_second <= BUDGET_FULL_SECOND_S
        and growth <= BUDGET_HEAP_GROWTH_MB,
        # The machine is shared: times measured under a load above its 2 cores read slower.
        "load_average_1_5_15_min_at_end": [round(x, 2) for x in os.getloadavg()],
        "command_summary_third_run": [re.sub(r"in [0-9.]+ s", "in … s", line) for line in summary],
    }
    for key, value in results.items():
        print(f"{key}: {value}")
    common.write_results("archive", **results)


if __name__ == "__main__":
    main()

"""Measure the pages and endpoints that list things, on a case with 2,000 vendors.

Writes benchmarks/results/cases.json: for each request the median and worst wall time over
several runs, the number of SQL queries, and the budget. Runs on a throw-away SQLite database.
"""

from __future__ import annotations

import json
import statistics
import time

import common  # sets Django up: before any Django import (isort keeps it first)
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

VENDORS = 2000
RUNS = 7
# Budgets: what a person should wait at most on one machine of 2 cores (ms), and queries.
BUDGETS = {
    "GET /api/v1/cases/{case}": (500, 20),
    "GET /cases/{case}/": (800, 40),
    "GET /cases/{case}/vendors/?answered=no&page=2": (800, 40),
    "GET /cases/{case}/timeline/": (300, 20),
    "GET /api/v1/cases/{case}/participants?answered=false&limit=500": (500, 10),
    "GET /api/v1/cases/{case}/events?limit=500": (300, 10),
    "GET /api/v1/organizations?limit=500": (300, 10),
    "GET /triage/": (300, 30),
    "GET /dashboard/": (300, 40),
}
# One-off writes on a second case: budgets in ms for the whole request, queries not budgeted.
WRITE_BUDGETS = {
    "POST /api/v1/cases/{case}/participants (2,000 names)": 10_000,
    "POST /api/v1/cases/{case}/notify (2,000 vendors, 1 contact each)": 60_000,
}


def main() -> None:
    call_command("migrate", verbosity=0)
    from accord.accounts.models import Organization
    from accord.cases.models import Participant
    from accord.cases.states import RM
    from accord.testing import login, make_world, token_client

    world = make_world()
    case = world.case
    assert case is not None
    orgs = Organization.objects.bulk_create(
        [Organization(name=f"Bench Vendor {i:05d}", kind="vendor") for i in range(VENDORS)]
    )
    Participant.objects.bulk_create(
        [
            Participant(
                case=case, kind="vendor", organization=o, alias=f"Bench {i:05d}", rm_state=RM.RECEIVED
            )
            for i, o in enumerate(orgs)
        ]
    )
    api = token_client(world.analyst)
    page = login(Client(), world.analyst)
    targets = {
        "GET /api/v1/cases/{case}": (api, f"/api/v1/cases/{case.url_ref}"),
        "GET /cases/{case}/": (page, f"/cases/{case.url_ref}/"),
        "GET /cases/{case}/vendors/?answered=no&page=2": (
            page,
            f"/cases/{case.url_ref}/vendors/?answered=no&page=2",
        ),
        "GET /cases/{case}/timeline/": (page, f"/cases/{case.url_ref}/timeline/"),
        "GET /api/v1/cases/{case}/participants?answered=false&limit=500": (
            api,
            f"/api/v1/cases/{case.url_ref}/participants?answered=false&limit=500",
        ),
        "GET /api/v1/cases/{case}/events?limit=500": (api, f"/api/v1/cases/{case.url_ref}/events?limit=500"),
        "GET /api/v1/organizations?limit=500": (api, "/api/v1/organizations?limit=500"),
        "GET /triage/": (page, "/triage/"),
        "GET /dashboard/": (page, "/dashboard/"),
    }
    results = []
    for name, (client, url) in targets.items():
        timings = []
        status = None
        queries = None
        for _ in range(RUNS):
            with CaptureQueriesContext(connection) as captured:
                start = time.perf_counter()
                response = client.get(url)
                timings.append((time.perf_counter() - start) * 1000)
            status, queries = response.status_code, len(captured.captured_queries)
        budget_ms, budget_queries = BUDGETS[name]
        median = statistics.median(timings)
        results.append(
            {
                "request": name,
                "status": status,
                "vendors": VENDORS,
                "median_ms": round(median, 1),
                "worst_ms": round(max(timings), 1),
                "budget_ms": budget_ms,
                "queries": queries,
                "budget_queries": budget_queries,
                "within_budget": status == 200 and median <= budget_ms and (queries or 0) <= budget_queries,
            }
        )
        print(
            f"{name:45} {status} {median:8.1f} ms (budget {budget_ms})  {queries} queries (budget {budget_queries})"
        )
    results += measure_writes(world, api)
    common.write_results("cases", runs=RUNS, results=results)


def measure_writes(world, api) -> list[dict]:  # type: ignore[no-untyped-def]
    """Add 2,000 vendors by name to a fresh case in one request, then notify them all."""
    from accord.accounts.models import Organization
    from accord.cases import actions
    from accord.cases.actions.reports import ReportInput
    from accord.vendors.models import Contact

    report, _ = actions.submit_report(
        ReportInput(product="Bench", version="1", description="d", credit=False), by=None
    )
    case = actions.accept_report(report, by=world.analyst)
    orgs = Organization.objects.bulk_create(
        [Organization(name=f"Notify Vendor {i:05d}", kind="vendor") for i in range(VENDORS)]
    )
    Contact.objects.bulk_create(
        [
            Contact(organization=o, email=f"psirt{i}@vendor{i}.test", role="to", status="active")
            for i, o in enumerate(orgs)
        ]
    )
    rows = []
    for name, (method, url, body) in {
        "POST /api/v1/cases/{case}/participants (2,000 names)": (
            "post",
            f"/api/v1/cases/{case.url_ref}/participants",
            {"organizations": [o.name for o in orgs], "anonymous": False},
        ),
        "POST /api/v1/cases/{case}/notify (2,000 vendors, 1 contact each)": (
            "post",
            f"/api/v1/cases/{case.url_ref}/notify",
            {},
        ),
    }.items():
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            response = getattr(api, method)(url, data=json.dumps(body), content_type="application/json")
            elapsed = (time.perf_counter() - start) * 1000
        budget = WRITE_BUDGETS[name]
        rows.append(
            {
                "request": name,
                "status": response.status_code,
                "vendors": VENDORS,
                "ms": round(elapsed, 1),
                "budget_ms": budget,
                "queries": len(captured.captured_queries),
                "within_budget": response.status_code in (200, 201) and elapsed <= budget,
            }
        )
        print(
            f"{name:60} {response.status_code} {elapsed:9.1f} ms (budget {budget})  "
            f"{len(captured.captured_queries)} queries"
        )
    return rows


if __name__ == "__main__":
    main()

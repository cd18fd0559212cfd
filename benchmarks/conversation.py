"""Measure the conversation on a case with 2,000 participants and 20,000 messages, next to a
small case (5 vendors, 20 messages): the same requests must take the same number of queries.

Writes benchmarks/results/conversation.json: for each request and each case size, the median
and worst wall time over several runs, the number of SQL queries, and the budget. Runs on a
throw-away SQLite database.
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
import time

import common  # sets Django up: before any Django import (isort keeps it first)
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

LARGE = (2000, 20_000)  # participants, messages
SMALL = (5, 20)
RUNS = 5
# Budgets: what a person should wait at most on one machine of 2 cores (ms), and queries.
BUDGETS = {
    "GET /cases/{case}/messages/ (analyst)": (800, 30),
    "GET /cases/{case}/messages/{discussion}/ (analyst, last page)": (800, 30),
    "GET /cases/{case}/messages/{private}/ (vendor)": (500, 30),
    "GET /cases/{case}/messages/new/ (vendor)": (800, 30),
    "GET /api/v1/cases/{case}/messages?limit=50 (analyst)": (500, 12),
    "GET /api/v1/cases/{case}/messages?limit=500 (analyst)": (2000, 12),
    "GET /api/v1/cases/{case}/messages?unread=true&limit=50 (vendor)": (500, 12),
    "GET /api/v1/cases/{case}/threads?limit=50 (analyst)": (800, 12),
}
# Writing to everyone: every reader is told (2,000 vendors, one member each).
WRITE_BUDGETS = {"POST /api/v1/cases/{case}/messages (case discussion, 2,000 readers)": 15_000}


def build(world, participants: int, messages: int, tag: str):  # type: ignore[no-untyped-def]
    """A case with `participants` vendors (one member each, all past the embargo), a private
    thread with each, and `messages` messages: a tenth in the discussion (with mentions), the rest
    spread over the private threads, from both sides."""
    from accord.accounts.models import Membership, Organization, User
    from accord.cases import actions
    from accord.cases.actions.reports import ReportInput
    from accord.cases.models import Participant
    from accord.cases.states import RM
    from accord.conversation.models import Mention, Message, Thread

    report, _ = actions.submit_report(
        ReportInput(product=tag, version="1", description="d", credit=False), by=None
    )
    case = actions.accept_report(report, by=world.analyst)
    orgs = Organization.objects.bulk_create(
        [Organization(name=f"{tag} Vendor {i:05d}", kind="vendor") for i in range(participants)]
    )
    users = User.objects.bulk_create(
        [User(email=f"psirt{i}@{tag.lower()}{i}.test", name=f"Member {i}") for i in range(participants)]
    )
    Membership.objects.bulk_create(
        [Membership(user=u, organization=o) for u, o in zip(users, orgs, strict=True)]
    )
    rows = Participant.objects.bulk_create(
        [
            Participant(
                case=case,
                kind="vendor",
                organization=o,
                alias=f"{tag} {i:05d}",
                anonymous=i % 3 == 0,
                rm_state=RM.RECEIVED,
                embargo_answer="accepted",
            )
            for i, o in enumerate(orgs)
        ]
    )
    now = timezone.now()
    discussion = Thread.objects.create(case=case, kind="case", last_message_at=now)
    private = Thread.objects.bulk_create(
        [Thread(case=case, kind="private", participant=p, last_message_at=now) for p in rows]
    )
    shared = messages // 10
    batch = [
        Message(
            thread=discussion,
            author=world.analyst,
            body=f"Note {i} to @[p:{rows[i % len(rows)].pk}]",
            created_at=now - dt.timedelta(minutes=messages - i),
        )
        for i in range(shared)
    ]
    for i in range(messages - shared):
        p = rows[i % len(rows)]
        vendor_side = i % 2 == 0
        batch.append(
            Message(
                thread=private[i % len(rows)],
                author=users[i % len(rows)] if vendor_side else world.analyst,
                author_participant=p if vendor_side else None,
                body=f"Private {i}",
                request="open" if i % 50 == 0 else "",
                created_at=now - dt.timedelta(minutes=messages - shared - i),
            )
        )
    made = Message.objects.bulk_create(batch, batch_size=2000)
    Mention.objects.bulk_create(
        [Mention(message=m, participant_id=int(m.body.rsplit(":", 1)[1].rstrip("]"))) for m in made[:shared]],
        batch_size=2000,
    )
    return case, discussion, private[0], users[0]


def measure(name: str, client: Client, url: str) -> dict:
    timings = []
    status = queries = None
    for _ in range(RUNS):
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - start) * 1000)
        status, queries = response.status_code, len(captured.captured_queries)
    return {
        "status": status,
        "median_ms": round(statistics.median(timings), 1),
        "worst_ms": round(max(timings), 1),
        "queries": queries,
    }


def main() -> None:
    call_command("migrate", verbosity=0)
    from accord.testing import login, make_world, token_client

    world = make_world()
    results = []
    sizes = {}
    for label, (participants, messages) in (("small", SMALL), ("large", LARGE)):
        start = time.perf_counter()
        case, discussion, private, member = build(world, participants, messages, label.title())
        print(
            f"built the {label} case ({participants} participants, {messages} messages) in {time.perf_counter() - start:.1f} s"
        )
        analyst_page, analyst_api = login(Client(), world.analyst), token_client(world.analyst)
        vendor_page, vendor_api = login(Client(), member), token_client(member)
        ref = case.url_ref
        sizes[label] = {
            "GET /cases/{case}/messages/ (analyst)": (analyst_page, f"/cases/{ref}/messages/"),
            "GET /cases/{case}/messages/{discussion}/ (analyst, last page)": (
                analyst_page,
                f"/cases/{ref}/messages/{discussion.pk}/",
            ),
            "GET /cases/{case}/messages/{private}/ (vendor)": (
                vendor_page,
                f"/cases/{ref}/messages/{private.pk}/",
            ),
            "GET /cases/{case}/messages/new/ (vendor)": (vendor_page, f"/cases/{ref}/messages/new/"),
            "GET /api/v1/cases/{case}/messages?limit=50 (analyst)": (
                analyst_api,
                f"/api/v1/cases/{ref}/messages?limit=50",
            ),
            "GET /api/v1/cases/{case}/messages?limit=500 (analyst)": (
                analyst_api,
                f"/api/v1/cases/{ref}/messages?limit=500",
            ),
            "GET /api/v1/cases/{case}/messages?unread=true&limit=50 (vendor)": (
                vendor_api,
                f"/api/v1/cases/{ref}/messages?unread=true&limit=50",
            ),
            "GET /api/v1/cases/{case}/threads?limit=50 (analyst)": (
                analyst_api,
                f"/api/v1/cases/{ref}/threads?limit=50",
            ),
        }
        sizes[label]["_case"] = case  # type: ignore[assignment]
    for name in BUDGETS:
        small = measure(name, *sizes["small"][name])
        large = measure(name, *sizes["large"][name])
        budget_ms, budget_queries = BUDGETS[name]
        row = {
            "request": name,
            "participants": LARGE[0],
            "messages": LARGE[1],
            "status": large["status"],
            "median_ms": large["median_ms"],
            "worst_ms": large["worst_ms"],
            "budget_ms": budget_ms,
            "queries": large["queries"],
            "budget_queries": budget_queries,
            "small_case_queries": small["queries"],
            "small_case_median_ms": small["median_ms"],
            "same_queries_as_small": large["queries"] == small["queries"],
            "within_budget": large["status"] == 200
            and small["status"] == 200
            and large["median_ms"] <= budget_ms
            and (large["queries"] or 0) <= budget_queries,
        }
        results.append(row)
        print(
            f"{name:65} {row['status']} {row['median_ms']:8.1f} ms (budget {budget_ms})  "
            f"{row['queries']} queries, small case {row['small_case_queries']} (budget {budget_queries})"
        )
    case = sizes["large"]["_case"]
    api = token_client(world.analyst)
    name = "POST /api/v1/cases/{case}/messages (case discussion, 2,000 readers)"
    case.analysts.add(world.analyst)
    with CaptureQueriesContext(connection) as captured:
        start = time.perf_counter()
        response = api.post(
            f"/api/v1/cases/{case.url_ref}/messages",
            data=json.dumps({"thread": "case", "body": "To all 2,000 vendors."}),
            content_type="application/json",
        )
        elapsed = (time.perf_counter() - start) * 1000
    from accord.mailgate.models import OutboundMessage

    told = OutboundMessage.objects.filter(subject__contains="New message").count()
    results.append(
        {
            "request": name,
            "status": response.status_code,
            "ms": round(elapsed, 1),
            "budget_ms": WRITE_BUDGETS[name],
            "queries": len(captured.captured_queries),
            "mails_queued": told,
            "within_budget": response.status_code == 201 and elapsed <= WRITE_BUDGETS[name],
        }
    )
    print(
        f"{name:65} {response.status_code} {elapsed:9.1f} ms (budget {WRITE_BUDGETS[name]})  {len(captured.captured_queries)} queries, {told} mails"
    )
    common.write_results("conversation", runs=RUNS, results=results)


if __name__ == "__main__":
    main()

"""The outbox's claim: two workers and the requeue job on one backlog send each row exactly once.

Each job claims its row with a conditional UPDATE (QUEUED -> SENDING, with a lease), renders
and delivers it outside any transaction, and marks it SENT; requeue_outbox enqueues only rows
that are due. Mail goes to a real SMTP server on 127.0.0.1 (aiosmtpd).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email
import email.policy
import threading
import time
from collections import Counter

import pytest
from django.db import OperationalError, close_old_connections, connection
from django.utils import timezone

from accord.mailgate.models import OutboundMessage
from accord.mailgate.tasks import GRACE, LEASE, claim, due_ids, requeue_outbox, send_outbound
from tests.test_outbox import Collector, smtp_server  # noqa: F401 (a fixture)

Status = OutboundMessage.Status
BACKLOG = 40


def backlog(n: int = BACKLOG) -> list[int]:
    """`n` queued rows whose on-commit jobs were lost (older than the grace): every one is due."""
    old = timezone.now() - GRACE - dt.timedelta(seconds=1)
    rows = OutboundMessage.objects.bulk_create(
        OutboundMessage(
            to_email=f"r{i}@example.test",
            subject=f"[VU#123456] Mail {i}",
            body_text=f"Body {i}\n",
            message_id=f"<backlog-{i}@accord.test>",
            kind="notice",
            created_at=old,
        )
        for i in range(n)
    )
    return [row.pk for row in rows]


def _wait_when_locked(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
    """SQLite's busy timeout, for the tests' in-memory database: its shared cache answers "table
    is locked" at once instead of waiting as a database file does (settings: timeout 20). The
    outbox's statements run in autocommit, so running one again is what waiting would have done."""
    for attempt in range(400):
        try:
            return execute(sql, params, many, context)
        except OperationalError as exc:
            if "locked" not in str(exc) or attempt == 399:
                raise
            time.sleep(0.005)


def delivered(server: Collector) -> Counter[str]:
    return Counter(
        str(email.message_from_bytes(e.original_content, policy=email.policy.default)["Message-ID"])
        for e in server.envelopes
    )


@pytest.mark.django_db(transaction=True)
def test_two_workers_and_the_requeue_job_send_a_backlog_exactly_once(smtp_server: Collector) -> None:  # noqa: F811
    ids = backlog()
    assert sorted(due_ids()) == sorted(ids)
    errors: list[BaseException] = []
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()
    start = threading.Barrier(3)

    def run(work: list[int] | None) -> None:
        stack = contextlib.ExitStack()
        try:
            stack.enter_context(connection.execute_wrapper(_wait_when_locked))
            start.wait()
            if work is None:  # the requeue job, running meanwhile (twice)
                for _ in range(2):
                    requeue_outbox.call()  # the tests' task backend runs each job at once
            else:
                for message_id in work:
                    result = send_outbound.call(message_id)
                    with lock:
                        outcomes[result] += 1
        except BaseException as exc:  # reported below, with the thread's traceback lost otherwise
            errors.append(exc)
        finally:
            stack.close()
            close_old_connections()
            connection.close()

    # Both workers walk the whole backlog, in opposite orders, so they meet on every row.
    threads = [
        threading.Thread(target=run, args=(ids,)),
        threading.Thread(target=run, args=(list(reversed(ids)),)),
        threading.Thread(target=run, args=(None,)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, errors
    rows = list(OutboundMessage.objects.filter(pk__in=ids))
    assert {row.status for row in rows} == {Status.SENT}
    assert all(row.attempts == 1 for row in rows)  # claimed once each
    counts = delivered(smtp_server)
    assert len(counts) == BACKLOG and set(counts.values()) == {1}, counts.most_common(3)
    assert outcomes["sent"] <= BACKLOG and outcomes["sent"] + outcomes["skipped"] == 2 * BACKLOG
    assert due_ids() == [] and requeue_outbox.call() == 0


@pytest.mark.django_db
def test_a_claimed_row_is_not_claimed_again_until_its_lease_runs_out(
    smtp_server: Collector,  # noqa: F811
    time_machine,  # type: ignore[no-untyped-def]
) -> None:
    now = dt.datetime(2026, 1, 5, 12, 0, tzinfo=dt.UTC)
    time_machine.move_to(now, tick=False)
    [message_id] = backlog(1)
    first = claim(message_id)
    assert first is not None and (first.status, first.attempts) == (Status.SENDING, 1)
    assert first.next_attempt_at == now + LEASE
    # Another worker, a duplicate job and the requeue job all leave a claimed row alone.
    assert claim(message_id) is None
    assert send_outbound.call(message_id) == "skipped"
    assert due_ids() == [] and requeue_outbox.call() == 0
    assert smtp_server.envelopes == []
    # The first worker died: once its lease runs out the row is due again and goes out once.
    time_machine.move_to(now + LEASE + dt.timedelta(seconds=1), tick=False)
    assert due_ids() == [message_id]
    assert requeue_outbox.call() == 1
    row = OutboundMessage.objects.get(pk=message_id)
    assert (row.status, row.attempts) == (Status.SENT, 2)
    assert len(smtp_server.envelopes) == 1
    # The dead worker's claim is stale: it can no longer mark the row (its token is attempt 1).
    from accord.mailgate.tasks import _fail

    assert _fail(first, "late failure") == "failed"
    assert OutboundMessage.objects.get(pk=message_id).status == Status.SENT


@pytest.mark.django_db
def test_interleaved_workers_each_send_only_what_they_claimed(smtp_server: Collector) -> None:  # noqa: F811
    ids = backlog(6)
    # Worker A claims every other row, then worker B runs every row, then A finishes its own.
    a_claims = [claim(message_id) for message_id in ids[::2]]
    assert all(c is not None for c in a_claims)
    results = [send_outbound.call(message_id) for message_id in ids]
    assert results == ["skipped", "sent"] * 3
    assert requeue_outbox.call() == 0  # claimed rows are not due; sent ones neither
    assert len(smtp_server.envelopes) == 3
    assert [OutboundMessage.objects.get(pk=i).status for i in ids] == [Status.SENDING, Status.SENT] * 3

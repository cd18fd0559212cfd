"""The scheduler enqueues each periodic job once per interval, and `accord scheduler --once` runs."""

from __future__ import annotations

import datetime as dt
import io
import signal

import pytest
from django.core.management import call_command
from django.utils import timezone
from django.utils.module_loading import import_string

from accord.core.models import ScheduledJobRun
from accord.core.schedule import JOBS, tick

pytestmark = pytest.mark.django_db

SECOND = dt.timedelta(seconds=1)


def test_each_job_is_enqueued_once_and_not_again_before_its_interval(
    django_capture_on_commit_callbacks,
) -> None:  # type: ignore[no-untyped-def]
    assert JOBS, "the scheduler has jobs"
    enqueued: list[object] = []
    t0 = timezone.now()

    with django_capture_on_commit_callbacks(execute=True):
        started = tick(now=t0, enqueue=enqueued.append)
    assert sorted(started) == sorted(job.name for job in JOBS)
    assert enqueued == [import_string(job.task) for job in JOBS]

    with django_capture_on_commit_callbacks(execute=True):
        assert tick(now=t0, enqueue=enqueued.append) == []
        assert tick(now=t0 + SECOND, enqueue=enqueued.append) == []
    assert len(enqueued) == len(JOBS)

    # Each job comes round again after exactly its own interval, and not a second earlier.
    for job in sorted(JOBS, key=lambda j: j.every):
        before = len(enqueued)
        with django_capture_on_commit_callbacks(execute=True):
            assert job.name not in tick(now=t0 + job.every - SECOND, enqueue=enqueued.append)
            assert job.name in tick(now=t0 + job.every, enqueue=enqueued.append)
            assert job.name not in tick(now=t0 + job.every, enqueue=enqueued.append)
        assert enqueued[before:].count(import_string(job.task)) == 1


def test_nothing_is_enqueued_before_the_transaction_commits() -> None:
    enqueued: list[object] = []
    # No commit inside the test's transaction: the jobs are recorded as started but wait.
    started = tick(now=timezone.now(), enqueue=enqueued.append)
    assert started
    assert enqueued == []


def test_the_last_run_is_remembered_in_the_database(django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    t0 = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        tick(now=t0, enqueue=lambda task: None)
    runs = dict(ScheduledJobRun.objects.values_list("name", "last_run_at"))
    assert runs == {job.name: t0 for job in JOBS}


@pytest.fixture
def keep_signal_handlers():  # type: ignore[no-untyped-def]
    # The command installs its own SIGINT/SIGTERM handlers; give pytest its own back.
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def test_the_scheduler_command_runs_once(keep_signal_handlers, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("scheduler", "--once", stdout=out)
    assert out.getvalue().startswith("scheduler: enqueued ")
    for job in JOBS:
        assert job.name in out.getvalue()
    assert ScheduledJobRun.objects.filter(last_run_at__isnull=False).count() == len(JOBS)

    again = io.StringIO()
    call_command("scheduler", "--once", stdout=again)
    assert again.getvalue() == ""

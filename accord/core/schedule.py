"""Periodic jobs run by `accord scheduler`. The scheduler only enqueues; workers do the work.

Later features add their jobs to JOBS (embargo expiry, reminders, scheduled publication).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from accord.core.models import ScheduledJobRun


@dataclass(frozen=True)
class Job:
    name: str
    every: dt.timedelta
    task: str  # dotted path of a django-tasks task taking no arguments


JOBS: list[Job] = [
    # Due retries (after their backoff) and expired claims; the job's name is kept for old schedules.
    Job("outbox.requeue_stuck", dt.timedelta(minutes=2), "accord.mailgate.tasks.requeue_outbox"),
    Job("inbound.retry", dt.timedelta(minutes=1), "accord.mailgate.inbound.retry_inbound"),
    Job("api.prune_idempotency", dt.timedelta(hours=1), "accord.api.tasks.prune_idempotency"),
    Job(
        "cases.exit_expired_embargoes", dt.timedelta(seconds=30), "accord.cases.tasks.exit_expired_embargoes"
    ),
    Job("notifications.send_digests", dt.timedelta(days=1), "accord.notifications.tasks.send_digests"),
    # Reminders to vendors are due to the day (7 days after notification, 6 before the target):
    # a quarter of an hour late is on time.
    Job("cases.send_reminders", dt.timedelta(minutes=15), "accord.cases.tasks.send_reminders"),
    # Scheduled publication happens at its instant: checked every 15 seconds.
    Job("publication.publish_due", dt.timedelta(seconds=15), "accord.publication.tasks.publish_due"),
    Job("publication.share_drafts", dt.timedelta(minutes=10), "accord.publication.tasks.share_drafts"),
    # Each publication refreshes the CSAF directory at once; this catches what that missed (a lost
    # job, a key set up later). Unchanged documents cost a build, never a signature.
    Job("exports.refresh_csaf", dt.timedelta(minutes=5), "accord.exports.tasks.refresh_csaf"),
]


def tick(now: dt.datetime | None = None, enqueue: Callable[[Any], Any] | None = None) -> list[str]:
    """Enqueue every job that is due; returns their names. Safe to call at any rate."""
    now = now or timezone.now()
    started = []
    for job in JOBS:
        with transaction.atomic():
            run, _ = ScheduledJobRun.objects.select_for_update().get_or_create(name=job.name)
            if run.last_run_at is not None and now - run.last_run_at < job.every:
                continue
            run.last_run_at = now
            run.save(update_fields=["last_run_at"])
            transaction.on_commit(functools.partial(_enqueue, import_string(job.task), enqueue))
        started.append(job.name)
    return started


def _enqueue(task: Any, enqueue: Callable[[Any], Any] | None) -> None:
    if enqueue is not None:
        enqueue(task)
    else:
        task.enqueue()

"""Background work of the exports: keeping the CSAF provider directory in step (accord.exports.provider)."""

from __future__ import annotations

from dataclasses import asdict

from django.db import transaction
from django_tasks import task

from accord.exports import provider


@task()
def refresh_csaf() -> dict[str, int]:
    """Rebuild, re-hash and re-sign the CSAF documents whose bytes changed; drop withdrawn ones.
    Enqueued after every publication change and by `accord scheduler`."""
    return asdict(provider.refresh())


def refresh_after_commit() -> None:
    """Refresh the directory once the publication's transaction has committed (so the worker reads
    the new revision, and a rolled-back publication enqueues nothing)."""
    transaction.on_commit(refresh_csaf.enqueue)

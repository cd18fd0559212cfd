"""Inserting many rows in as few statements as the database allows.

Django splits a `bulk_create` on SQLite into statements of at most 999 variables, the limit of
SQLite before 3.32. Newer SQLite allows 32,766 (Debian's build 250,000), and the connection
reports its own limit. `bulk_create` here uses that limit for the one call, so inserting 2,000
outbox rows costs one statement instead of about thirty, and a fan-out runs in the same number
of queries for 10 recipients as for 2,000. PostgreSQL needs no help: Django inserts with UNNEST.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from django.db import connections, models, router

M = TypeVar("M", bound=models.Model)


@contextmanager
def _sqlite_limit(alias: str) -> Iterator[None]:
    connection = connections[alias]
    if connection.vendor != "sqlite":
        yield
        return
    connection.ensure_connection()
    raw: Any = connection.connection
    limit = int(raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))
    features = connection.features
    own = "max_query_params" in vars(features)
    saved = features.max_query_params
    features.max_query_params = max(limit, 999)
    try:
        yield
    finally:
        if own:
            features.max_query_params = saved
        else:
            del features.max_query_params  # back to the class's default


def bulk_create(model: type[M], objs: Sequence[M]) -> list[M]:
    """`model.objects.bulk_create(objs)`, in one statement where the database allows it.

    The rows get their primary keys (SQLite 3.35+ and PostgreSQL return them)."""
    if not objs:
        return []
    alias = router.db_for_write(model)
    with _sqlite_limit(alias):
        return model._default_manager.using(alias).bulk_create(list(objs))

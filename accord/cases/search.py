"""Full-text search of reports: SQLite FTS5 or PostgreSQL text search, behind two functions."""

from __future__ import annotations

import re

from django.db import connection
from django.db.models import QuerySet

from accord.cases.models import Report

_WORD = re.compile(r"\w+", re.UNICODE)


def _document(report: Report) -> str:
    from accord.conversation.models import Message  # the messages with the reporter (staff search only)

    notes = (
        " ".join(Message.objects.filter(thread__report=report).values_list("body", flat=True))
        if report.pk
        else ""
    )
    parts = [
        report.id,
        report.product,
        report.version,
        report.description,
        report.impact,
        report.exploitation,
        report.affected_vendors,
        report.reporter_name,
        report.reporter_organization,
        notes,
    ]
    return "\n".join(p for p in parts if p)


def index_report(report: Report) -> None:
    """Keep the report's search document current (SQLite FTS5; PostgreSQL searches live)."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM cases_report_fts WHERE report_id = %s", [report.pk])
        cursor.execute(
            "INSERT INTO cases_report_fts (report_id, body) VALUES (%s, %s)", [report.pk, _document(report)]
        )


def search_reports(queryset: QuerySet[Report], text: str) -> QuerySet[Report]:
    words = _WORD.findall(text or "")[:20]
    if not words:
        return queryset
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchVector

        vector = SearchVector(
            "id",
            "product",
            "version",
            "description",
            "impact",
            "exploitation",
            "affected_vendors",
            "reporter_name",
            "reporter_organization",
            "thread__messages__body",  # the messages with the reporter (staff search only)
        )
        query = SearchQuery(" ".join(words), search_type="plain")
        ids = Report.objects.annotate(document=vector).filter(document=query).values("pk")
        return queryset.filter(pk__in=ids)
    # Each word as a quoted prefix term: user text is never FTS5 syntax.
    match = " ".join('"' + w.replace('"', "") + '"*' for w in words)
    with connection.cursor() as cursor:
        cursor.execute("SELECT report_id FROM cases_report_fts WHERE cases_report_fts MATCH %s", [match])
        found = [row[0] for row in cursor.fetchall()]
    return queryset.filter(pk__in=found)

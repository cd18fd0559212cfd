"""Where imported rows came from: one row per archive file (accord.archive.load).

Provenance (which file, which bytes), idempotency (the sha256 of the file's bytes: a second run
skips what it has already read) and the source of the case's Vulnerability Note: the report's
published texts and dates are in `raw`, so the note can be built later without the files.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class ArchiveRecord(models.Model):
    class Kind(models.TextChoices):
        REPORT = "report", "report"
        VENDOR = "vendor", "vendor record"

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="archive_records")
    # A vendor record's participant. Two records of one vendor in one case (the archive has
    # some) share the participant: a case has one participant per organisation.
    participant = models.ForeignKey(
        "cases.Participant", on_delete=models.SET_NULL, null=True, blank=True, related_name="archive_records"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    path = models.CharField(max_length=300, unique=True, help_text="Relative to the archive root.")
    sha256 = models.CharField(max_length=64)
    raw = models.TextField(help_text="The file's JSON text, exactly.")
    record_id = models.CharField(max_length=64, blank=True, help_text="VendorRecordID of a vendor record.")
    imported_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(null=True, blank=True, help_text="When a changed file was read again.")

    class Meta:
        ordering = ("case", "kind", "path")
        indexes = [models.Index(fields=["case", "kind"])]

    def __str__(self) -> str:
        return self.path

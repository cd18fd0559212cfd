"""The CSAF provider directory (CSAF 2.0 §7.1), as stored rows.

`CsafDocument` is one served file: the exact bytes of the CSAF document of a public note's latest
revision, its hashes and its detached signature. The views under /.well-known/csaf/ read only these
rows, which `accord.exports.provider.refresh()` writes from the public revisions: never a draft,
and a document is built, hashed and signed once per change rather than per request.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class Spec(models.TextChoices):
    CSAF_20 = "2.0", "CSAF 2.0"
    CSAF_21 = "2.1", "CSAF 2.1"


class CsafDocument(models.Model):
    spec = models.CharField(max_length=3, choices=Spec.choices)
    note = models.ForeignKey("publication.Note", on_delete=models.CASCADE, related_name="csaf_documents")
    case_number = models.PositiveIntegerField()
    tracking_id = models.CharField(max_length=200)
    title = models.CharField(max_length=1000)  # /document/title, for the ROLIE entry
    # "2026/vu_854306.json": the year of /document/tracking/initial_release_date, then the file name
    # CSAF §5.1 derives from the tracking id.
    path = models.CharField(max_length=300)
    revision = models.PositiveIntegerField(help_text="The note's published revision the document is of.")
    content = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    sha512 = models.CharField(max_length=128)
    # The armoured detached signature over `content`, made with the coordinator's key; "" when no key
    # could sign. `signed_by` is that key's fingerprint, so a new key re-signs every document.
    signature = models.TextField(blank=True)
    signed_by = models.CharField(max_length=64, blank=True)
    # Exactly as in the document (changes.csv repeats it), and as an instant to sort by.
    initial_release_date = models.CharField(max_length=40)
    current_release_date = models.CharField(max_length=40)
    released_at = models.DateTimeField()
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["spec", "note"], name="csaf_document_one_per_note"),
            models.UniqueConstraint(fields=["spec", "path"], name="csaf_document_unique_path"),
        ]
        ordering = ("-released_at", "-id")

    def __str__(self) -> str:
        return f"CSAF {self.spec} {self.path} (revision {self.revision})"

    @property
    def filename(self) -> str:
        return self.path.rsplit("/", 1)[-1]


class CsafDirectory(models.Model):
    """When each spec's directory last changed (a document added, changed or removed): the ROLIE
    feed's `updated` and provider-metadata.json's `last_updated`."""

    spec = models.CharField(max_length=3, choices=Spec.choices, unique=True)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"CSAF {self.spec} directory, updated {self.updated_at:%Y-%m-%d %H:%M}"

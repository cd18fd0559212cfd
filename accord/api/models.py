from django.db import models
from django.utils import timezone


class IdempotencyRecord(models.Model):
    """The first answer to a POST carrying an Idempotency-Key, replayed for its retries."""

    owner = models.CharField(max_length=64, help_text="Hash of the caller's credentials.")
    key = models.CharField(max_length=200)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=500)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.BinaryField(null=True)
    replayable = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "key"], name="one_record_per_key")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} [{self.key}]"

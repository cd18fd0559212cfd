from django.utils import timezone
from django_tasks import task

from accord.api.idempotency import KEEP
from accord.api.models import IdempotencyRecord


@task()
def prune_idempotency() -> int:
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=timezone.now() - KEEP).delete()
    return deleted

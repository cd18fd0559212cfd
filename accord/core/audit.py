from typing import Any

from django.db import models

from accord.core.models import AuditEvent


def record(actor: Any, kind: str, obj: models.Model, /, **data: Any) -> AuditEvent:
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        kind=kind,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        data=data,
    )

from typing import Any

from django.db import models

from accord.core.actors import is_system
from accord.core.models import AuditEvent


def record(actor: Any, kind: str, obj: models.Model, /, **data: Any) -> AuditEvent:
    """`actor`: a user, SYSTEM (Accord itself) or None (nobody signed in, e.g. a password reset)."""
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        by_system=is_system(actor),
        kind=kind,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        data=data,
    )

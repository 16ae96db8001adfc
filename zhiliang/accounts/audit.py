"""Writing audit entries; every governance service calls :func:`audit_record`."""

from __future__ import annotations

from typing import Any

from django.db import models

from zhiliang.accounts.models import AuditEntry

SYSTEM_ACTOR = "system"


def audit_record(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    before: Any = None,
    after: Any = None,
    reason: str = "",
) -> AuditEntry:
    """Record one change. ``actor`` is a user, or ``None`` for a command run by the system."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:255]
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEntry.objects.create(
        actor=user,
        actor_name=user.get_username() if user else SYSTEM_ACTOR,
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr,
        before=before,
        after=after,
        reason=reason,
    )

"""Writing the append-only audit log."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models

from .models import AuditEvent, Outlet

SYSTEM_ACTOR = "system"


def audit(
    *,
    actor: AbstractBaseUser | AnonymousUser | None,
    action: str,
    target: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    outlet: Outlet | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Record that `actor` did `action` to `target` (or to object_type/object_id when there is no row).

    Call it inside the transaction of the change, so the record and the change land together.
    """
    is_user = actor is not None and actor.is_authenticated
    return AuditEvent.objects.create(
        actor_id=actor.pk if is_user else None,  # type: ignore[union-attr]
        actor_label=actor.get_username() if is_user else SYSTEM_ACTOR,  # type: ignore[union-attr]
        action=action,
        object_type=target._meta.label_lower if target is not None else object_type,
        object_id=str(target.pk) if target is not None else object_id,
        outlet=outlet,
        details=details or {},
    )

"""Changing the run-time verification policy (admins only, audited)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from registration.audit import audit
from registration.errors import Forbidden, InvalidInput
from registration.models import VerificationPolicy
from registration.roles import ADMIN, has_role
from registration.verification_policy import DEFAULTS, effective_policy

from .transitions import User


def policy_update(*, actor: User, values: dict[str, Any]) -> VerificationPolicy:
    """Change the run-time verification policy (admins only); every change is audited."""
    if not has_role(actor, ADMIN):
        raise Forbidden("Only an admin can change the verification policy.", code="admin_required")
    with transaction.atomic():
        policy, _ = VerificationPolicy.objects.select_for_update().get_or_create(pk=1)
        changes: dict[str, Any] = {}
        for field, value in values.items():
            if field not in DEFAULTS:
                raise InvalidInput(f"Unknown policy field {field!r}.", code="policy_field")
            if getattr(policy, field) != value:
                changes[field] = [getattr(policy, field), value]
                setattr(policy, field, value)
        policy.save()
        effective = effective_policy()
        if effective.face_accept_threshold > effective.face_reject_threshold:
            raise InvalidInput("The accept threshold must not be above the reject threshold.", code="thresholds")
        if changes:
            audit(actor=actor, action="policy.updated", target=policy, details={"changes": changes})
    return policy

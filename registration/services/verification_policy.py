"""Changing the run-time verification policy (admins only, audited).

Face thresholds are set for the matcher in use: the change records its key, and a threshold left
from another matcher is cleared in the same change (its number meant another score)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from registration.audit import audit
from registration.errors import Forbidden, InvalidInput
from registration.face_matching.base import matcher_class
from registration.models import VerificationPolicy
from registration.roles import ADMIN, has_role
from registration.verification_policy import DEFAULTS, FACE_THRESHOLDS, effective_policy

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
        if any(field in changes for field in FACE_THRESHOLDS):
            _thresholds_for_matcher_in_use(policy, changes)
        policy.save()
        effective = effective_policy()
        accept, reject = effective.face_accept_threshold, effective.face_reject_threshold
        if (accept < reject) if effective.face_higher_is_closer else (accept > reject):
            raise InvalidInput(
                "The approve threshold must be at least as close as the reject threshold.", code="thresholds"
            )
        if changes:
            audit(actor=actor, action="policy.updated", target=policy, details={"changes": changes})
    return policy


def _thresholds_for_matcher_in_use(policy: VerificationPolicy, changes: dict[str, Any]) -> None:
    """Stamp the matcher in use; a threshold not changed now that was set for another matcher is cleared."""
    key = matcher_class().KEY
    if policy.face_thresholds_matcher != key:
        for field in FACE_THRESHOLDS:
            if field not in changes and getattr(policy, field) is not None:
                changes[field] = [getattr(policy, field), None]
                setattr(policy, field, None)
        changes["face_thresholds_matcher"] = [policy.face_thresholds_matcher, key]
        policy.face_thresholds_matcher = key

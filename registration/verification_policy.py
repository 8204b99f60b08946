"""The effective verification policy: the admin's overrides on top of the settings' defaults."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from .models import VerificationPolicy


@dataclass(frozen=True)
class EffectivePolicy:
    face_accept_threshold: float
    face_reject_threshold: float
    evidence_retention_hours: int
    max_active_numbers_per_id: int
    session_ttl_seconds: int
    max_liveness_attempts: int
    light_challenge: bool


# Policy field -> the setting that gives its default.
DEFAULTS = {
    "face_accept_threshold": "SHIMING_FACE_ACCEPT_THRESHOLD",
    "face_reject_threshold": "SHIMING_FACE_REJECT_THRESHOLD",
    "evidence_retention_hours": "SHIMING_EVIDENCE_RETENTION_HOURS",
    "max_active_numbers_per_id": "SHIMING_MAX_ACTIVE_NUMBERS_PER_ID",
    "session_ttl_seconds": "SHIMING_SESSION_TTL_SECONDS",
    "max_liveness_attempts": "SHIMING_MAX_LIVENESS_ATTEMPTS",
    "light_challenge": "SHIMING_LIGHT_CHALLENGE",
}


def effective_policy() -> EffectivePolicy:
    row = VerificationPolicy.objects.filter(pk=1).first()
    values = {}
    for field, setting in DEFAULTS.items():
        override = getattr(row, field) if row is not None else None
        values[field] = getattr(settings, setting) if override is None else override
    return EffectivePolicy(**values)

"""The effective verification policy: the admin's overrides on top of the settings' defaults.

The face thresholds are the matcher's own (``FaceMatcher.SCALE``, calibrated for its score) unless
the admin overrode them *for that matcher*: an override records the matcher it was made for
(``VerificationPolicy.face_thresholds_matcher``) and is not applied while another matcher is in use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings

from registration.face_matching.base import matcher_class

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
    face_matcher: str = ""  # FaceMatcher.KEY of the matcher in use
    face_score_metric: str = ""  # its unit ("euclidean_distance", "cosine_similarity")
    face_higher_is_closer: bool = False
    face_thresholds_from: str = "matcher"  # "matcher" (calibrated) or "admin" (an override for this matcher)
    face_override_ignored_for: str = ""  # the other matcher an override was made for, not applied


FACE_THRESHOLDS = ("face_accept_threshold", "face_reject_threshold")
# Policy field -> the setting that gives its default (the face thresholds: the matcher's SCALE).
DEFAULTS = {
    "face_accept_threshold": "",
    "face_reject_threshold": "",
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
        if field in FACE_THRESHOLDS:
            continue
        override = getattr(row, field) if row is not None else None
        values[field] = getattr(settings, setting) if override is None else override
    return EffectivePolicy(**values, **_face_thresholds(row))


def _face_thresholds(row: VerificationPolicy | None) -> dict[str, Any]:
    matcher = matcher_class()
    scale = matcher.SCALE
    values: dict[str, Any] = {
        "face_accept_threshold": scale.accept,
        "face_reject_threshold": scale.reject,
        "face_matcher": matcher.KEY,
        "face_score_metric": scale.metric,
        "face_higher_is_closer": scale.higher_is_closer,
    }
    overridden = row is not None and any(getattr(row, f) is not None for f in FACE_THRESHOLDS)
    if not overridden or row is None:
        return values
    if row.face_thresholds_matcher != matcher.KEY:
        return {**values, "face_override_ignored_for": row.face_thresholds_matcher or "unknown"}
    for field in FACE_THRESHOLDS:
        if getattr(row, field) is not None:
            values[field] = getattr(row, field)
    return {**values, "face_thresholds_from": "admin"}

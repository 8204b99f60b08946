"""The effective verification policy: the admin's overrides on top of the settings' defaults.

The face thresholds are the matcher's own (``FaceMatcher.SCALE``, calibrated for its score) unless
the admin overrode them *for that matcher*: an override records the matcher it was made for
(``VerificationPolicy.face_thresholds_matcher``) and is not applied while another matcher is in use.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
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
    judgement_max_hours: int
    review_escalate_days: int
    review_close_days: int
    identity_keep_days: int
    face_matcher: str = ""  # FaceMatcher.KEY of the matcher in use
    face_score_metric: str = ""  # its unit ("euclidean_distance", "cosine_similarity")
    face_higher_is_closer: bool = False
    face_thresholds_from: str = "matcher"  # "matcher" (calibrated) or "admin" (an override for this matcher)
    face_override_ignored_for: str = ""  # the other matcher an override was made for, not applied
    # Attempts a session may have interrupted without counting them (the page left, the connection
    # broke: services.attempts.INTERRUPTIONS); past it an interruption counts as a failed attempt.
    max_interrupted_attempts: int = 5

    @property
    def judgement_max_age(self) -> timedelta:
        """The longest a session waits for the workers (verdict, comparison) before it is closed."""
        return timedelta(hours=self.judgement_max_hours)

    @property
    def review_escalate_after(self) -> timedelta:
        return timedelta(days=self.review_escalate_days)

    @property
    def review_close_after(self) -> timedelta:
        """The longest a case stays in manual review before it is closed (expired) undecided."""
        return timedelta(days=max(self.review_close_days, self.review_escalate_days))

    @property
    def evidence_retention(self) -> timedelta:
        return timedelta(hours=self.evidence_retention_hours)

    @property
    def identity_keep_after_service(self) -> timedelta:
        return timedelta(days=self.identity_keep_days)

    @property
    def face_data_max_age(self) -> timedelta:
        """The oldest any face data may be (measured from the session's opening): the longest a
        session may stay open in any state, then the evidence retention after it closes. The sweeps
        run every few minutes (config/celery_app.py:BEAT_SCHEDULE), which a reader adds to this bound."""
        longest_open = max(timedelta(seconds=self.session_ttl_seconds), self.judgement_max_age, self.review_close_after)
        return longest_open + self.evidence_retention


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
    "judgement_max_hours": "SHIMING_JUDGEMENT_MAX_HOURS",
    "review_escalate_days": "SHIMING_REVIEW_ESCALATE_DAYS",
    "review_close_days": "SHIMING_REVIEW_CLOSE_DAYS",
    "identity_keep_days": "SHIMING_IDENTITY_KEEP_DAYS",
}


def effective_policy() -> EffectivePolicy:
    row = VerificationPolicy.objects.filter(pk=1).first()
    values = {}
    for field, setting in DEFAULTS.items():
        if field in FACE_THRESHOLDS:
            continue
        override = getattr(row, field) if row is not None else None
        values[field] = getattr(settings, setting) if override is None else override
    return EffectivePolicy(
        **values, **_face_thresholds(row), max_interrupted_attempts=settings.SHIMING_MAX_INTERRUPTED_ATTEMPTS
    )


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

"""What the supervisor's review page shows of a case: the face distance against the thresholds
the match ran with (in words and as a bar), the liveness summary and the document data.

The thresholds are read from the match's own record (`match_detail`, written by the matcher task
with the policy it used); only a case decided before that record existed falls back to the
effective policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from registration.models import VerificationSession
from registration.verification_policy import effective_policy

BAR_WIDTH = 300  # the SVG's user units; the page scales it


@dataclass(frozen=True)
class DistanceBand:
    """The distance placed against the thresholds, ready for the template."""

    distance: float
    accept: float
    reject: float
    band: str  # "approve", "review" or "reject": the same bands as registration.face_matching.policy
    words: str
    scale_max: float

    def x(self, value: float) -> float:
        """Where `value` sits on the bar, in SVG units."""
        return round(min(value, self.scale_max) / self.scale_max * BAR_WIDTH, 1)

    @property
    def marker_x(self) -> float:
        return self.x(self.distance)

    @property
    def accept_x(self) -> float:
        return self.x(self.accept)

    @property
    def reject_x(self) -> float:
        return self.x(self.reject)

    @property
    def review_width(self) -> float:
        return round(self.reject_x - self.accept_x, 1)

    @property
    def reject_width(self) -> float:
        return round(BAR_WIDTH - self.reject_x, 1)


def distance_band(session: VerificationSession) -> DistanceBand | None:
    """None when no distance was measured (a case sent to review for another reason)."""
    if session.match_distance is None:
        return None
    detail = session.match_detail or {}
    policy = None if "accept_threshold" in detail and "reject_threshold" in detail else effective_policy()
    accept = float(detail["accept_threshold"]) if policy is None else policy.face_accept_threshold
    reject = float(detail["reject_threshold"]) if policy is None else policy.face_reject_threshold
    distance = float(session.match_distance)
    if distance <= accept:
        band, words = "approve", _("Close: the faces match (at or below the approve threshold).")
    elif distance <= reject:
        band, words = "review", _("Unclear: between the approve and the reject thresholds.")
    else:
        band, words = "reject", _("Far: the faces differ (above the reject threshold).")
    return DistanceBand(distance, accept, reject, band, words, scale_max=max(reject * 1.4, distance * 1.05, 0.01))


def liveness_steps(session: VerificationSession) -> list[dict[str, Any]]:
    """The steps of the last verdict: what was asked, whether it was seen, how long it took."""
    verdict = (session.liveness_detail or {}).get("verdict") or {}
    return [
        {"step": step.get("step", ""), "passed": bool(step.get("passed")), "duration": step.get("duration")}
        for step in verdict.get("steps", [])
        if isinstance(step, dict)
    ]

"""What the supervisor's review page shows of a case: the face score against the thresholds the
match ran with (in words and as a bar), the liveness summary and the document data.

The band and the thresholds are read from the match's own record (`match_detail`, written by the
worker with the policy it used): the band is decided once, by the worker; only a case decided
before that record existed falls back to the effective policy's thresholds for the bar.
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
    """The stored score and band placed against the thresholds the match ran with, for the template."""

    distance: float  # the matcher's score (a distance, or a similarity when higher_is_closer)
    accept: float
    reject: float
    band: str  # "approve", "review" or "reject": the band the worker decided and stored
    words: str
    scale_max: float  # the far end of the bar, as a dissimilarity
    higher_is_closer: bool = False

    def _far(self, value: float) -> float:
        """How far from "identical" a score is (the bar's axis): the distance, or 1 - the similarity."""
        return 1.0 - value if self.higher_is_closer else value

    def x(self, value: float) -> float:
        """Where `value` sits on the bar (close on the left), in SVG units."""
        return round(min(max(self._far(value), 0.0), self.scale_max) / self.scale_max * BAR_WIDTH, 1)

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


# The band a decision's reason code stands for (decisions written before the band was stored).
BAND_OF_REASON = {
    "face_score_in_approve_band": "approve",
    "face_score_in_review_band": "review",
    "face_score_in_reject_band": "reject",
    "distance_below_accept_threshold": "approve",
    "distance_between_thresholds": "review",
    "distance_above_reject_threshold": "reject",
}
STORED_BAND = {"approve": "approve", "manual_review": "review", "reject": "reject"}


def distance_band(session: VerificationSession) -> DistanceBand | None:
    """None when no score was measured (a case sent to review for another reason).

    The band is the one the worker decided (``policy.decide``) and stored with the match; it is
    never decided again here. Only a case decided before the thresholds were stored with the match
    falls back to the effective policy's thresholds for the drawing.
    """
    if session.match_distance is None:
        return None
    detail = session.match_detail or {}
    band = STORED_BAND.get(str(detail.get("band", ""))) or next(
        (BAND_OF_REASON[r] for r in session.decision_reasons or [] if r in BAND_OF_REASON), "review"
    )
    policy = None if "accept_threshold" in detail and "reject_threshold" in detail else effective_policy()
    accept = float(detail["accept_threshold"]) if policy is None else policy.face_accept_threshold
    reject = float(detail["reject_threshold"]) if policy is None else policy.face_reject_threshold
    higher_is_closer = bool(detail.get("higher_is_closer", False))
    score = float(session.match_distance)
    words = {
        "approve": _("Close: the faces match (the approve band)."),
        "review": _("Unclear: between the approve and the reject thresholds."),
        "reject": _("Far: the faces differ (the reject band)."),
    }[band]
    far = (lambda v: 1.0 - v) if higher_is_closer else (lambda v: v)
    scale_max = max(far(reject) * 1.4, far(score) * 1.05, 0.01)
    return DistanceBand(score, accept, reject, band, words, scale_max=scale_max, higher_is_closer=higher_is_closer)


def liveness_steps(session: VerificationSession) -> list[dict[str, Any]]:
    """The steps of the last verdict: what was asked, whether it was seen, how long it took."""
    verdict = (session.liveness_detail or {}).get("verdict") or {}
    return [
        {"step": step.get("step", ""), "passed": bool(step.get("passed")), "duration": step.get("duration")}
        for step in verdict.get("steps", [])
        if isinstance(step, dict)
    ]

"""Decision policy: turn one match score into an approve / manual review / reject band. The one place
a band is decided (the judgement service stores it; the review screen reads the stored band).

Two thresholds split the score axis into three bands, in the matcher's own unit and direction
(``ScoreScale``). For a distance (lower is closer, Dlib):

    score <= accept                -> approve
    accept < score <= reject       -> manual_review
    score > reject                 -> reject

For a similarity (higher is closer, OMZ cosine) the same with the comparisons turned round:
``score >= accept`` approves, ``score < reject`` rejects. The boundaries belong to the more
lenient band. Every decision carries reason codes so the audit trail says why, not only what.

The calibrated thresholds are not here: each matcher carries its own (``FaceMatcher.SCALE``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class DecisionBand(enum.StrEnum):
    APPROVE = "approve"
    MANUAL_REVIEW = "manual_review"
    REJECT = "reject"


class ReasonCode(enum.StrEnum):
    # Neutral of the score's direction; decisions written before had distance_* codes.
    SCORE_AT_ACCEPT = "face_score_in_approve_band"
    SCORE_BETWEEN_THRESHOLDS = "face_score_in_review_band"
    SCORE_PAST_REJECT = "face_score_in_reject_band"


@dataclass(frozen=True)
class MatchPolicy:
    """The two thresholds of the three-band decision, in the matcher's unit and direction."""

    accept_threshold: float
    reject_threshold: float
    higher_is_closer: bool = False

    def __post_init__(self) -> None:
        if self.higher_is_closer:
            if not self.accept_threshold >= self.reject_threshold:
                raise ValueError(
                    f"a similarity needs accept_threshold >= reject_threshold, got "
                    f"{self.accept_threshold} and {self.reject_threshold}"
                )
        elif not 0.0 <= self.accept_threshold <= self.reject_threshold:
            raise ValueError(
                f"a distance needs 0 <= accept_threshold <= reject_threshold, got "
                f"{self.accept_threshold} and {self.reject_threshold}"
            )


@dataclass(frozen=True)
class Decision:
    band: DecisionBand
    reason_codes: tuple[str, ...]


def decide(score: float, policy: MatchPolicy) -> Decision:
    """Place one score into its band. The boundaries belong to the more lenient band."""
    sign = -1.0 if policy.higher_is_closer else 1.0  # compare as a distance: lower is closer
    if sign * score <= sign * policy.accept_threshold:
        return Decision(DecisionBand.APPROVE, (ReasonCode.SCORE_AT_ACCEPT.value,))
    if sign * score <= sign * policy.reject_threshold:
        return Decision(DecisionBand.MANUAL_REVIEW, (ReasonCode.SCORE_BETWEEN_THRESHOLDS.value,))
    return Decision(DecisionBand.REJECT, (ReasonCode.SCORE_PAST_REJECT.value,))

"""Decision policy: turn one face distance into an approve / manual review / reject band.

Two thresholds split the distance axis into three bands (lower distance = more alike):

    distance <= accept_threshold                     -> approve
    accept_threshold < distance <= reject_threshold  -> manual_review
    distance > reject_threshold                      -> reject

Every decision carries reason codes so the audit trail says why, not only what.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

# The shipped defaults, computed by `manage.py face_calibrate` on the shared sets (README, "Face
# matching"): the accept threshold is strictly below the closest of the 9,026 ordered
# different-person pairs of the CASIA set (the hardest), so none of them is approved; 1e-4 cannot
# be demonstrated on that many pairs, the set supports 3.3e-4. The reject threshold is at the
# farthest same-person pair of the CASIA set (none of 382 rejected outright, below 0.8 %).
# The run that produced both figures (re-run it and copy its output here when the sets or the
# model change; --adopt writes them into the admin's policy instead, audited):
#   manage.py face_calibrate $SHIMING_TESTDATA/verification/casia_facev5 \
#       $SHIMING_TESTDATA/verification/pairs.csv --root $SHIMING_TESTDATA --chip
CALIBRATED_ACCEPT_THRESHOLD = 0.3417
CALIBRATED_REJECT_THRESHOLD = 0.7644


class DecisionBand(enum.StrEnum):
    APPROVE = "approve"
    MANUAL_REVIEW = "manual_review"
    REJECT = "reject"


class ReasonCode(enum.StrEnum):
    DISTANCE_BELOW_ACCEPT = "distance_below_accept_threshold"
    DISTANCE_BETWEEN_THRESHOLDS = "distance_between_thresholds"
    DISTANCE_ABOVE_REJECT = "distance_above_reject_threshold"


@dataclass(frozen=True)
class MatchPolicy:
    """The two thresholds of the three-band decision, in the matcher's distance unit."""

    accept_threshold: float
    reject_threshold: float

    def __post_init__(self) -> None:
        if not 0.0 <= self.accept_threshold <= self.reject_threshold:
            raise ValueError(
                f"need 0 <= accept_threshold <= reject_threshold, got "
                f"{self.accept_threshold} and {self.reject_threshold}"
            )


@dataclass(frozen=True)
class Decision:
    band: DecisionBand
    reason_codes: tuple[str, ...]


def decide(distance: float, policy: MatchPolicy) -> Decision:
    """Place one distance into its band. The boundaries belong to the more lenient band."""
    if distance <= policy.accept_threshold:
        return Decision(DecisionBand.APPROVE, (ReasonCode.DISTANCE_BELOW_ACCEPT.value,))
    if distance <= policy.reject_threshold:
        return Decision(DecisionBand.MANUAL_REVIEW, (ReasonCode.DISTANCE_BETWEEN_THRESHOLDS.value,))
    return Decision(DecisionBand.REJECT, (ReasonCode.DISTANCE_ABOVE_REJECT.value,))

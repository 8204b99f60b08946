from __future__ import annotations

import pytest

from registration.face_matching.policy import DecisionBand, MatchPolicy, ReasonCode, decide

POLICY = MatchPolicy(accept_threshold=0.6, reject_threshold=0.75)


@pytest.mark.parametrize(
    ("distance", "band", "reason"),
    [
        (0.0, DecisionBand.APPROVE, ReasonCode.DISTANCE_BELOW_ACCEPT),
        (0.6, DecisionBand.APPROVE, ReasonCode.DISTANCE_BELOW_ACCEPT),
        (0.6001, DecisionBand.MANUAL_REVIEW, ReasonCode.DISTANCE_BETWEEN_THRESHOLDS),
        (0.75, DecisionBand.MANUAL_REVIEW, ReasonCode.DISTANCE_BETWEEN_THRESHOLDS),
        (0.7501, DecisionBand.REJECT, ReasonCode.DISTANCE_ABOVE_REJECT),
        (float("inf"), DecisionBand.REJECT, ReasonCode.DISTANCE_ABOVE_REJECT),
    ],
)
def test_distance_falls_into_its_band_with_a_reason(distance: float, band: DecisionBand, reason: ReasonCode) -> None:
    decision = decide(distance, POLICY)

    assert decision.band is band
    assert decision.reason_codes == (reason.value,)


def test_equal_thresholds_leave_no_manual_band() -> None:
    policy = MatchPolicy(accept_threshold=0.6, reject_threshold=0.6)

    assert decide(0.6, policy).band is DecisionBand.APPROVE
    assert decide(0.61, policy).band is DecisionBand.REJECT


@pytest.mark.parametrize(("accept", "reject"), [(0.8, 0.7), (-0.1, 0.5)])
def test_inconsistent_thresholds_are_refused(accept: float, reject: float) -> None:
    with pytest.raises(ValueError, match="accept_threshold"):
        MatchPolicy(accept_threshold=accept, reject_threshold=reject)

"""The one place a band is decided: a distance (lower is closer) or a similarity (higher is closer)."""

from __future__ import annotations

import pytest

from registration.face_matching.policy import DecisionBand, MatchPolicy, ReasonCode, decide

POLICY = MatchPolicy(accept_threshold=0.6, reject_threshold=0.75)
SIMILARITY = MatchPolicy(accept_threshold=0.55, reject_threshold=0.15, higher_is_closer=True)


@pytest.mark.parametrize(
    ("distance", "band", "reason"),
    [
        (0.0, DecisionBand.APPROVE, ReasonCode.SCORE_AT_ACCEPT),
        (0.6, DecisionBand.APPROVE, ReasonCode.SCORE_AT_ACCEPT),
        (0.6001, DecisionBand.MANUAL_REVIEW, ReasonCode.SCORE_BETWEEN_THRESHOLDS),
        (0.75, DecisionBand.MANUAL_REVIEW, ReasonCode.SCORE_BETWEEN_THRESHOLDS),
        (0.7501, DecisionBand.REJECT, ReasonCode.SCORE_PAST_REJECT),
        (float("inf"), DecisionBand.REJECT, ReasonCode.SCORE_PAST_REJECT),
    ],
)
def test_distance_falls_into_its_band_with_a_reason(distance: float, band: DecisionBand, reason: ReasonCode) -> None:
    decision = decide(distance, POLICY)

    assert decision.band is band
    assert decision.reason_codes == (reason.value,)


@pytest.mark.parametrize(
    ("similarity", "band"),
    [
        (1.0, DecisionBand.APPROVE),
        (0.55, DecisionBand.APPROVE),
        (0.5499, DecisionBand.MANUAL_REVIEW),
        (0.15, DecisionBand.MANUAL_REVIEW),
        (0.1499, DecisionBand.REJECT),
        (-1.0, DecisionBand.REJECT),
    ],
)
def test_a_similarity_is_read_the_other_way_round(similarity: float, band: DecisionBand) -> None:
    assert decide(similarity, SIMILARITY).band is band


def test_equal_thresholds_leave_no_manual_band() -> None:
    policy = MatchPolicy(accept_threshold=0.6, reject_threshold=0.6)

    assert decide(0.6, policy).band is DecisionBand.APPROVE
    assert decide(0.61, policy).band is DecisionBand.REJECT


@pytest.mark.parametrize(("accept", "reject", "higher"), [(0.8, 0.7, False), (-0.1, 0.5, False), (0.3, 0.5, True)])
def test_inconsistent_thresholds_are_refused(accept: float, reject: float, higher: bool) -> None:
    with pytest.raises(ValueError, match="accept_threshold"):
        MatchPolicy(accept_threshold=accept, reject_threshold=reject, higher_is_closer=higher)

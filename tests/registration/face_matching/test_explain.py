"""The words and numbers the supervisor's review screen shows for a match."""

from __future__ import annotations

import pytest
from django.utils import translation

from registration.face_matching.explain import explain_match
from registration.face_matching.policy import DecisionBand


@pytest.mark.parametrize(
    ("distance", "band", "words"),
    [
        (0.30, DecisionBand.APPROVE, "at or below the approval threshold 0.342"),
        (0.41, DecisionBand.MANUAL_REVIEW, "between the approval threshold 0.342 and the rejection threshold 0.764"),
        (0.90, DecisionBand.REJECT, "above the rejection threshold 0.764"),
    ],
)
def test_the_distance_is_placed_against_both_thresholds(distance: float, band: DecisionBand, words: str) -> None:
    with translation.override("en"):
        shown = explain_match(distance=distance, accept_threshold=0.3417, reject_threshold=0.7644, band=band)

    assert words in shown.explanation
    assert f"{distance:.3f}" in shown.explanation
    assert shown.band == band.value
    assert 0.0 < shown.accept_position < shown.reject_position < 1.0
    assert shown.distance_position == pytest.approx(distance / 1.2, abs=1e-4)


def test_no_distance_says_so_and_the_supervisor_compares() -> None:
    with translation.override("zh-hans"):
        shown = explain_match(
            distance=None, accept_threshold=0.3417, reject_threshold=0.7644, band=DecisionBand.MANUAL_REVIEW
        )

    assert shown.distance_position is None
    assert shown.band_label == "无法确定：由主管判定"
    assert "比对两张照片" in shown.explanation

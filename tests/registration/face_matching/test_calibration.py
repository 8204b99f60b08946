"""Threshold calibration on small synthetic score sets: bounds, ties, missing pair kinds, hardest set."""

from __future__ import annotations

import math

import pytest
from scipy.stats import binom

from registration.face_matching.calibration import (
    CalibrationError,
    ScoreSet,
    accept_threshold_for,
    calibrate,
    det_points,
    error_bound,
    false_match,
    false_non_match,
    operating_point,
    reject_threshold_for,
)


def test_zero_errors_is_below_three_over_n_not_zero() -> None:
    bound = error_bound(0, 1000)

    assert (bound.rate, bound.lower, bound.upper, bound.method) == (0.0, 0.0, 0.003, "rule_of_three")


def test_errors_get_the_exact_clopper_pearson_interval() -> None:
    bound = error_bound(5, 100)

    assert bound.method == "clopper_pearson"
    assert bound.rate == 0.05
    # The defining property: at the upper bound, seeing 5 or fewer errors has probability 2.5 %.
    assert binom.cdf(5, 100, bound.upper) == pytest.approx(0.025, abs=1e-9)
    assert binom.sf(4, 100, bound.lower) == pytest.approx(0.025, abs=1e-9)
    assert bound.lower < 0.05 < bound.upper


def test_no_trials_bound_says_nothing() -> None:
    bound = error_bound(0, 0)

    assert math.isnan(bound.rate)
    assert (bound.upper, bound.method) == (1.0, "no_trials")


def test_too_small_a_set_gives_the_threshold_just_below_the_closest_impostor() -> None:
    scores = ScoreSet.of("small", [0.2, 0.3, 0.45], [0.5, 0.6, 0.7, *([0.9] * 97)])

    choice = accept_threshold_for(scores, target_fmr=1e-4)

    assert choice.threshold == 0.4999
    assert choice.bound.errors == 0
    assert choice.bound.upper == pytest.approx(0.03)
    assert not choice.demonstrated
    assert choice.supported_target == pytest.approx(0.03)


def test_a_large_enough_set_allows_the_errors_its_bound_permits() -> None:
    impostor = [0.1 + i * 1e-3 for i in range(10_000)]  # 0.100, 0.101, ...
    scores = ScoreSet.of("large", [0.05], impostor)

    choice = accept_threshold_for(scores, target_fmr=1e-3)

    # 3 errors in 10,000: upper bound 8.8e-4 <= 1e-3; 4 errors: 1.02e-3 > 1e-3.
    assert choice.bound.errors == 3
    assert choice.demonstrated
    assert choice.bound.upper <= 1e-3 < error_bound(4, 10_000).upper
    assert choice.threshold == 0.1029  # strictly below the fourth impostor (0.103)


def test_ties_at_the_closest_impostor_are_never_accepted() -> None:
    scores = ScoreSet.of("ties", [0.3, 0.4, 0.4], [0.4, 0.4, 0.8])

    choice = accept_threshold_for(scores, target_fmr=1e-4)

    assert choice.threshold < 0.4
    assert false_match(scores.impostor, choice.threshold).errors == 0
    # The genuine pairs tied with the impostors are not approved either: they go to review.
    assert false_non_match(scores.genuine, choice.threshold).errors == 2


def test_a_threshold_on_an_exact_distance_accepts_it() -> None:
    assert false_match([0.5, 0.6], 0.5).errors == 1
    assert false_non_match([0.5, 0.6], 0.5).errors == 1


def test_reject_threshold_keeps_every_same_person_pair_of_a_small_set() -> None:
    scores = ScoreSet.of("small", [0.2, 0.61, 0.6123, math.inf], [0.9])

    choice = reject_threshold_for(scores, target_fnmr=0.01)

    assert choice.threshold == 0.6123  # at the farthest same-person pair: it is not rejected
    assert choice.bound.errors == 0
    assert choice.bound.trials == 3  # the undetected pair goes to review, it is not a distance


def test_a_set_with_no_impostors_cannot_set_the_accept_threshold() -> None:
    with pytest.raises(CalibrationError, match="no different-person pairs"):
        accept_threshold_for(ScoreSet.of("only-genuine", [0.3], [math.inf]), target_fmr=1e-4)


def test_a_set_with_no_impostors_is_skipped_and_said_so() -> None:
    sets = [ScoreSet.of("only-genuine", [0.7, 0.75], []), ScoreSet.of("both", [0.2, 0.3], [0.5, 0.6])]

    result = calibrate(sets, target_fmr=1e-4, target_fnmr_reject=0.01)

    assert result.accept.set_name == "both"
    assert result.accept.threshold == 0.4999
    assert result.reject.set_name == "only-genuine"  # its genuine pairs still count for the reject choice
    assert result.reject.threshold == 0.75
    assert result.skipped == ("set 'only-genuine' has no different-person pairs: it cannot set an accept threshold",)


def test_no_set_with_impostors_is_an_error() -> None:
    with pytest.raises(CalibrationError, match="no set has both kinds"):
        calibrate([ScoreSet.of("g", [0.2], [])], target_fmr=1e-4, target_fnmr_reject=0.01)


def test_the_accept_threshold_comes_from_the_hardest_set() -> None:
    easy = ScoreSet.of("celebrity", [0.3, 0.4, 0.6], [0.7, 0.8, 0.9])
    hard = ScoreSet.of("chinese", [0.2, 0.3, 0.5], [0.35, 0.5, 0.6])

    result = calibrate([easy, hard], target_fmr=1e-4, target_fnmr_reject=0.01)

    assert result.accept.set_name == "chinese"
    assert result.accept.threshold == 0.3499
    assert {c.set_name: c.threshold for c in result.per_set_accept} == {"celebrity": 0.6999, "chinese": 0.3499}
    # Reject: the set with the farthest same-person pair decides, so no set rejects a genuine pair.
    assert (result.reject.set_name, result.reject.threshold) == ("celebrity", 0.6)
    point = operating_point(easy, accept=result.accept.threshold, reject=result.reject.threshold)
    assert point.genuine_bands == {"approve": 1, "manual_review": 2, "reject": 0}
    assert point.impostor_bands == {"approve": 0, "manual_review": 0, "reject": 3}


def test_the_reject_threshold_never_falls_below_the_accept_threshold() -> None:
    scores = ScoreSet.of("odd", [0.1, 0.2], [0.9])

    result = calibrate([scores], target_fmr=1e-4, target_fnmr_reject=0.01)

    assert result.accept.threshold == 0.8999
    assert result.reject.threshold == 0.8999


def test_undetected_pairs_go_to_review_in_the_bands() -> None:
    point = operating_point(ScoreSet.of("s", [0.2, math.inf], [math.inf, 0.9]), accept=0.4, reject=0.6)

    assert point.genuine_bands == {"approve": 1, "manual_review": 1, "reject": 0}
    assert point.impostor_bands == {"approve": 0, "manual_review": 1, "reject": 1}
    assert point.false_match.trials == 1  # an impostor pair without a face was not a comparison


def test_det_points_run_from_accept_nothing_to_accept_everything() -> None:
    points = det_points(ScoreSet.of("s", [0.2, 0.4, math.inf], [0.3, 0.5]))

    assert [t for t, _, _ in points] == [0.2, 0.3, 0.4, 0.5]
    assert points[0][1:] == (0.0, pytest.approx(2 / 3))
    assert points[-1][1:] == (1.0, pytest.approx(1 / 3))  # the undetected same-person pair is never accepted

"""Metrics on hand-made distances: every expected figure can be checked with pencil and paper."""

from __future__ import annotations

import math

import pytest

from registration.face_matching import evaluation

SEPARABLE_GENUINE = [0.2, 0.3, 0.4, 0.5]
SEPARABLE_IMPOSTOR = [0.7, 0.8, 0.9, 1.0]

# One genuine pair (0.75) is farther than one impostor pair (0.6).
OVERLAP_GENUINE = [0.2, 0.3, 0.4, 0.75]
OVERLAP_IMPOSTOR = [0.6, 0.8, 0.9, 1.0]


def test_separable_distances_give_perfect_figures() -> None:
    assert evaluation.roc_auc(SEPARABLE_GENUINE, SEPARABLE_IMPOSTOR) == 1.0
    assert evaluation.equal_error_rate(SEPARABLE_GENUINE, SEPARABLE_IMPOSTOR) == (0.0, 0.5)
    assert evaluation.tar_at_far(SEPARABLE_GENUINE, SEPARABLE_IMPOSTOR, 0.01) == (1.0, 0.5)
    assert evaluation.accuracy_at(SEPARABLE_GENUINE, SEPARABLE_IMPOSTOR, 0.6) == 1.0


def test_overlap_figures() -> None:
    # 15 of 16 genuine/impostor orderings are right: 0.75 > 0.6 is the only inversion.
    assert evaluation.roc_auc(OVERLAP_GENUINE, OVERLAP_IMPOSTOR) == pytest.approx(15 / 16)
    # At 0.4: FAR 0, FRR 1/4; at 0.6: FAR 1/4, FRR 1/4; at 0.75: FAR 1/4, FRR 0.
    eer, threshold = evaluation.equal_error_rate(OVERLAP_GENUINE, OVERLAP_IMPOSTOR)
    assert eer == pytest.approx(0.25)
    assert threshold == 0.4
    assert evaluation.tar_at_far(OVERLAP_GENUINE, OVERLAP_IMPOSTOR, 0.0) == (0.75, 0.4)
    assert evaluation.tar_at_far(OVERLAP_GENUINE, OVERLAP_IMPOSTOR, 0.25) == (1.0, 0.75)
    assert evaluation.accuracy_at(OVERLAP_GENUINE, OVERLAP_IMPOSTOR, 0.4) == pytest.approx(7 / 8)
    assert evaluation.best_accuracy(OVERLAP_GENUINE, OVERLAP_IMPOSTOR) == (pytest.approx(7 / 8), 0.4)


def test_ties_count_half_in_auc() -> None:
    assert evaluation.roc_auc([0.5], [0.5]) == 0.5


def test_undetected_pairs_count_as_not_matched() -> None:
    genuine = [0.2, math.inf]
    impostor = [0.9, math.inf]

    assert evaluation.accuracy_at(genuine, impostor, 0.5) == 0.75
    assert evaluation.tar_at_far(genuine, impostor, 0.0) == (0.5, 0.2)
    assert evaluation.distribution(genuine) is not None
    assert evaluation.distribution(genuine).count == 1  # type: ignore[union-attr]
    assert evaluation.distribution([math.inf]) is None


def test_empty_sides_are_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        evaluation.roc_auc([], [0.5])


def test_distribution_quantiles() -> None:
    summary = evaluation.distribution([0.0, 1.0, 2.0, 3.0, 4.0])

    assert summary is not None
    assert (summary.minimum, summary.median, summary.maximum, summary.mean) == (0.0, 2.0, 4.0, 2.0)
    assert summary.p05 == pytest.approx(0.2)

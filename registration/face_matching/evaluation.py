"""Verification metrics on labelled distances: pure functions, no model, no I/O.

Conventions: a lower distance means "more alike"; a pair is accepted when ``distance <= threshold``.
A pair whose face could not be found is given ``math.inf``: it is never accepted, so an undetected
same-person pair counts as a false reject and is never silently dropped.
"""

from __future__ import annotations

import bisect
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class RocPoint:
    threshold: float
    far: float  # impostor pairs accepted / impostor pairs
    tar: float  # genuine pairs accepted / genuine pairs


@dataclass(frozen=True)
class Distribution:
    count: int
    minimum: float
    p05: float
    median: float
    p95: float
    maximum: float
    mean: float


def _check(genuine: Sequence[float], impostor: Sequence[float]) -> None:
    if not genuine or not impostor:
        raise ValueError("need at least one genuine and one impostor distance")


def accepted_fraction(distances: Sequence[float], threshold: float) -> float:
    return sum(1 for d in distances if d <= threshold) / len(distances)


def roc_points(genuine: Sequence[float], impostor: Sequence[float]) -> list[RocPoint]:
    """One point per distinct finite distance, plus the "accept nothing" point, by rising threshold."""
    _check(genuine, impostor)
    finite = sorted({d for d in (*genuine, *impostor) if math.isfinite(d)})
    thresholds = [-math.inf, *finite]
    ordered_genuine, ordered_impostor = sorted(genuine), sorted(impostor)  # sorted once: sets of ~10^4 pairs

    def accepted(ordered: list[float], t: float) -> float:
        return bisect.bisect_right(ordered, t) / len(ordered)

    return [RocPoint(t, accepted(ordered_impostor, t), accepted(ordered_genuine, t)) for t in thresholds]


def accuracy_at(genuine: Sequence[float], impostor: Sequence[float], threshold: float) -> float:
    """Binary accuracy when every pair at or below the threshold is called "same person"."""
    _check(genuine, impostor)
    correct = sum(1 for d in genuine if d <= threshold) + sum(1 for d in impostor if d > threshold)
    return correct / (len(genuine) + len(impostor))


def equal_error_rate(genuine: Sequence[float], impostor: Sequence[float]) -> tuple[float, float]:
    """(EER, its threshold): the threshold minimising max(FAR, FRR); the EER is that maximum.

    On a small set FAR and FRR move in steps and rarely meet exactly; taking the smaller of the two
    maxima is the conservative reading of the crossing.
    """
    best = min(roc_points(genuine, impostor), key=lambda p: (max(p.far, 1.0 - p.tar), p.threshold))
    return max(best.far, 1.0 - best.tar), best.threshold


def tar_at_far(genuine: Sequence[float], impostor: Sequence[float], max_far: float) -> tuple[float, float]:
    """(best TAR with FAR <= max_far, the highest threshold giving it)."""
    allowed = [p for p in roc_points(genuine, impostor) if p.far <= max_far]
    best = max(allowed, key=lambda p: (p.tar, p.threshold))
    return best.tar, best.threshold


def roc_auc(genuine: Sequence[float], impostor: Sequence[float]) -> float:
    """Probability that a genuine pair is closer than an impostor pair (ties count half)."""
    _check(genuine, impostor)
    ordered = sorted(impostor)
    wins = 0.0
    for g in genuine:
        below_or_equal = bisect.bisect_right(ordered, g)
        equal = below_or_equal - bisect.bisect_left(ordered, g)
        wins += (len(ordered) - below_or_equal) + 0.5 * equal
    return wins / (len(genuine) * len(impostor))


def best_accuracy(genuine: Sequence[float], impostor: Sequence[float]) -> tuple[float, float]:
    """(highest binary accuracy over all thresholds, its threshold): an optimistic, in-sample figure."""

    def accuracy(p: RocPoint) -> float:  # accuracy_at from the point's rates, without a pass over the pairs
        return (p.tar * len(genuine) + (1.0 - p.far) * len(impostor)) / (len(genuine) + len(impostor))

    point = max(roc_points(genuine, impostor), key=lambda p: (accuracy(p), -p.threshold))
    return accuracy_at(genuine, impostor, point.threshold), point.threshold


def _quantile(ordered: Sequence[float], q: float) -> float:
    """Linear-interpolated quantile of an ascending, non-empty sequence."""
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def distribution(distances: Sequence[float]) -> Distribution | None:
    """Summary of the finite distances; None when there are none."""
    finite = sorted(d for d in distances if math.isfinite(d))
    if not finite:
        return None

    return Distribution(
        count=len(finite),
        minimum=finite[0],
        p05=_quantile(finite, 0.05),
        median=_quantile(finite, 0.5),
        p95=_quantile(finite, 0.95),
        maximum=finite[-1],
        mean=statistics.fmean(finite),
    )

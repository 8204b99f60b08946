"""Thresholds from error-rate targets, with honest statistics: pure functions on labelled distances.

Conventions (as in ``evaluation``): every function works on a *dissimilarity*, lower = more alike:
a matcher's distance as it is (Dlib), or one minus its similarity (OMZ cosine); ``dissimilarity``
and ``score_of`` convert with the matcher's ``ScoreScale``, and every threshold is reported back in
the matcher's own unit. A pair is auto-approved when ``dissimilarity <= accept``, rejected outright
when ``dissimilarity > reject``, sent to review in between.

- False match rate (FMR) at ``accept``: different-person pairs approved / different-person pairs.
- False non-match rate (FNMR) at ``accept``: same-person pairs *not* auto-approved / same-person
  pairs (they go to review or are rejected). A pair whose face was not found counts here.
- False reject rate at ``reject``: same-person pairs rejected outright / same-person pairs whose
  faces were found (an undetected face goes to review in the product, never to an outright reject).

Every rate comes with a 95 % interval: with zero errors in n trials the upper bound is 3/n (the
"rule of three"), never zero; otherwise the exact Clopper-Pearson interval. A target is
*demonstrated* on a set only when the upper bound at the chosen threshold is at or below it. When
the set is too small to demonstrate the target (3/n above it, e.g. 1e-4 needs at least 30,000
different-person pairs), the threshold is the most cautious one the set allows: strictly below
the closest different-person pair (accept), or at or above the farthest same-person pair (reject),
and the report says which target the set actually supports (its 3/n).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from scipy.stats import beta

from registration.face_matching.types import ScoreScale

CONFIDENCE = 0.95


def dissimilarity(scale: ScoreScale, score: float) -> float:
    """The matcher's score as a dissimilarity (lower is closer): a distance as is, 1 - a similarity."""
    if not math.isfinite(score):
        return math.inf
    return round(1.0 - score, 9) if scale.higher_is_closer else score


def score_of(scale: ScoreScale, value: float) -> float:
    """A dissimilarity (a threshold) back in the matcher's unit, to RESOLUTION's 4 decimals."""
    return round(1.0 - value, 6) if scale.higher_is_closer else value


RESOLUTION = 1e-4  # thresholds are written with 4 decimals, always rounded away from the errors


class CalibrationError(ValueError):
    """The score sets cannot give the asked-for threshold (no pairs of the needed kind)."""


@dataclass(frozen=True)
class ErrorBound:
    """An observed error rate and its 95 % interval."""

    errors: int
    trials: int
    rate: float
    lower: float
    upper: float
    method: str  # "rule_of_three" (zero errors), "clopper_pearson" or "no_trials"


@dataclass(frozen=True)
class ScoreSet:
    """The distances of one identity set (or one variant of it, e.g. chip-resolution references)."""

    name: str
    genuine: tuple[float, ...]  # same-person pairs; math.inf when a face was not found
    impostor: tuple[float, ...]  # different-person pairs; math.inf when a face was not found

    @classmethod
    def of(cls, name: str, genuine: Iterable[float], impostor: Iterable[float]) -> ScoreSet:
        return cls(name, tuple(genuine), tuple(impostor))


@dataclass(frozen=True)
class ThresholdChoice:
    """One threshold, the set it was chosen on, and what that set can say about it."""

    threshold: float
    target: float
    set_name: str
    bound: ErrorBound  # the error rate at the threshold on that set
    demonstrated: bool  # bound.upper <= target
    supported_target: float  # the smallest target this set can demonstrate at all (3/n)


@dataclass(frozen=True)
class OperatingPoint:
    """What two thresholds do to one set: bands per kind of pair and the error bounds."""

    set_name: str
    accept: float
    reject: float
    false_match: ErrorBound  # impostors approved
    false_non_match: ErrorBound  # genuine not auto-approved (review + reject + undetected)
    false_reject: ErrorBound  # genuine rejected outright (faces found)
    genuine_bands: dict[str, int]
    impostor_bands: dict[str, int]


def error_bound(errors: int, trials: int, confidence: float = CONFIDENCE) -> ErrorBound:
    """The rate errors/trials with its two-sided ``confidence`` interval (3/n above zero errors)."""
    if not 0 <= errors <= trials:
        raise ValueError(f"need 0 <= errors <= trials, got {errors} of {trials}")
    if trials == 0:
        return ErrorBound(0, 0, math.nan, 0.0, 1.0, "no_trials")
    rate = errors / trials
    if errors == 0:
        return ErrorBound(0, trials, 0.0, 0.0, min(1.0, 3.0 / trials), "rule_of_three")
    alpha = 1.0 - confidence
    lower = float(beta.ppf(alpha / 2, errors, trials - errors + 1))
    upper = 1.0 if errors == trials else float(beta.ppf(1 - alpha / 2, errors + 1, trials - errors))
    return ErrorBound(errors, trials, rate, lower, upper, "clopper_pearson")


def false_match(impostor: Sequence[float], accept: float) -> ErrorBound:
    """Different-person pairs approved at ``accept``; pairs without a face are not comparisons."""
    finite = [d for d in impostor if math.isfinite(d)]
    return error_bound(sum(1 for d in finite if d <= accept), len(finite))


def false_non_match(genuine: Sequence[float], accept: float) -> ErrorBound:
    """Same-person pairs not auto-approved at ``accept`` (an undetected face counts as one)."""
    return error_bound(sum(1 for d in genuine if not d <= accept), len(genuine))


def false_reject(genuine: Sequence[float], reject: float) -> ErrorBound:
    """Same-person pairs rejected outright at ``reject``, among those whose faces were found."""
    finite = [d for d in genuine if math.isfinite(d)]
    return error_bound(sum(1 for d in finite if d > reject), len(finite))


def _allowed_errors(trials: int, target: float) -> int | None:
    """The most errors in ``trials`` whose upper bound stays at or below ``target``; None if not even 0."""
    if error_bound(0, trials).upper > target:
        return None
    allowed = 0
    while allowed < trials and error_bound(allowed + 1, trials).upper <= target:
        allowed += 1
    return allowed


def _below(distance: float) -> float:
    """The largest multiple of RESOLUTION strictly below ``distance`` (never below 0)."""
    steps = math.floor(distance / RESOLUTION)
    if steps * RESOLUTION >= distance:
        steps -= 1
    return max(0.0, round(steps * RESOLUTION, 6))


def _at_or_above(distance: float) -> float:
    """The smallest multiple of RESOLUTION at or above ``distance``."""
    steps = math.ceil(distance / RESOLUTION)
    if steps * RESOLUTION < distance:
        steps += 1
    return round(steps * RESOLUTION, 6)


def accept_threshold_for(scores: ScoreSet, target_fmr: float) -> ThresholdChoice:
    """The highest accept threshold whose false match rate on this set is demonstrably <= target.

    If the set is too small to demonstrate the target, the threshold sits strictly below the
    closest different-person pair (zero false matches, bound 3/n). Ties are safe: the threshold is
    always strictly below the first impostor distance it must not accept.
    """
    ordered = sorted(d for d in scores.impostor if math.isfinite(d))
    if not ordered:
        raise CalibrationError(f"set {scores.name!r} has no different-person pairs: it cannot set an accept threshold")
    allowed = _allowed_errors(len(ordered), target_fmr)
    first_refused = ordered[allowed or 0] if (allowed or 0) < len(ordered) else math.inf
    threshold = _below(first_refused) if math.isfinite(first_refused) else _at_or_above(ordered[-1])
    bound = false_match(ordered, threshold)
    return ThresholdChoice(threshold, target_fmr, scores.name, bound, bound.upper <= target_fmr, 3.0 / len(ordered))


def reject_threshold_for(scores: ScoreSet, target_fnmr: float) -> ThresholdChoice:
    """The lowest reject threshold whose outright-reject rate of same-person pairs is <= target.

    Too small a set: at or above the farthest same-person pair (zero rejected, bound 3/n).
    """
    ordered = sorted((d for d in scores.genuine if math.isfinite(d)), reverse=True)
    if not ordered:
        raise CalibrationError(f"set {scores.name!r} has no same-person pairs: it cannot set a reject threshold")
    allowed = _allowed_errors(len(ordered), target_fnmr)
    kept = ordered[allowed or 0] if (allowed or 0) < len(ordered) else 0.0
    threshold = _at_or_above(kept)
    bound = false_reject(ordered, threshold)
    return ThresholdChoice(threshold, target_fnmr, scores.name, bound, bound.upper <= target_fnmr, 3.0 / len(ordered))


@dataclass(frozen=True)
class Calibration:
    """The thresholds for the targets, each chosen on the set where it is hardest to meet."""

    accept: ThresholdChoice
    reject: ThresholdChoice
    per_set_accept: tuple[ThresholdChoice, ...]
    per_set_reject: tuple[ThresholdChoice, ...]
    skipped: tuple[str, ...]  # why a set could not take part in one of the choices


def calibrate(sets: Sequence[ScoreSet], *, target_fmr: float, target_fnmr_reject: float) -> Calibration:
    """Accept: the lowest of the per-set accept thresholds; reject: the highest per-set reject, >= accept."""
    accepts: list[ThresholdChoice] = []
    rejects: list[ThresholdChoice] = []
    skipped: list[str] = []
    for scores in sets:
        for choose, target, chosen in (
            (accept_threshold_for, target_fmr, accepts),
            (reject_threshold_for, target_fnmr_reject, rejects),
        ):
            try:
                chosen.append(choose(scores, target))
            except CalibrationError as error:
                skipped.append(str(error))
    if not accepts or not rejects:
        raise CalibrationError("no set has both kinds of pairs needed: " + "; ".join(skipped))
    accept = min(accepts, key=lambda choice: (choice.threshold, choice.set_name))
    reject = max(rejects, key=lambda choice: (choice.threshold, choice.set_name))
    if reject.threshold < accept.threshold:
        reject = _raised_to(reject, accept.threshold, sets)
    return Calibration(accept, reject, tuple(accepts), tuple(rejects), tuple(skipped))


def _raised_to(choice: ThresholdChoice, threshold: float, sets: Sequence[ScoreSet]) -> ThresholdChoice:
    """The reject choice moved up to the accept threshold (the bands must not cross)."""
    scores = next(s for s in sets if s.name == choice.set_name)
    bound = false_reject(scores.genuine, threshold)
    return ThresholdChoice(
        threshold, choice.target, choice.set_name, bound, bound.upper <= choice.target, choice.supported_target
    )


def operating_point(scores: ScoreSet, *, accept: float, reject: float) -> OperatingPoint:
    """The bands and error bounds of one set at the given thresholds."""
    return OperatingPoint(
        set_name=scores.name,
        accept=accept,
        reject=reject,
        false_match=false_match(scores.impostor, accept),
        false_non_match=false_non_match(scores.genuine, accept),
        false_reject=false_reject(scores.genuine, reject),
        genuine_bands=_bands(scores.genuine, accept, reject),
        impostor_bands=_bands(scores.impostor, accept, reject),
    )


def _bands(distances: Sequence[float], accept: float, reject: float) -> dict[str, int]:
    """Counts per band as the product decides them; an undetected face goes to review."""
    bands = {"approve": 0, "manual_review": 0, "reject": 0}
    for d in distances:
        if not math.isfinite(d):
            bands["manual_review"] += 1
        elif d <= accept:
            bands["approve"] += 1
        elif d <= reject:
            bands["manual_review"] += 1
        else:
            bands["reject"] += 1
    return bands


def det_points(scores: ScoreSet) -> list[tuple[float, float, float]]:
    """(threshold, FMR, FNMR) at every distinct finite distance: the points of a DET curve."""
    impostor = sorted(d for d in scores.impostor if math.isfinite(d))
    genuine = sorted(scores.genuine)  # math.inf sorts last: never accepted
    if not impostor or not genuine:
        return []
    thresholds = sorted({d for d in (*genuine, *impostor) if math.isfinite(d)})
    return [
        (t, bisect.bisect_right(impostor, t) / len(impostor), 1.0 - bisect.bisect_right(genuine, t) / len(genuine))
        for t in thresholds
    ]

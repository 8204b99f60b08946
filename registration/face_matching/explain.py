"""What the supervisor's review screen shows about a face match: the distance against the thresholds, in words.

The band is not decided here: it is the one the judgement stored (``policy.decide`` on the
effective policy of that moment). This module only explains a stored distance and band.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext

from registration.face_matching.policy import DecisionBand

SCALE_MAX = 1.2  # Dlib distances of different people rarely pass 1.1: the end of the drawn scale


@dataclass(frozen=True)
class MatchExplanation:
    """Numbers and words for one match, ready for a template or a JSON answer."""

    distance: float | None  # None when no distance was computed (no face, a model fault)
    accept_threshold: float
    reject_threshold: float
    band: str  # DecisionBand value
    band_label: str
    explanation: str
    distance_position: float | None  # 0..1 along a scale 0..SCALE_MAX, for a bar with two marks
    accept_position: float
    reject_position: float


def _position(value: float) -> float:
    return round(min(max(value / SCALE_MAX, 0.0), 1.0), 4)


def band_label(band: DecisionBand) -> str:
    return {
        DecisionBand.APPROVE: gettext("Same person (automatic)"),
        DecisionBand.MANUAL_REVIEW: gettext("Unsure: a supervisor decides"),
        DecisionBand.REJECT: gettext("Different person (automatic)"),
    }[band]


def explain_match(
    *, distance: float | None, accept_threshold: float, reject_threshold: float, band: DecisionBand
) -> MatchExplanation:
    """The distance and thresholds as numbers and as one sentence a supervisor can act on."""
    if distance is None:
        text = gettext("No face distance was computed; compare the two photos yourself.")
    elif distance <= accept_threshold:
        text = gettext("Distance %(d).3f is at or below the approval threshold %(a).3f: the faces match closely.")
    elif distance <= reject_threshold:
        text = gettext(
            "Distance %(d).3f is between the approval threshold %(a).3f and the rejection threshold %(r).3f: "
            "the model cannot tell; compare the two photos and decide."
        )
    else:
        text = gettext("Distance %(d).3f is above the rejection threshold %(r).3f: the faces look different.")
    values = {"d": distance or 0.0, "a": accept_threshold, "r": reject_threshold}
    return MatchExplanation(
        distance=distance,
        accept_threshold=accept_threshold,
        reject_threshold=reject_threshold,
        band=band.value,
        band_label=band_label(band),
        explanation=text % values if distance is not None else text,
        distance_position=None if distance is None else _position(distance),
        accept_position=_position(accept_threshold),
        reject_position=_position(reject_threshold),
    )

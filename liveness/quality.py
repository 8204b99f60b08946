"""Frame quality: turn the raw measurements of a frame into one state the page can show."""

from __future__ import annotations

from .config import LivenessConfig
from .features import Quality


def assess_quality(
    *,
    n_faces: int,
    cut_off: bool,
    face_size: float,
    brightness: float,
    sharpness: float,
    config: LivenessConfig,
) -> Quality:
    """The first problem found, in the order a person should fix them."""
    checks = (
        (n_faces == 0, Quality.NO_FACE),
        (n_faces > 1, Quality.MULTIPLE_FACES),
        (cut_off, Quality.CUT_OFF),
        (face_size < config.min_face_fraction, Quality.TOO_SMALL),
        (brightness < config.min_brightness, Quality.TOO_DARK),
        (brightness > config.max_brightness, Quality.TOO_BRIGHT),
        (sharpness < config.min_sharpness, Quality.BLURRED),
    )
    for failed, state in checks:
        if failed:
            return state
    return Quality.OK

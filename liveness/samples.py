"""Frames sampled at random through the whole challenge, from its first frame with a face to its end.

The worker embeds them with the face matcher and checks that they and every frame the match uses
show one person (`registration/services/identity.py`): frames of someone else slipped into the
stream cannot be the "best" ones unnoticed. The mesh's proportions (`guards.FaceContinuityGuard`)
are the real-time guard; this is the matcher's own, too costly for every frame.

Which frames are kept is drawn by reservoir sampling with the system's random source: every
eligible frame of the challenge has the same chance, and nobody outside can tell which were kept.
They are JPEG-encoded when kept (a few tens of KiB each, in memory only) and stored encrypted
with the other evidence of the attempt.
"""

from __future__ import annotations

import random
import secrets

import cv2
import numpy as np
import numpy.typing as npt

from .features import FrameFeatures, Quality

Frame = npt.NDArray[np.uint8]

SAMPLES_KEPT = 8
"""Frames kept per attempt: the worker embeds each one (about as many as the match's own frames twice)."""
SAMPLE_MAX_ANGLE = 12.0
"""Degrees from the frontal pose beyond which a frame is not sampled: a turned face embeds far from
its own frontal face, and would look like someone else."""
_JPEG_QUALITY = 90


class ChallengeSamples:
    """A uniform random sample of the challenge's usable frames (a face, good quality, near frontal)."""

    def __init__(self, keep: int = SAMPLES_KEPT, rng: random.Random | None = None) -> None:
        self._keep = keep
        self._rng = rng or secrets.SystemRandom()
        self._seen = 0
        self._kept: list[tuple[float, bytes]] = []

    def consider(self, frame: Frame, features: FrameFeatures, pose: tuple[float, float], *, rgb: bool) -> None:
        """Offer one analysed frame; ``pose`` is its (yaw, pitch) relative to the frontal pose."""
        if features.quality is not Quality.OK or max(abs(pose[0]), abs(pose[1])) > SAMPLE_MAX_ANGLE:
            return
        self._seen += 1
        if len(self._kept) < self._keep:
            self._kept.append((features.t, _jpeg(frame, rgb=rgb)))
            return
        slot = self._rng.randrange(self._seen)
        if slot < self._keep:
            self._kept[slot] = (features.t, _jpeg(frame, rgb=rgb))

    def jpegs(self) -> tuple[bytes, ...]:
        """The kept frames as BGR JPEGs, in the order they were filmed."""
        return tuple(jpeg for _, jpeg in sorted(self._kept, key=lambda kept: kept[0]))

    def times(self) -> tuple[float, ...]:
        """When the kept frames were filmed (seconds since the first frame), in order."""
        return tuple(sorted(t for t, _ in self._kept))


def _jpeg(frame: Frame, *, rgb: bool) -> bytes:
    image = cv2.cvtColor(frame, cv2.COLOR_RGB2BGR) if rgb else frame
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, _JPEG_QUALITY])
    if not ok:
        raise ValueError("the frame could not be encoded")
    return bytes(encoded.tobytes())

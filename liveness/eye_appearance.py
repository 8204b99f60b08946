"""How much each eye's pixels changed, with the face's own motion taken out: the blink's evidence.

The eye aspect ratio comes from the face mesh, a model fitted to the image: on a print that is
tilted, bent, re-compressed or shaken, the fitted eyelids can close while the printed eye never
does. A real eyelid changes the pixels: the iris and the white disappear under skin. So each
frame's eye region is cut out aligned on the eye's own corners (which takes out the face's
translation, rotation and scale, whatever moves it), normalised for brightness and contrast (the
screen-light step tints the face), and compared with the same eye a moment earlier. The change is
`1 - normalised cross-correlation`: near 0 for the same picture of an eye, however it was moved
(a print's eye stays within the noise of resampling and compression), large when the eye's
appearance changed. `liveness.detectors.BlinkDetector` counts an eye closure as a blink only if
the change during it reaches `LivenessConfig.blink_min_eye_change`.

Only the two numbers per frame leave this module; the patches live for `_REFERENCE_SECONDS` in
memory and are never stored.
"""

from __future__ import annotations

import math
from collections import deque

import cv2
import numpy as np
import numpy.typing as npt

from .landmarks import LEFT_EYE, RIGHT_EYE, Mesh

Patch = npt.NDArray[np.float32]

PATCH_WIDTH, PATCH_HEIGHT = 32, 16
# The corners land at (4, 8) and (28, 8); the patch spans a third of the eye's width above and
# below the corner line (lids, iris and the skin around, not the brow).
_CORNER_LEFT, _CORNER_RIGHT, _CORNER_ROW = 4.0, 28.0, 8.0
# The frames an eye is compared with: 0.1-0.4 s before. A blink closes in about 0.1 s, so its
# deepest frame meets an open eye there; slow drifts (a print bent over seconds) do not.
_REFERENCE_SECONDS = (0.1, 0.4)


def eye_patch(gray: npt.NDArray[np.uint8], mesh: Mesh, eye: tuple[int, int, object]) -> Patch:
    """The eye's region in a canonical frame set by its two corners, zero mean and unit norm."""
    first, second = mesh[eye[0], :2], mesh[eye[1], :2]
    left, right = (first, second) if first[0] <= second[0] else (second, first)
    span = right - left
    normal = np.array([-span[1], span[0]])
    source = np.array([left, right, left + normal], dtype=np.float32)
    width = _CORNER_RIGHT - _CORNER_LEFT
    target = np.array(
        [[_CORNER_LEFT, _CORNER_ROW], [_CORNER_RIGHT, _CORNER_ROW], [_CORNER_LEFT, _CORNER_ROW + width]],
        dtype=np.float32,
    )
    matrix = cv2.getAffineTransform(source, target)
    patch = cv2.warpAffine(
        gray, matrix, (PATCH_WIDTH, PATCH_HEIGHT), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    ).astype(np.float32)
    patch -= float(patch.mean())
    norm = math.sqrt(float((patch * patch).sum()))
    return patch / norm if norm > 1e-3 else np.zeros_like(patch)


def change(current: Patch, reference: Patch) -> float:
    """1 - normalised cross-correlation of two unit patches (0: the same picture; a flat patch,
    no texture to compare, counts as no change)."""
    if not current.any() or not reference.any():
        return 0.0
    return 1.0 - float((current * reference).sum())


class EyeAppearance:
    """Per frame, how much each eye changed against the same eye 0.1-0.4 s before (the largest
    change over those frames; 0 when there is no earlier frame yet)."""

    def __init__(self) -> None:
        self._history: deque[tuple[float, Patch, Patch]] = deque()

    def reset(self) -> None:
        """A new stream, or the face was lost: nothing earlier to compare with."""
        self._history.clear()

    def measure(self, t: float, gray: npt.NDArray[np.uint8], mesh: Mesh) -> tuple[float, float]:
        """(left, right) eye change of this frame, rounded to 4 decimals."""
        left, right = eye_patch(gray, mesh, LEFT_EYE), eye_patch(gray, mesh, RIGHT_EYE)
        nearest, farthest = _REFERENCE_SECONDS
        while self._history and self._history[0][0] < t - farthest:
            self._history.popleft()
        references = [entry for entry in self._history if entry[0] <= t - nearest]
        self._history.append((t, left, right))
        if not references:
            return (0.0, 0.0)
        return (
            _largest_change(left, [entry[1] for entry in references]),
            _largest_change(right, [entry[2] for entry in references]),
        )


def _largest_change(current: Patch, references: list[Patch]) -> float:
    """`change` against each reference, the largest, rounded to 4 decimals: one matrix product
    (the per-pair `change` costs four NumPy calls a reference, every frame, both eyes)."""
    if not current.any():
        return 0.0
    stacked = np.stack(references).reshape(len(references), -1)
    correlations = stacked @ current.ravel()
    textured = stacked.any(axis=1)
    changes = np.where(textured, 1.0 - correlations, 0.0)
    return round(float(changes.max()), 4)

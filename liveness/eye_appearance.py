"""How much each eye's pixels changed, the image's own motion taken out: the blink's evidence.

The eye aspect ratio comes from the face mesh, a model fitted to the image: on a print that is
tilted, bent, re-compressed or shaken, the fitted eyelids can close while the printed eye never
does. A real eyelid changes the pixels: the iris and the white disappear under skin. So each
frame's eye region is cut out aligned on the eye's own corners (a 32x16 patch, normalised for
brightness and contrast: the screen-light step tints the face) and kept for 0.4 s. A later frame
is compared with it where the *image* carried it: the face's motion since then is followed by the
texture (the optical flow of the planar-check anchors, one affine motion per frame fitted with
outlier rejection, chained), not by the mesh. On a print of a cut-off or low-resolution photo the
mesh slides over the picture (its eye corners land on the brows or on JPEG block artefacts), so
a patch placed by the mesh changes though nothing in the picture did; the texture does not slide.
The change is `1 - normalised cross-correlation`: near 0 for the same picture of an eye, however
it was moved, large when the eye's appearance changed. `liveness.detectors.BlinkDetector` counts
an eye closure as a blink only if the change during it reaches
`LivenessConfig.blink_min_eye_change`.

Only the two numbers per frame leave this module; the patches live for `_REFERENCE_SECONDS` in
memory and are never stored.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from .landmarks import LEFT_EYE, RIGHT_EYE, Mesh

Patch = npt.NDArray[np.float32]
Matrix = npt.NDArray[np.float64]

PATCH_WIDTH, PATCH_HEIGHT = 32, 16
# The corners land at (4, 8) and (28, 8); the patch spans a third of the eye's width above and
# below the corner line (lids, iris and the skin around, not the brow).
_CORNER_LEFT, _CORNER_RIGHT, _CORNER_ROW = 4.0, 28.0, 8.0
# The frames an eye is compared with: 0.1-0.4 s before. A blink closes in about 0.1 s, so its
# deepest frame meets an open eye there; slow drifts (a print bent over seconds) do not.
_REFERENCE_SECONDS = (0.1, 0.4)
# The frame-to-frame motion: fitted to at least this many tracked anchors, a tracked point more
# than this many pixels off the fit left out (a point on a flat background, an eyelid moving).
_MIN_TRACKED = 8
_INLIER_PIXELS = 2.0
_LOST = -1.0


def eye_matrix(mesh: Mesh, eye: tuple[int, int, object]) -> Matrix:
    """The 3x3 affine map from the frame to the eye's canonical patch, set by its two corners."""
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
    return np.vstack((cv2.getAffineTransform(source, target), (0.0, 0.0, 1.0)))


def unit_patches(gray: npt.NDArray[np.uint8], matrices: Sequence[Matrix]) -> Patch:
    """The canonical patches the `matrices` cut out, stacked (n, 16, 32), each zero mean and unit
    norm (all zero when flat: no texture).

    One pass of numpy over the stack instead of one per patch (a frame compares a dozen): the
    numbers are those of normalising each patch alone, bit for bit. The mean of a patch of bytes
    is its integer sum over 512, exact in float32, so subtracting it is exact too; the sums of
    squares are float32 sums along each patch's 512 values, as numpy sums one patch."""
    warped = np.empty((len(matrices), PATCH_HEIGHT, PATCH_WIDTH), np.uint8)
    for index, matrix in enumerate(matrices):
        cv2.warpAffine(
            gray,
            matrix[:2],
            (PATCH_WIDTH, PATCH_HEIGHT),
            dst=warped[index],
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REPLICATE,
        )
    flat = warped.reshape(len(matrices), -1)
    means = (flat.sum(axis=1) / flat.shape[1]).astype(np.float32)
    patches = warped.astype(np.float32)
    patches -= means[:, None, None]
    norms = np.sqrt((patches * patches).reshape(len(matrices), -1).sum(axis=1).astype(np.float64))
    textured = norms > 1e-3
    patches /= np.where(textured, norms, 1.0).astype(np.float32)[:, None, None]
    patches[~textured] = 0.0
    return patches


def changes(current: Patch, reference: Patch) -> npt.NDArray[np.float64]:
    """1 - normalised cross-correlation of each pair of two stacks of unit patches (0: the same
    picture; a flat patch, no texture to compare, counts as no change)."""
    count = len(current)
    correlation = (current * reference).reshape(count, -1).sum(axis=1).astype(np.float64)
    flat = ~current.reshape(count, -1).any(axis=1) | ~reference.reshape(count, -1).any(axis=1)
    result: npt.NDArray[np.float64] = np.where(flat, 0.0, 1.0 - correlation)
    return result


def texture_motion(previous: npt.NDArray[np.float32] | None, tracked: Sequence[tuple[float, float]]) -> Matrix | None:
    """The 3x3 affine motion of the image from the previous frame to this one: the previous
    frame's anchors (`previous`) to where the optical flow found them (`tracked`, (-1, -1) for a
    lost point), fitted with outlier rejection. None without a previous frame or enough points."""
    if previous is None or len(tracked) != len(previous):
        return None
    target = np.asarray(tracked, dtype=np.float32).reshape(-1, 2)
    found = target[:, 0] > _LOST
    if int(found.sum()) < _MIN_TRACKED:
        return None
    fitted, _ = cv2.estimateAffine2D(
        previous[found], target[found], method=cv2.RANSAC, ransacReprojThreshold=_INLIER_PIXELS
    )
    if fitted is None:
        return None
    return np.vstack((fitted, (0.0, 0.0, 1.0)))


@dataclass(slots=True)
class _Reference:
    """One earlier frame's eyes: when, their patches, the frame -> patch maps, and the map from
    the current frame back to that frame (updated with every frame's motion)."""

    t: float
    patches: tuple[Patch, Patch]
    matrices: tuple[Matrix, Matrix]
    back: Matrix


class EyeAppearance:
    """Per frame, how much each eye changed against the same eye 0.1-0.4 s before, found where
    the image's motion carried it (the largest change over those frames; 0 when there is no
    earlier frame yet, or the motion was lost on the way)."""

    def __init__(self) -> None:
        self._history: deque[_Reference] = deque()

    def reset(self) -> None:
        """A new stream, or the face was lost: nothing earlier to compare with."""
        self._history.clear()

    def measure(self, t: float, gray: npt.NDArray[np.uint8], mesh: Mesh, motion: Matrix | None) -> tuple[float, float]:
        """(left, right) eye change of this frame, rounded to 4 decimals; `motion` is the image's
        motion from the previous frame (`texture_motion`), None when it is unknown."""
        self._follow(motion)
        nearest, farthest = _REFERENCE_SECONDS
        while self._history and self._history[0].t < t - farthest:
            self._history.popleft()
        references = [entry for entry in self._history if entry.t <= t - nearest]
        matrices = (eye_matrix(mesh, LEFT_EYE), eye_matrix(mesh, RIGHT_EYE))
        # This frame's two eyes, then each earlier eye where the motion carried it (left, right, ...).
        carried = [entry.matrices[eye] @ entry.back for entry in references for eye in (0, 1)]
        patches = unit_patches(gray, [*matrices, *carried])
        self._history.append(_Reference(t, (patches[0], patches[1]), matrices, np.eye(3)))
        if not references:
            return (0.0, 0.0)
        earlier = np.stack([patch for entry in references for patch in entry.patches])
        found = changes(patches[2:], earlier)
        return (round(float(found[0::2].max()), 4), round(float(found[1::2].max()), 4))

    def _follow(self, motion: Matrix | None) -> None:
        """Carry every earlier frame's map to this frame; without the motion, forget them."""
        if motion is None:
            self._history.clear()
            return
        # An affine map's inverse in closed form (numpy's general inverse goes through LAPACK).
        inverse = np.vstack((cv2.invertAffineTransform(motion[:2]), (0.0, 0.0, 1.0)))
        for entry in self._history:
            entry.back = entry.back @ inverse

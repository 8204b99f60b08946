"""3-D consistency of landmark motion: does a homography explain it (a flat photo) or not.

A flat photo, however it is swung or tilted in front of the camera, moves its landmarks by a
homography (a plane seen through a pinhole). A real head turning shows parallax: the nose tip
moves against the eye corners and the face outline, which no homography reproduces. Both
residuals below are in units of the reference face's size (the RMS distance of its anchors
from their centroid), so they do not depend on the resolution or the distance to the camera.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Points = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class MotionFit:
    """How far the landmarks moved beyond a rigid 2-D motion (`deformation`) and how much of
    that a homography cannot explain (`parallax`)."""

    deformation: float
    parallax: float


def _centroid(points: Points) -> Points:
    centroid: Points = points.sum(axis=0) / len(points)  # ndarray.mean costs 4x as much on 24 points
    return centroid


def _normalise(points: Points) -> tuple[Points, float, Points]:
    """Hartley normalisation: centroid at 0, mean distance sqrt(2); returns points, scale, centroid."""
    centroid = _centroid(points)
    centred = points - centroid
    spread = float(np.sqrt(np.einsum("ij,ij->i", centred, centred)).sum()) / len(points)
    scale = math.sqrt(2.0) / spread if spread > 1e-9 else 1.0
    return centred * scale, scale, centroid


def _denormalise(scale: float, centroid: Points) -> npt.NDArray[np.float64]:
    return np.array([[scale, 0.0, -scale * centroid[0]], [0.0, scale, -scale * centroid[1]], [0.0, 0.0, 1.0]])


def fit_homography(source: Points, target: Points) -> npt.NDArray[np.float64]:
    """Least-squares homography (normalised DLT) mapping `source` onto `target`."""
    src, src_scale, src_centroid = _normalise(source)
    dst, dst_scale, dst_centroid = _normalise(target)
    count = len(src)
    x, y, u, v = src[:, 0], src[:, 1], dst[:, 0], dst[:, 1]
    rows = np.zeros((2 * count, 9))
    even, odd = rows[0::2], rows[1::2]
    even[:, 0], even[:, 1], even[:, 2] = -x, -y, -1.0
    even[:, 6], even[:, 7], even[:, 8] = u * x, u * y, u
    odd[:, 3], odd[:, 4], odd[:, 5] = -x, -y, -1.0
    odd[:, 6], odd[:, 7], odd[:, 8] = v * x, v * y, v
    _, _, vt = np.linalg.svd(rows, full_matrices=False)
    normalised = vt[-1].reshape(3, 3)
    t_dst_inverse = np.array(
        [[1.0 / dst_scale, 0.0, dst_centroid[0]], [0.0, 1.0 / dst_scale, dst_centroid[1]], [0.0, 0.0, 1.0]]
    )
    homography: npt.NDArray[np.float64] = t_dst_inverse @ normalised @ _denormalise(src_scale, src_centroid)
    return homography / homography[2, 2] if abs(homography[2, 2]) > 1e-12 else homography


def _apply(homography: npt.NDArray[np.float64], points: Points) -> Points:
    projected = points @ homography[:, :2].T + homography[:, 2]
    w = projected[:, 2]
    w = np.where(np.abs(w) > 1e-9, w, 1e-9)
    result: Points = projected[:, :2] / w[:, None]
    return result


def _similarity_fit(source: Points, target: Points) -> Points:
    """`source` moved by the least-squares rotation, uniform scale and translation."""
    src_centroid, dst_centroid = _centroid(source), _centroid(target)
    src, dst = source - src_centroid, target - dst_centroid
    a = float((src * dst).sum())
    b = float((src[:, 0] * dst[:, 1] - src[:, 1] * dst[:, 0]).sum())
    norm = float((src**2).sum())
    if norm <= 1e-12:
        return np.repeat(dst_centroid[None, :], len(source), axis=0)
    scale_cos, scale_sin = a / norm, b / norm
    rotation = np.array([[scale_cos, -scale_sin], [scale_sin, scale_cos]])
    fitted: Points = src @ rotation.T + dst_centroid
    return fitted


def _rms(difference: Points) -> float:
    return math.sqrt(float(np.einsum("ij,ij->", difference, difference)) / len(difference))


def motion_fit(reference: Points, current: Points) -> MotionFit:
    """Compare the anchors of the current frame with those of the reference frame."""
    size = _rms(reference - _centroid(reference))
    if size <= 1e-9:
        return MotionFit(0.0, 0.0)
    # The homography is fitted current -> reference, so its error is in the reference's units.
    deformation = _rms(_similarity_fit(current, reference) - reference) / size
    parallax = _rms(_apply(fit_homography(current, reference), current) - reference) / size
    return MotionFit(deformation, parallax)

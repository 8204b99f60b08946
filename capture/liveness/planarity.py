"""3-D consistency of landmark motion: does a homography explain it (a flat photo) or not.

A flat photo, however it is swung or tilted in front of the camera, moves its landmarks by a
homography (a plane seen through a pinhole). A real head turning shows parallax: the nose tip
moves against the eye corners and the face outline, which no homography reproduces. Both
residuals below are in units of the reference face's size (the RMS distance of its anchors
from their centroid), so they do not depend on the resolution or the distance to the camera.
"""

from __future__ import annotations

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


def _normalise(points: Points) -> tuple[Points, Points]:
    """Hartley normalisation: centroid at 0, mean distance sqrt(2); returns points and T."""
    centroid = points.mean(axis=0)
    spread = float(np.sqrt(((points - centroid) ** 2).sum(axis=1)).mean())
    scale = np.sqrt(2.0) / spread if spread > 1e-9 else 1.0
    transform = np.array([[scale, 0.0, -scale * centroid[0]], [0.0, scale, -scale * centroid[1]], [0, 0, 1]])
    return (points - centroid) * scale, transform


def fit_homography(source: Points, target: Points) -> npt.NDArray[np.float64]:
    """Least-squares homography (normalised DLT) mapping `source` onto `target`."""
    src, t_src = _normalise(source)
    dst, t_dst = _normalise(target)
    count = len(src)
    ones, zeros = np.ones(count), np.zeros(count)
    x, y, u, v = src[:, 0], src[:, 1], dst[:, 0], dst[:, 1]
    rows = np.empty((2 * count, 9))
    rows[0::2] = np.column_stack([-x, -y, -ones, zeros, zeros, zeros, u * x, u * y, u])
    rows[1::2] = np.column_stack([zeros, zeros, zeros, -x, -y, -ones, v * x, v * y, v])
    _, _, vt = np.linalg.svd(rows)
    normalised = vt[-1].reshape(3, 3)
    homography: npt.NDArray[np.float64] = np.linalg.inv(t_dst) @ normalised @ t_src
    return homography / homography[2, 2] if abs(homography[2, 2]) > 1e-12 else homography


def _apply(homography: npt.NDArray[np.float64], points: Points) -> Points:
    projected = np.c_[points, np.ones(len(points))] @ homography.T
    w = np.where(np.abs(projected[:, 2]) > 1e-9, projected[:, 2], 1e-9)
    result: Points = projected[:, :2] / w[:, None]
    return result


def _similarity_fit(source: Points, target: Points) -> Points:
    """`source` moved by the least-squares rotation, uniform scale and translation."""
    src_centroid, dst_centroid = source.mean(axis=0), target.mean(axis=0)
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
    return float(np.sqrt((difference**2).sum(axis=1).mean()))


def motion_fit(reference: Points, current: Points) -> MotionFit:
    """Compare the anchors of the current frame with those of the reference frame."""
    size = _rms(reference - reference.mean(axis=0))
    if size <= 1e-9:
        return MotionFit(0.0, 0.0)
    # The homography is fitted current -> reference, so its error is in the reference's units.
    deformation = _rms(_similarity_fit(current, reference) - reference) / size
    parallax = _rms(_apply(fit_homography(current, reference), current) - reference) / size
    return MotionFit(deformation, parallax)

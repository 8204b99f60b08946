"""Measurements on the 478-point face mesh (refined), as a (478, 3) array in pixels.

x grows to the image's right, y downward, z away from the camera (mediapipe's z, scaled like x).
"Left" and "right" are the person's own: the person's left eye is on the image's right.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

Mesh = npt.NDArray[np.float64]

# Eye contours: (outer corner, inner corner, [(upper, lower) eyelid pairs]).
RIGHT_EYE = (33, 133, ((160, 144), (159, 145), (158, 153), (161, 163), (157, 154)))
LEFT_EYE = (263, 362, ((387, 373), (386, 374), (385, 380), (388, 390), (384, 381)))

# Landmarks for the planar-motion check: spread in depth (nose tip, bridge, eye corners,
# brows, mouth corners, jaw and face outline) so a real head shows parallax between them.
ANCHOR_INDICES = (
    1, 4, 6, 168, 10, 152, 33, 133, 263, 362, 61, 291,
    234, 454, 93, 323, 132, 361, 172, 397, 105, 334, 98, 327,
)  # fmt: skip

# Pairs whose 3-D distances, over the distance between the outer eye corners, describe the
# face's proportions independent of its rotation (mouth and jaw left out: they move).
SIGNATURE_PAIRS = ((33, 133), (362, 263), (133, 362), (168, 1), (98, 327), (234, 454), (10, 168))
_EYE_SPAN = (33, 263)

# Pairs running from the person's right to left (image left to right when frontal).
_HORIZONTAL_PAIRS = ((33, 263), (133, 362), (234, 454), (93, 323), (61, 291))
_FOREHEAD, _CHIN = 10, 152


def eye_aspect_ratio(mesh: Mesh, eye: tuple[int, int, tuple[tuple[int, int], ...]]) -> float:
    """Mean eyelid opening over eye width (2-D), several eyelid pairs for a steadier value."""
    outer, inner, pairs = eye
    width = float(np.hypot(*(mesh[outer, :2] - mesh[inner, :2])))
    if width <= 1e-6:
        return 0.0
    upper, lower = _EYELIDS[eye] if eye in _EYELIDS else _eyelid_indices(pairs)
    openings = np.hypot(*(mesh[upper, :2] - mesh[lower, :2]).T)
    return float(openings.mean()) / width


def _eyelid_indices(pairs: tuple[tuple[int, int], ...]) -> tuple[list[int], list[int]]:
    return [upper for upper, _ in pairs], [lower for _, lower in pairs]


_EYELIDS = {eye: _eyelid_indices(eye[2]) for eye in (RIGHT_EYE, LEFT_EYE)}
_PAIR_STARTS = [a for a, _ in _HORIZONTAL_PAIRS]
_PAIR_ENDS = [b for _, b in _HORIZONTAL_PAIRS]


def _unit(x: float, y: float, z: float) -> tuple[float, float, float]:
    norm = math.sqrt(x * x + y * y + z * z)
    return (x / norm, y / norm, z / norm) if norm > 1e-9 else (x, y, z)


def head_pose(mesh: Mesh) -> tuple[float, float, float]:
    """(yaw, pitch, roll) in degrees from the mesh's own 3-D axes.

    The face's x axis is the mean of several right-to-left landmark pairs, its y axis the
    forehead-to-chin direction made orthogonal to x; the outward face normal follows. Angles
    are read with atan2 against a normal that always has a component toward the camera, so
    the estimate cannot flip to +-180 degrees the way a badly initialised solvePnP does.
    yaw > 0: turned to the person's own right; pitch > 0: looking up.
    (Plain floats: on three-element vectors numpy's per-call overhead dominates.)
    """
    sx, sy, sz = (float(v) for v in (mesh[_PAIR_ENDS] - mesh[_PAIR_STARTS]).sum(axis=0))
    xx, xy, xz = _unit(sx, sy, sz)
    dx, dy, dz = (float(v) for v in mesh[_CHIN] - mesh[_FOREHEAD])
    along = dx * xx + dy * xy + dz * xz
    yx, yy, yz = _unit(dx - along * xx, dy - along * xy, dz - along * xz)
    # into_face = x_axis cross y_axis: points away from the camera when frontal
    nx, ny, nz = _unit(xy * yz - xz * yy, xz * yx - xx * yz, xx * yy - xy * yx)
    depth = max(nz, 1e-6)
    yaw = math.degrees(math.atan2(nx, depth))
    pitch = math.degrees(math.atan2(ny, math.hypot(nx, depth)))
    roll = math.degrees(math.atan2(xy, xx))
    return yaw, pitch, roll


_ANCHORS = list(ANCHOR_INDICES)


def anchor_points(mesh: Mesh) -> tuple[tuple[float, float], ...]:
    """2-D pixel positions of the planar-check landmarks, rounded to 0.1 px."""
    return rounded_points(mesh[_ANCHORS, :2], 1)


def rounded_points(points: npt.NDArray[np.float64], digits: int) -> tuple[tuple[float, float], ...]:
    """(n, 2) points as tuples of Python's `round(value, digits)`, in one numpy pass.

    `rint(value * 10**digits) / 10**digits` is the float nearest the rounded decimal, as `round`
    gives, unless the scaled value lies within float error of a half (where `round` decides on
    the exact binary value): any such point is left to `round` itself."""
    scale = 10.0**digits
    scaled = points * scale
    if (np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6).any():
        return tuple((round(x, digits), round(y, digits)) for x, y in points.tolist())
    return tuple((x, y) for x, y in (np.rint(scaled) / scale).tolist())


_SIGNATURE_STARTS = [a for a, _ in SIGNATURE_PAIRS]
_SIGNATURE_ENDS = [b for _, b in SIGNATURE_PAIRS]


def face_signature(mesh: Mesh) -> tuple[float, ...]:
    """Rotation-invariant proportions of the face (3-D distances over the eye span)."""
    span = float(np.linalg.norm(mesh[_EYE_SPAN[0]] - mesh[_EYE_SPAN[1]]))
    if span <= 1e-6:
        return ()
    distances = np.linalg.norm(mesh[_SIGNATURE_STARTS] - mesh[_SIGNATURE_ENDS], axis=1) / span
    return tuple(round(value, 4) for value in distances.tolist())

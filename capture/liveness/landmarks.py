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
    width = float(np.linalg.norm(mesh[outer, :2] - mesh[inner, :2]))
    if width <= 1e-6:
        return 0.0
    openings = [float(np.linalg.norm(mesh[upper, :2] - mesh[lower, :2])) for upper, lower in pairs]
    return sum(openings) / len(openings) / width


def _unit(vector: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 1e-9 else vector


def head_pose(mesh: Mesh) -> tuple[float, float, float]:
    """(yaw, pitch, roll) in degrees from the mesh's own 3-D axes.

    The face's x axis is the mean of several right-to-left landmark pairs, its y axis the
    forehead-to-chin direction made orthogonal to x; the outward face normal follows. Angles
    are read with atan2 against a normal that always has a component toward the camera, so
    the estimate cannot flip to +-180 degrees the way a badly initialised solvePnP does.
    yaw > 0: turned to the person's own right; pitch > 0: looking up.
    """
    x_axis = _unit(sum((mesh[b] - mesh[a] for a, b in _HORIZONTAL_PAIRS), np.zeros(3)))
    down = mesh[_CHIN] - mesh[_FOREHEAD]
    y_axis = _unit(down - float(np.dot(down, x_axis)) * x_axis)
    into_face = _unit(np.cross(x_axis, y_axis))  # points away from the camera when frontal
    depth = max(float(into_face[2]), 1e-6)
    yaw = math.degrees(math.atan2(float(into_face[0]), depth))
    pitch = math.degrees(math.atan2(float(into_face[1]), math.hypot(float(into_face[0]), depth)))
    roll = math.degrees(math.atan2(float(x_axis[1]), float(x_axis[0])))
    return yaw, pitch, roll


def anchor_points(mesh: Mesh) -> tuple[tuple[float, float], ...]:
    """2-D pixel positions of the planar-check landmarks, rounded to 0.1 px."""
    return tuple((round(float(mesh[i, 0]), 1), round(float(mesh[i, 1]), 1)) for i in ANCHOR_INDICES)


def face_signature(mesh: Mesh) -> tuple[float, ...]:
    """Rotation-invariant proportions of the face (3-D distances over the eye span)."""
    span = float(np.linalg.norm(mesh[_EYE_SPAN[0]] - mesh[_EYE_SPAN[1]]))
    if span <= 1e-6:
        return ()
    return tuple(round(float(np.linalg.norm(mesh[a] - mesh[b])) / span, 4) for a, b in SIGNATURE_PAIRS)

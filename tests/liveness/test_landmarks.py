"""The head pose reads real degrees: a real face mesh turned by known angles and projected through
a pinhole camera gives those angles back.

The turn threshold (`turn_yaw_degrees`, 25) is in real degrees, so the estimator must be too. The
face is the mesh mediapipe measured on a frontal frame of the shared footage (its z, the relative
depth mediapipe predicts, has the proportions of mediapipe's own canonical face model: checked when
this test was written, the best depth scale fitting the two is 0.96-1.08 on every clip at its native
aspect). The mesh is first brought exactly frontal in its own frame, then rotated by yaw -50..50 and
pitch -25..25 and projected with the perspective of a tablet's camera (60 degrees across 640 px, the
face at the size it had), x and y in pixels and z relative depth scaled like x, as mediapipe gives.
"""

from __future__ import annotations

import math
from contextlib import closing
from pathlib import Path

import cv2
import numpy as np
import pytest

from liveness.extractor import _mesh_array
from liveness.landmarks import head_pose, rounded_points
from liveness.mediapipe_graph import FaceMeshGraph

WIDTH, HEIGHT = 640, 480
FOCAL = (WIDTH / 2) / math.tan(math.radians(30))  # 60 degrees across the frame
# The largest error allowed: a quarter of the 10-degree frontal band. The estimator reads the mesh
# as if seen from far away, so the perspective of a near camera costs it up to ~2 degrees (measured
# when this test was written: it reads +1.5 to +2 too much at 20-30 degrees, too little only past 45);
# with no perspective (a far camera) it reads every angle to within 0.05 degrees.
MAX_YAW_ERROR = 2.5
MAX_PITCH_ERROR = 1.0
_PAIRS = ((33, 263), (133, 362), (234, 454), (93, 323), (61, 291))
_FOREHEAD, _CHIN = 10, 152


@pytest.fixture(scope="module")
def frontal_face(testdata: Path) -> np.ndarray:
    """A real face, frontal in its own frame (`frontal_mesh`)."""
    return frontal_mesh(testdata)


def frontal_mesh(testdata: Path) -> np.ndarray:
    """The (478, 3) mesh of a frontal frame (liveportrait_d9's 10th, native size on a 640x480
    frame), centred and rotated into its own frame: x along the eyes, y forehead to chin, z into the face."""
    capture = cv2.VideoCapture(str(testdata / "liveness_video" / "liveportrait_d9.mp4"))
    for _ in range(10):
        ok, image = capture.read()
        assert ok
    capture.release()
    canvas = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
    height, width = image.shape[:2]
    left = (WIDTH - width) // 2
    canvas[: min(height, HEIGHT), left : left + width] = image[:HEIGHT]
    with closing(FaceMeshGraph()) as graph:
        faces = graph.landmark_lists(np.ascontiguousarray(cv2.cvtColor(canvas, cv2.COLOR_BGR2RGB)))
    assert len(faces) == 1
    mesh = _mesh_array(faces[0], WIDTH, HEIGHT)
    x_axis = sum(mesh[end] - mesh[start] for start, end in _PAIRS)
    x_axis /= np.linalg.norm(x_axis)
    down = mesh[_CHIN] - mesh[_FOREHEAD]
    y_axis = down - down.dot(x_axis) * x_axis
    y_axis /= np.linalg.norm(y_axis)
    frame = np.stack([x_axis, y_axis, np.cross(x_axis, y_axis)])
    return np.asarray((mesh - mesh.mean(axis=0)) @ frame.T)


def turned(face: np.ndarray, yaw: float, pitch: float, focal: float = FOCAL) -> np.ndarray:
    """The face turned by yaw (> 0: to the person's own right, the face toward the image's left)
    and pitch (> 0: looking up), seen by the pinhole camera: pixels x, y and relative depth z."""
    a, b = math.radians(yaw), math.radians(pitch)
    about_y = np.array([[math.cos(a), 0, math.sin(a)], [0, 1, 0], [-math.sin(a), 0, math.cos(a)]])
    about_x = np.array([[1, 0, 0], [0, math.cos(b), math.sin(b)], [0, -math.sin(b), math.cos(b)]])
    points = face @ (about_y @ about_x).T
    depth = focal + points[:, 2]  # the head's centre at the distance where it has its measured size
    return np.stack(
        [
            WIDTH / 2 + focal * points[:, 0] / depth,
            HEIGHT / 2 + focal * points[:, 1] / depth,
            points[:, 2],
        ],
        axis=1,
    )


def test_the_frontal_face_reads_zero(frontal_face: np.ndarray) -> None:
    yaw, pitch, roll = head_pose(turned(frontal_face, 0.0, 0.0))
    assert (yaw, pitch, roll) == pytest.approx((0.0, 0.0, 0.0), abs=0.1)


@pytest.mark.parametrize("pitch", [-25.0, -10.0, 0.0, 10.0, 25.0])
def test_known_turns_read_back_in_real_degrees(frontal_face: np.ndarray, pitch: float) -> None:
    for yaw in np.arange(-50.0, 50.1, 5.0):
        read_yaw, read_pitch, _ = head_pose(turned(frontal_face, float(yaw), pitch))
        assert read_yaw == pytest.approx(yaw, abs=MAX_YAW_ERROR), (yaw, pitch)
        assert read_pitch == pytest.approx(pitch, abs=MAX_PITCH_ERROR), (yaw, pitch)


def test_seen_from_far_away_every_turn_reads_exactly(frontal_face: np.ndarray) -> None:
    for pitch in (-25.0, 0.0, 25.0):
        for yaw in np.arange(-50.0, 50.1, 5.0):
            read_yaw, read_pitch, _ = head_pose(turned(frontal_face, float(yaw), pitch, focal=1e6))
            assert (read_yaw, read_pitch) == pytest.approx((yaw, pitch), abs=0.05)


def test_a_flattened_depth_would_under_read_turns(frontal_face: np.ndarray) -> None:
    """The check has teeth: were mediapipe's depth a half of the real one, a 40-degree turn would
    read about 23 (the estimator reads the depth it is given; hence the depth-scale check above)."""
    mesh = turned(frontal_face, 40.0, 0.0)
    mesh[:, 2] *= 0.5
    assert head_pose(mesh)[0] < 25.0


def test_rounded_points_are_pythons_round() -> None:
    """The anchors and the flow are rounded in one numpy pass (`rounded_points`): the same floats
    as `round`, also where the scaled value is a half or a float error away from one (0.15 * 10
    is 1.5 in floats, though 0.15 is below 0.15 and `round` gives 0.1)."""
    rng = np.random.default_rng(3)
    pixels = rng.uniform(0.0, 1.0, (2000, 2)).astype(np.float32).astype(np.float64) * (WIDTH, HEIGHT)
    halves = np.array([[0.15, 0.25], [0.35, 2.45], [100.05, 639.95], [-1.0, -1.0], [0.05, 318.65]])
    for points in (*np.split(pixels, 100), halves):
        assert rounded_points(points, 1) == tuple((round(x, 1), round(y, 1)) for x, y in points.tolist())

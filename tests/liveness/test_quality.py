"""Frame quality states on real pixels: one frame of a shared clip, changed the way a tablet
camera gets it wrong (blur, too little or too much light, face far away or cut off, two people).

Each frame is measured alone (the extractor is reset first, so the face detector runs and the
face count is checked), as the first frame of a capture would be.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import cv2
import numpy as np
import pytest

from liveness import LivenessConfig
from liveness.extractor import LandmarkExtractor
from liveness.features import QUALITY_HINTS, Quality

Image = np.ndarray
WIDTH, HEIGHT = 640, 480


@pytest.fixture(scope="module")
def frame(testdata: Path) -> Image:
    """A frontal, sharp, well-lit frame (the 10th of liveportrait_d9) at the capture's 640x480."""
    capture = cv2.VideoCapture(str(testdata / "liveness_video" / "liveportrait_d9.mp4"))
    for _ in range(10):
        ok, image = capture.read()
        assert ok
    capture.release()
    return np.asarray(cv2.resize(image, (WIDTH, HEIGHT), interpolation=cv2.INTER_AREA), dtype=np.uint8)


def far_away(image: Image) -> Image:
    """The same person at a third of the size, in a corner of a dark room."""
    canvas = np.zeros_like(image)
    small = cv2.resize(image, (WIDTH // 3, HEIGHT // 3), interpolation=cv2.INTER_AREA)
    canvas[: small.shape[0], : small.shape[1]] = small
    return canvas


def half_out_of_frame(image: Image) -> Image:
    """The face slid a third of the frame to the left, past the edge."""
    shift = np.array([[1, 0, -WIDTH * 0.3], [0, 1, 0]], dtype=np.float32)
    return np.asarray(cv2.warpAffine(image, shift, (WIDTH, HEIGHT)), dtype=np.uint8)


def two_people(image: Image) -> Image:
    """Two faces side by side."""
    canvas = np.zeros_like(image)
    half = cv2.resize(image, (WIDTH // 2, HEIGHT // 2), interpolation=cv2.INTER_AREA)
    canvas[HEIGHT // 4 : HEIGHT // 4 + HEIGHT // 2, : WIDTH // 2] = half
    canvas[HEIGHT // 4 : HEIGHT // 4 + HEIGHT // 2, WIDTH // 2 :] = half
    return canvas


CASES: list[tuple[str, Callable[[Image], Image], Quality]] = [
    ("as_is", lambda image: image, Quality.OK),
    ("blurred", lambda image: np.asarray(cv2.GaussianBlur(image, (0, 0), 6), dtype=np.uint8), Quality.BLURRED),
    ("dark", lambda image: (image * 0.25).astype(np.uint8), Quality.TOO_DARK),
    ("overexposed", lambda image: cv2.convertScaleAbs(image, alpha=1.0, beta=160), Quality.TOO_BRIGHT),
    ("far_away", far_away, Quality.TOO_SMALL),
    ("cut_off", half_out_of_frame, Quality.CUT_OFF),
    ("two_people", two_people, Quality.MULTIPLE_FACES),
]


@pytest.mark.parametrize(
    ("change", "expected"), [(change, expected) for _, change, expected in CASES], ids=[name for name, _, _ in CASES]
)
def test_quality_state_of_a_real_frame(
    frame: Image, extractor: LandmarkExtractor, change: Callable[[Image], Image], expected: Quality
) -> None:
    extractor.reset()
    features = extractor.extract(np.ascontiguousarray(change(frame)), 0.0)
    assert features.quality is expected, features
    assert features.n_faces == (2 if expected is Quality.MULTIPLE_FACES else 1)
    assert (QUALITY_HINTS[features.quality] is None) == (expected is Quality.OK)


def test_blur_lowers_sharpness_steadily(frame: Image, extractor: LandmarkExtractor) -> None:
    """The sharpness measure falls as blur grows, and the threshold sits between sharp and blurred."""
    values = []
    for sigma in (0.0, 1.5, 3.0, 6.0):
        extractor.reset()
        image = frame if sigma == 0 else np.asarray(cv2.GaussianBlur(frame, (0, 0), sigma), dtype=np.uint8)
        values.append(extractor.extract(image, 0.0).sharpness)
    assert values == sorted(values, reverse=True), values
    assert values[0] > 5 * LivenessConfig().min_sharpness > values[-1] * 5, values


def test_direct_graph_run_gives_the_landmarks_face_mesh_process_gives(frame: Image) -> None:
    """The adapter feeds the face-mesh graph itself and reads serialised landmarks (faster);
    a mediapipe upgrade that changed the solution's internals must fail here, not mislead."""
    import mediapipe as mp

    from liveness.extractor import _mesh_array
    from liveness.mediapipe_graph import FaceMeshGraph

    nudged = np.asarray(
        cv2.warpAffine(frame, np.array([[1, 0, 25], [0, 1, 10]], dtype=np.float32), (WIDTH, HEIGHT)), dtype=np.uint8
    )
    frames = [frame, nudged, np.ascontiguousarray(frame[:, ::-1]), np.zeros_like(frame)]
    with (
        closing(FaceMeshGraph()) as direct,
        mp.solutions.face_mesh.FaceMesh(max_num_faces=1, refine_landmarks=True) as solution,
    ):
        for image in frames:
            rgb = np.ascontiguousarray(cv2.cvtColor(image, cv2.COLOR_BGR2RGB), dtype=np.uint8)
            faces = direct.landmark_lists(rgb)
            landmarks = solution.process(rgb).multi_face_landmarks
            if not image.any():  # the black frame: no face either way
                assert faces == []
                assert landmarks is None
                continue
            assert len(faces) == len(landmarks) == 1
            expected = np.array([(p.x * WIDTH, p.y * HEIGHT, p.z * WIDTH) for p in landmarks[0].landmark])
            assert _mesh_array(faces[0], WIDTH, HEIGHT).shape == (478, 3)
            np.testing.assert_allclose(_mesh_array(faces[0], WIDTH, HEIGHT), expected, atol=1e-6)

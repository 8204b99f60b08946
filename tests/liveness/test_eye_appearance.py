"""The eye change is measured where the image's motion carried the eye, not where the mesh says."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from liveness.eye_appearance import EyeAppearance, changes, texture_motion, unit_patches
from liveness.landmarks import LEFT_EYE, RIGHT_EYE, Mesh

FPS = 15.0


def textured_face(*, eyes_open: bool = True) -> npt.NDArray[np.uint8]:
    """A 240x320 picture: blurred noise (skin, brows, print grain) with two dark irises."""
    noise = np.random.default_rng(7).normal(128.0, 40.0, (240, 320))
    picture = cv2.GaussianBlur(noise, (0, 0), 2.0)
    if eyes_open:
        for centre in ((110, 120), (210, 120)):
            cv2.ellipse(picture, centre, (18, 9), 0, 0, 360, (40.0,), -1)
    return np.clip(picture, 0, 255).astype(np.uint8)


def mesh_with_eyes(dy: float = 0.0) -> Mesh:
    """A mesh whose only set points are the eye corners, `dy` pixels below the picture's eyes."""
    mesh = np.zeros((478, 3))
    for (outer, inner), (x0, x1) in (
        ((RIGHT_EYE[0], RIGHT_EYE[1]), (85, 135)),
        ((LEFT_EYE[0], LEFT_EYE[1]), (235, 185)),
    ):
        mesh[outer, :2], mesh[inner, :2] = (x0, 120 + dy), (x1, 120 + dy)
    return mesh


def largest_change(frames: list[tuple[npt.NDArray[np.uint8], Mesh]]) -> float:
    eyes = EyeAppearance()
    changes = [eyes.measure(i / FPS, gray, mesh, np.eye(3)) for i, (gray, mesh) in enumerate(frames)]
    return max(max(change) for change in changes)


def test_a_mesh_sliding_over_a_still_picture_makes_no_eye_change() -> None:
    """The mesh's corners drift 3 px a frame (onto the brows) over a print that does not move:
    the old measure, a patch placed by the mesh, changed by more than the blink threshold."""
    picture = textured_face()
    assert largest_change([(picture, mesh_with_eyes(-3.0 * i)) for i in range(8)]) < 0.05


def test_an_eye_that_closes_changes() -> None:
    frames = [(textured_face(), mesh_with_eyes()) for _ in range(4)]
    frames += [(textured_face(eyes_open=False), mesh_with_eyes()) for _ in range(2)]
    assert largest_change(frames) > 0.4


def test_texture_motion_recovers_the_images_affine_motion() -> None:
    previous = np.random.default_rng(1).uniform(50, 250, (24, 2)).astype(np.float32)
    moved = previous @ np.array([[1.02, -0.05], [0.05, 1.02]]).T + (4.0, -3.0)
    tracked = [(float(x), float(y)) for x, y in moved]
    tracked[3] = (-1.0, -1.0)  # a point the flow lost
    tracked[5] = (tracked[5][0] + 30.0, tracked[5][1])  # a point on the background, off the motion
    motion = texture_motion(previous, tracked)
    assert motion is not None
    assert motion[:2] == pytest.approx(np.array([[1.02, -0.05, 4.0], [0.05, 1.02, -3.0]]), abs=1e-3)


def test_no_motion_without_enough_tracked_points() -> None:
    previous = np.zeros((24, 2), np.float32)
    assert texture_motion(None, []) is None
    assert texture_motion(previous, [(-1.0, -1.0)] * 24) is None


def one_unit_patch(gray: npt.NDArray[np.uint8], matrix: npt.NDArray[np.float64]) -> npt.NDArray[np.float32]:
    """A patch normalised alone, numpy call by numpy call (what `unit_patches` does for a stack)."""
    warped = cv2.warpAffine(gray, matrix[:2], (32, 16), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    patch = np.asarray(warped, dtype=np.float32)
    patch -= float(patch.mean())
    norm = float(np.sqrt(float((patch * patch).sum())))
    return patch / norm if norm > 1e-3 else np.zeros_like(patch)


def test_patches_normalised_together_are_those_normalised_alone() -> None:
    """The eye change feeds a threshold: stacking a frame's patches must not move it by a bit."""
    rng = np.random.default_rng(5)
    picture = textured_face()
    flat = np.full((16, 32), 77, np.uint8)
    picture[0:16, 0:32] = flat  # a patch with no texture at all
    matrices = [np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])]
    for _ in range(40):
        angle, scale = rng.uniform(-0.3, 0.3), rng.uniform(0.3, 1.5)
        matrix = np.array(
            [
                [scale * np.cos(angle), -scale * np.sin(angle), rng.uniform(-150.0, 0.0)],
                [scale * np.sin(angle), scale * np.cos(angle), rng.uniform(-100.0, 0.0)],
                [0.0, 0.0, 1.0],
            ]
        )
        matrices.append(matrix)
    together = unit_patches(picture, matrices)
    alone = np.stack([one_unit_patch(picture, matrix) for matrix in matrices])
    assert not together[0].any()
    assert np.array_equal(together, alone)
    found = changes(together[1:], together[:-1])
    expected = [
        0.0 if not a.any() or not b.any() else 1.0 - float((a * b).sum())
        for a, b in zip(alone[1:], alone[:-1], strict=True)
    ]
    assert found.tolist() == expected

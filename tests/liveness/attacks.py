"""Presentation attacks made from a still photo, frame by frame, for the attack tests."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

Frame = npt.NDArray[np.uint8]
FRAME_SIZE = (640, 480)


def load_print(path: Path) -> Frame:
    """A photo file as a print held in front of the camera (see `as_print`)."""
    image = cv2.imread(str(path))
    if image is None:
        raise FileNotFoundError(path)
    return as_print(np.asarray(image, dtype=np.uint8))


def as_print(image: Frame) -> Frame:
    """The photo on a 640x480 frame, scaled so the face fills much of it."""
    width, height = FRAME_SIZE
    scale = min(width * 0.9 / image.shape[1], height * 0.9 / image.shape[0])
    resized = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    canvas = np.full((height, width, 3), 90, dtype=np.uint8)
    top = (height - resized.shape[0]) // 2
    left = (width - resized.shape[1]) // 2
    canvas[top : top + resized.shape[0], left : left + resized.shape[1]] = resized
    return canvas


def _warp(photo: Frame, homography: npt.NDArray[np.float64]) -> Frame:
    width, height = FRAME_SIZE
    warped = cv2.warpPerspective(photo, homography, (width, height), borderValue=(90, 90, 90))
    return warped.astype(np.uint8)


def _plane_homography(yaw_deg: float, pitch_deg: float, shift: tuple[float, float]) -> npt.NDArray[np.float64]:
    """Homography of a flat photo rotated about its centre, seen by a pinhole camera."""
    width, height = FRAME_SIZE
    focal, distance = 600.0, 600.0
    yaw, pitch = math.radians(yaw_deg), math.radians(pitch_deg)
    rot_y = np.array([[math.cos(yaw), 0, math.sin(yaw)], [0, 1, 0], [-math.sin(yaw), 0, math.cos(yaw)]])
    rot_x = np.array([[1, 0, 0], [0, math.cos(pitch), -math.sin(pitch)], [0, math.sin(pitch), math.cos(pitch)]])
    corners = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float64)
    projected = []
    for x, y in corners:
        point = rot_x @ rot_y @ np.array([x - width / 2, y - height / 2, 0.0]) + np.array([0, 0, distance])
        projected.append(
            [focal * point[0] / point[2] + width / 2 + shift[0], focal * point[1] / point[2] + height / 2 + shift[1]]
        )
    homography = cv2.getPerspectiveTransform(corners.astype(np.float32), np.array(projected, dtype=np.float32))
    return np.asarray(homography, dtype=np.float64)


def jittered_still(photo: Frame, count: int, seed: int = 0) -> Iterator[Frame]:
    """A still print held by hand: sub-pixel shifts, a tiny rotation and sensor noise."""
    rng = random.Random(seed)
    noise = np.random.default_rng(seed)
    width, height = FRAME_SIZE
    for _ in range(count):
        angle = rng.uniform(-1.0, 1.0)
        matrix = np.asarray(cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0), dtype=np.float64)
        matrix[:, 2] += (rng.uniform(-2.0, 2.0), rng.uniform(-2.0, 2.0))
        moved = cv2.warpAffine(photo, matrix, (width, height), borderValue=(90, 90, 90))
        grain = noise.normal(0.0, 2.0, moved.shape)
        yield np.clip(moved.astype(np.float64) + grain, 0, 255).astype(np.uint8)


def swung_print(photo: Frame, count: int, fps: float, amplitude_deg: float = 40.0, seed: int = 0) -> Iterator[Frame]:
    """A print swung left and right (and tilted a little) to fake head turns."""
    rng = random.Random(seed)
    for index in range(count):
        t = index / fps
        yaw = amplitude_deg * math.sin(2 * math.pi * t / 2.4)
        pitch = 8.0 * math.sin(2 * math.pi * t / 3.1)
        shift = (rng.uniform(-2.0, 2.0), rng.uniform(-2.0, 2.0))
        yield _warp(photo, _plane_homography(yaw, pitch, shift))

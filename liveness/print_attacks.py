"""Presentation attacks made from a still photo, frame by frame: a print held by hand, swung,
tilted, bent, moved toward the camera and re-compressed. `manage.py liveness_attacks` plays them
through a live session and records the outcome for the impact assessment; the attack tests
(`tests/liveness/test_attacks.py`, `test_print_blinks.py`) and `bench/blink_evidence.py` play
them too."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from .config import LivenessConfig
from .events import EventType
from .extractor import LandmarkExtractor
from .plan import ChallengePlan
from .session import LivenessSession

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
    rng = random.Random(seed)  # noqa: S311 - a seeded, repeatable movement, not a secret
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
    rng = random.Random(seed)  # noqa: S311 - a seeded, repeatable movement, not a secret
    for index in range(count):
        t = index / fps
        yaw = amplitude_deg * math.sin(2 * math.pi * t / 2.4)
        pitch = 8.0 * math.sin(2 * math.pi * t / 3.1)
        shift = (rng.uniform(-2.0, 2.0), rng.uniform(-2.0, 2.0))
        yield _warp(photo, _plane_homography(yaw, pitch, shift))


def handled_print(
    photo: Frame,
    count: int,
    fps: float,
    *,
    seed: int = 0,
    bend: float = 0.3,
    pitch_deg: float = 12.0,
    yaw_deg: float = 6.0,
    zoom: float = 0.1,
    jpeg_quality: int | None = None,
) -> Iterator[Frame]:
    """A print handled the way an attacker tries to make its eyes "blink": bent about a horizontal
    axis (the sheet curls, squashing the eyes by up to `bend` of their height), tilted in pitch and
    yaw, moved toward and away from the camera by `zoom`, shaken, and, with `jpeg_quality`, each
    frame re-compressed (a replay through a lossy channel). Periods differ so no two movements
    repeat together."""
    rng = random.Random(seed)  # noqa: S311 - a seeded, repeatable movement, not a secret
    height, width = photo.shape[:2]
    rows, columns = np.mgrid[0:height, 0:width].astype(np.float32)
    centre = height / 2
    phase = rng.uniform(0.0, 2 * math.pi)
    for index in range(count):
        t = index / fps
        curl = bend * math.sin(2 * math.pi * t / 1.7 + phase)
        relative = (rows - centre) / height
        source_rows = centre + (rows - centre) * (1 + curl * 0.5) + curl * 40.0 * relative**2
        sheet = np.asarray(
            cv2.remap(photo, columns, source_rows.astype(np.float32), cv2.INTER_LINEAR, borderValue=(90, 90, 90)),
            dtype=np.uint8,
        )
        pitch = pitch_deg * math.sin(2 * math.pi * t / 2.3 + phase)
        yaw = yaw_deg * math.sin(2 * math.pi * t / 3.7 + phase)
        shift = (rng.uniform(-3.0, 3.0), rng.uniform(-3.0, 3.0))
        frame = _warp(sheet, _plane_homography(yaw, pitch, shift))
        scale = 1.0 + zoom * math.sin(2 * math.pi * t / 5.0 + phase)
        matrix = cv2.getRotationMatrix2D((width / 2, height / 2), rng.uniform(-1.5, 1.5), scale)
        frame = np.asarray(cv2.warpAffine(frame, matrix, (width, height), borderValue=(90, 90, 90)), dtype=np.uint8)
        if jpeg_quality is not None:
            _, encoded = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality])
            frame = np.asarray(cv2.imdecode(encoded, cv2.IMREAD_COLOR), dtype=np.uint8)
        yield np.asarray(frame, dtype=np.uint8)


ATTACKS = ("still", "swung", "bent", "bent_recompressed")


def attack_frames(kind: str, photo: Frame, count: int, fps: float, seed: int = 0) -> Iterator[Frame]:
    """The frames of one named attack (`ATTACKS`) made from a print of `photo`."""
    if kind == "still":
        return jittered_still(photo, count, seed=seed)
    if kind == "swung":
        return swung_print(photo, count, fps, seed=seed)
    if kind == "bent":
        return handled_print(photo, count, fps, seed=seed)
    if kind == "bent_recompressed":
        return handled_print(photo, count, fps, seed=seed, jpeg_quality=35)
    raise ValueError(f"unknown attack {kind!r}: one of {', '.join(ATTACKS)}")


@dataclass(frozen=True, slots=True)
class AttackOutcome:
    """What one attack did in a live session: the blink and turn events it produced and whether
    the session's challenge passed."""

    kind: str
    blinks: int
    turns: int
    passed: bool


# Every action the product asks for, with gaps, observed throughout (`keep_observing`): any blink
# or turn the attack produces counts, whether or not it fell in a step.
ATTACK_PLAN = "turn_left,blink,turn_right"


def play_attack(
    kind: str,
    photo: Frame,
    extractor: LandmarkExtractor,
    config: LivenessConfig,
    *,
    seconds: float,
    fps: float,
    seed: int,
) -> AttackOutcome:
    """Play one attack made from `photo` through a new live session, frame by frame at `fps`."""
    plan = ChallengePlan.parse(ATTACK_PLAN).with_gaps((1.0, 1.0, 1.0))
    now = [0.0]
    extractor.reset()
    session = LivenessSession(plan, config, clock=lambda: now[0], extractor=extractor, keep_observing=True)
    for index, frame in enumerate(attack_frames(kind, photo, int(seconds * fps), fps, seed=seed)):
        now[0] = index / fps
        session.offer(frame, now[0])
    verdict = session.result().verdict
    blinks = sum(event.type is EventType.BLINK for event in verdict.events)
    return AttackOutcome(kind, blinks, len(verdict.events) - blinks, verdict.passed)

"""Attacks built from still photos in the shared test data, played through a live session.

- print: a still photo held by hand (small jitter, sensor noise) -> fails, `no_blink`, no
  blink or turn reported;
- tilt: the photo swung and tilted by a perspective warp to fake head turns -> fails,
  `planar_motion`, no turn reported, no pose flip;
- the Silent-Face stills (a print, a screen replay and two live photos, all still images
  here) are smoke tests: a face is found and the session fails without a blink.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterable
from pathlib import Path

import cv2
import numpy as np
import pytest

from bench.print_attacks import Frame, as_print, jittered_still, load_print, swung_print
from liveness import ChallengePlan, EventType, LivenessConfig, LivenessVerdict, Reason
from liveness.extractor import LandmarkExtractor
from liveness.session import LivenessSession

from .conftest import MediaClock

pytestmark = pytest.mark.model

CAMERA_FPS = 30.0
# img4, img21: swung, their eyes narrow with the perspective and gave "blinks" before the planar check.
PHOTOS = ["img1.jpg", "img3.jpg", "img4.jpg", "img10.jpg", "img20.jpg", "img21.jpg", "img50.jpg"]
PLAN = ChallengePlan.parse("turn_left,blink,turn_right").with_gaps((1.0, 1.0, 1.0))
QUICK = dataclasses.replace(LivenessConfig(), step_timeout_seconds=4.0)  # shorter runs, same checks


def run_attack(
    frames: Iterable[Frame], extractor: LandmarkExtractor, config: LivenessConfig
) -> tuple[LivenessVerdict, list[dict[str, object]]]:
    clock = MediaClock()
    session = LivenessSession(PLAN, config, clock=clock, extractor=extractor, keep_observing=True)
    for index, frame in enumerate(frames):
        clock.now = index / CAMERA_FPS
        session.offer(frame, clock.now)
    return session.result().verdict, session.export_trace()["frames"]


def assert_no_pose_flip(frames: list[dict[str, object]]) -> None:
    yaws = [float(frame["yaw"]) for frame in frames if frame["n"]]  # type: ignore[arg-type]
    assert yaws, "no face found"
    assert max(abs(yaw) for yaw in yaws) < 60.0
    assert max((abs(b - a) for a, b in itertools.pairwise(yaws)), default=0.0) < 30.0


@pytest.mark.parametrize("photo", PHOTOS)
def test_still_print_fails_without_blink(testdata: Path, extractor: LandmarkExtractor, photo: str) -> None:
    still = load_print(testdata / "verification" / "deepface" / photo)
    seconds = QUICK.step_timeout_seconds + 2.0
    verdict, frames = run_attack(jittered_still(still, int(seconds * CAMERA_FPS), seed=1), extractor, QUICK)
    assert not verdict.passed
    assert Reason.NO_BLINK in verdict.reasons
    assert verdict.events == ()
    assert_no_pose_flip(frames)


@pytest.mark.parametrize("photo", PHOTOS)
def test_swung_print_fails_planar_motion(testdata: Path, extractor: LandmarkExtractor, photo: str) -> None:
    still = load_print(testdata / "verification" / "deepface" / photo)
    verdict, frames = run_attack(swung_print(still, int(5 * CAMERA_FPS), CAMERA_FPS), extractor, LivenessConfig())
    assert not verdict.passed
    assert Reason.PLANAR_MOTION in verdict.reasons
    assert [event for event in verdict.events if event.type is not EventType.BLINK] == []
    assert [event for event in verdict.events if event.type is EventType.BLINK] == []
    assert_no_pose_flip(frames)


def upright(image: np.ndarray) -> np.ndarray:
    """The Silent-Face stills are stored on their side; turn the face upright for the mesh."""
    return cv2.rotate(image, cv2.ROTATE_90_CLOCKWISE) if image.shape[1] > image.shape[0] else image


@pytest.mark.parametrize(
    "name", ["silentface_image_F1.jpg", "silentface_image_F2.jpg", "silentface_image_T1.jpg", "silentface_image_T2.jpg"]
)
def test_silent_face_stills_smoke(testdata: Path, extractor: LandmarkExtractor, name: str) -> None:
    image = cv2.imread(str(testdata / "spoof_images" / name))
    assert image is not None
    still = as_print(upright(image))
    verdict, frames = run_attack(jittered_still(still, int(4 * CAMERA_FPS), seed=2), extractor, QUICK)
    assert not verdict.passed
    assert verdict.events == ()
    assert any(frame["n"] for frame in frames)

"""Document portrait quality: real specimens pass; too small, blurred and turned ones are refused."""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np
import pytest
from django.utils import translation

from registration.face_matching.deepface_matcher import DeepFaceMatcher
from registration.face_matching.document import card_reader_chip
from registration.face_matching.quality import (
    PortraitBlurred,
    PortraitLimits,
    PortraitQuality,
    PortraitTooSmall,
    PortraitTurned,
    check_portrait,
    pose,
)
from registration.face_matching.types import FacePoints

Loader = Callable[[str], np.ndarray]
# The ten specimens of ../shared/testdata/id_documents (README there).
SPECIMEN_NAMES = [
    "100_id-rou.jpg",
    "100_pass-chn.jpg",
    "100_pass-cze2.jpg",
    "100_pass-hrv.jpg",
    "100_pass-isl.png",
    "100_pass-ltu.jpg",
    "100_pass-polx.jpg",
    "100_pass-uto.jpg",
    "62_pass-pol.png",
    "79_pass-can.jpg",
]


def rotated(image: np.ndarray, degrees: float) -> np.ndarray:
    height, width = image.shape[:2]
    turn = cv2.getRotationMatrix2D((width / 2, height / 2), degrees, 1.0)
    return cv2.warpAffine(image, turn, (width, height), borderMode=cv2.BORDER_REPLICATE)


@pytest.fixture(scope="module")
def portraits(matcher: DeepFaceMatcher, load_image: Loader) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """(portrait crop, 102x126 chip) of every document specimen."""
    result = {}
    for name in SPECIMEN_NAMES:
        page = load_image(f"id_documents/{name}")
        portrait = matcher.locate_document_portrait(page)
        result[name] = (portrait.image, card_reader_chip(page, portrait.face))
    return result


# --- pure rules -----------------------------------------------------------------------------------


def points(eye_a: tuple[float, float], eye_b: tuple[float, float], nose: tuple[float, float]) -> FacePoints:
    return FacePoints(left_eye=eye_a, right_eye=eye_b, nose=nose)


def test_pose_of_level_frontal_eyes_is_zero() -> None:
    roll, yaw = pose(points((35, 50), (65, 50), (50, 70)))

    assert roll == pytest.approx(0.0)
    assert yaw == pytest.approx(0.0)


def test_pose_reads_the_tilt_of_the_eye_line_whatever_the_eye_order() -> None:
    level = np.array([[65, 50], [35, 50], [50, 70]], dtype=float)
    centre = level.mean(axis=0)
    angle = np.radians(20)
    turn = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    eye_a, eye_b, nose = ((level - centre) @ turn.T + centre).tolist()

    roll, _ = pose(points(tuple(eye_a), tuple(eye_b), tuple(nose)))

    assert abs(roll) == pytest.approx(20.0)


def test_pose_reads_a_nose_off_the_middle_as_a_turned_head() -> None:
    _, yaw = pose(points((35, 50), (65, 50), (62, 70)))

    assert abs(yaw) == pytest.approx(12 / 30)  # eye centres 35 and 65: 30 px apart, middle at 50


def test_size_is_checked_before_sharpness_and_pose() -> None:
    quality = PortraitQuality(face_width=20, sharpness=1.0, roll_degrees=40.0, yaw=0.5)

    with pytest.raises(PortraitTooSmall) as raised:
        check_portrait(quality, PortraitLimits())

    assert raised.value.reason_code == "portrait_too_small"
    assert raised.value.quality == quality


# --- real specimens -------------------------------------------------------------------------------


@pytest.mark.model
def test_every_specimen_portrait_and_its_chip_pass(
    matcher: DeepFaceMatcher, portraits: dict[str, tuple[np.ndarray, np.ndarray]]
) -> None:
    for name, (portrait, chip) in portraits.items():
        for image in (portrait, chip):
            quality = matcher.check_document_portrait(image)
            assert quality.face_width >= PortraitLimits().min_face_width, name


@pytest.mark.model
def test_a_blurred_portrait_is_refused_with_a_message_to_retake(
    matcher: DeepFaceMatcher, portraits: dict[str, tuple[np.ndarray, np.ndarray]]
) -> None:
    for name, (portrait, chip) in portraits.items():
        face_width = matcher.check_document_portrait(portrait).face_width
        for image in (cv2.GaussianBlur(portrait, (0, 0), face_width / 25), cv2.GaussianBlur(chip, (0, 0), 2.0)):
            with pytest.raises(PortraitBlurred) as raised, translation.override("en"):
                matcher.check_document_portrait(image)
            assert raised.value.reason_code == "portrait_blurred", name
            assert "take the photo again" in str(raised.value)
    with pytest.raises(PortraitBlurred) as in_chinese, translation.override("zh-hans"):
        matcher.check_document_portrait(cv2.GaussianBlur(chip, (0, 0), 2.0))
    assert "重新拍摄" in str(in_chinese.value)  # the clerk's language


@pytest.mark.model
def test_a_portrait_too_small_to_compare_is_refused(
    matcher: DeepFaceMatcher, portraits: dict[str, tuple[np.ndarray, np.ndarray]]
) -> None:
    _, chip = portraits[SPECIMEN_NAMES[0]]
    half_a_chip = cv2.resize(chip, (51, 63), interpolation=cv2.INTER_AREA)

    with pytest.raises(PortraitTooSmall) as raised:
        matcher.check_document_portrait(half_a_chip)

    assert raised.value.quality.face_width < PortraitLimits().min_face_width


@pytest.mark.model
def test_a_document_lying_askew_is_refused(
    matcher: DeepFaceMatcher, portraits: dict[str, tuple[np.ndarray, np.ndarray]]
) -> None:
    for name, (portrait, _) in portraits.items():
        with pytest.raises(PortraitTurned) as raised:
            matcher.check_document_portrait(rotated(portrait, 25))
        assert abs(raised.value.quality.roll_degrees) > 20, name


@pytest.mark.model
@pytest.mark.parametrize("photo", ["001/001_3.bmp", "009/009_3.bmp"])
def test_a_head_turned_away_is_refused(matcher: DeepFaceMatcher, load_image: Loader, photo: str) -> None:
    with pytest.raises(PortraitTurned) as raised:
        matcher.check_document_portrait(load_image(f"verification/casia_facev5/{photo}"))

    assert abs(raised.value.quality.yaw) > PortraitLimits().max_yaw


@pytest.mark.model
def test_the_same_person_facing_the_camera_passes(matcher: DeepFaceMatcher, load_image: Loader) -> None:
    quality = matcher.check_document_portrait(load_image("verification/casia_facev5/001/001_0.bmp"))

    assert abs(quality.yaw) < 0.1

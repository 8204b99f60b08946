"""Is a document portrait good enough to match against? Pure measures and the refusal rules.

A portrait that is too small, blurred or turned gives distances nobody can trust, and the clerk can
fix it on the spot by taking the photo again; so it is refused at upload with a reason code and a
message for the clerk, before any customer is asked to face the camera.

The limits were measured on the shared data (docs/face-matching.md, "Document portrait quality"): every
specimen portrait and 102x126 chip cut from it, and every CASIA photo and its chip, passes; the
same portraits blurred (Gaussian, sigma = face width / 25) or rotated by 25 degrees are refused.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
from django.utils.translation import gettext

from registration.face_matching.types import FaceMatchingError, FacePoints, ImageRole

SHARPNESS_SIDE = 112  # the face is compared at one size, so sharpness does not depend on resolution


@dataclass(frozen=True)
class PortraitLimits:
    """Where a portrait stops being usable."""

    min_face_width: int = 36  # px in the image as received; a card-reader chip's face is ~41-59 px
    min_sharpness: float = 8.0  # variance of the Laplacian of the face at 112x112 px
    max_roll_degrees: float = 15.0  # tilt of the eye line: the document lies askew in the photo
    max_yaw: float = 0.25  # nose offset from the middle of the eyes, in eye distances: head turned


@dataclass(frozen=True)
class PortraitQuality:
    """What was measured on one portrait (kept with the refusal, never the image)."""

    face_width: int
    sharpness: float
    roll_degrees: float
    yaw: float


class PortraitUnusable(FaceMatchingError):
    """The document portrait cannot be matched; the clerk should take the photo again."""

    reason_code = "portrait_unusable"

    def __init__(self, message: str, *, quality: PortraitQuality) -> None:
        super().__init__(message, role=ImageRole.REFERENCE)
        self.quality = quality


class PortraitTooSmall(PortraitUnusable):
    reason_code = "portrait_too_small"


class PortraitBlurred(PortraitUnusable):
    reason_code = "portrait_blurred"


class PortraitTurned(PortraitUnusable):
    reason_code = "portrait_turned"


def sharpness(face_grey: npt.NDArray[Any]) -> float:
    """Variance of the Laplacian of the face resized to 112x112 px (higher = sharper)."""
    shrinking = face_grey.shape[1] > SHARPNESS_SIDE
    resized = cv2.resize(
        face_grey, (SHARPNESS_SIDE, SHARPNESS_SIDE), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC
    )
    return float(cv2.Laplacian(resized, cv2.CV_64F).var())


def pose(points: FacePoints) -> tuple[float, float]:
    """(roll in degrees, yaw as the nose's offset in eye distances) from model-neutral points.

    Any model's five points serve: only the two eye centres and the nose are read.
    """
    eye_a, eye_b = np.asarray(points.left_eye, np.float64), np.asarray(points.right_eye, np.float64)
    nose = np.asarray(points.nose, np.float64)
    across = eye_b - eye_a
    eye_distance = float(np.linalg.norm(across))
    if eye_distance == 0.0:
        return 90.0, 1.0
    roll = math.degrees(math.atan2(across[1], across[0]))
    roll = (roll + 90.0) % 180.0 - 90.0  # the eye line has no direction: fold into [-90, 90)
    yaw = float(np.dot(nose - (eye_a + eye_b) / 2, across / eye_distance) / eye_distance)
    return roll, yaw


def check_portrait(quality: PortraitQuality, limits: PortraitLimits) -> None:
    """Raise the first refusal that applies (size, then sharpness, then pose); None when usable."""
    if quality.face_width < limits.min_face_width:
        raise PortraitTooSmall(
            gettext(
                "The portrait on the document is too small in the photo. Take the photo again closer, "
                "with the document filling the frame."
            ),
            quality=quality,
        )
    if quality.sharpness < limits.min_sharpness:
        raise PortraitBlurred(
            gettext(
                "The portrait on the document is blurred. Hold the camera still, let it focus on the "
                "document and take the photo again."
            ),
            quality=quality,
        )
    if abs(quality.roll_degrees) > limits.max_roll_degrees or abs(quality.yaw) > limits.max_yaw:
        raise PortraitTurned(
            gettext(
                "The portrait on the document is turned or the document lies askew. Lay the document "
                "straight in front of the camera and take the photo again."
            ),
            quality=quality,
        )

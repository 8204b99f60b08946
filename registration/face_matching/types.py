"""The types the face matching modules share: images, roles, errors, face boxes and results.

Images cross the matcher interface as either
- ``numpy.ndarray``: decoded, ``uint8``, shape (H, W, 3) in **BGR** order (the OpenCV and DeepFace
  convention); (H, W) greyscale and (H, W, 4) BGRA are accepted and converted, or
- ``bytes``: an encoded JPEG / PNG / WebP file, decoded by the matcher (EXIF orientation applied).

This module imports nothing else of ``face_matching`` except the decision bands, so ``base``,
``selection``, ``document`` and the DeepFace implementation all import from here, one way.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

import numpy.typing as npt

BgrImage = npt.NDArray[Any]  # uint8, (H, W, 3), BGR; OpenCV stubs type results loosely
FaceImage = npt.NDArray[Any] | bytes  # a decoded BGR array or an encoded image file
EmbeddingVector = npt.NDArray[Any]  # float64, (128,) for Dlib, (256,) for OMZ 0095

# How several live frames are combined, chosen by measurement (docs/face-matching.md, "Several
# live frames"): the closest frame to the reference (by the matcher's own score direction).
FRAME_FUSION = "best_of"


class ImageRole(enum.StrEnum):
    """Which side of the 1:1 comparison an image is on."""

    REFERENCE = "reference"  # the ID document portrait (page photo, crop or card-reader chip)
    PROBE = "probe"  # the live frame from the capture session


class FaceMatchingError(Exception):
    """Base of the domain errors; ``reason_code`` is stable and safe to store and show."""

    reason_code = "face_matching_error"

    def __init__(self, message: str, *, role: ImageRole | None = None) -> None:
        super().__init__(message)
        self.role = role


class UnreadableImage(FaceMatchingError):
    reason_code = "unreadable_image"


class NoFaceFound(FaceMatchingError):
    reason_code = "no_face_found"


class SeveralFaces(FaceMatchingError):
    reason_code = "several_faces"


class ModelUnavailable(FaceMatchingError):
    """A model or weights file is missing or broken: a deployment fault, never a customer's."""

    reason_code = "model_unavailable"


@dataclass(frozen=True)
class FaceBox:
    """One detected face, in pixels of the image it was found in."""

    x: int
    y: int
    w: int
    h: int
    confidence: float

    @property
    def area(self) -> int:
        return self.w * self.h


@dataclass(frozen=True)
class FacePoints:
    """Five facial points in pixels of the image, the same meaning whatever model found them.

    ``left_eye`` is the eye on the image's left (the person's right eye). The quality checks read
    only the eyes and the nose; ``native`` is the model's own landmark object its embedding needs
    (dlib's ``full_object_detection``, the 0009 points as an array), never read outside it.
    """

    left_eye: tuple[float, float]
    right_eye: tuple[float, float]
    nose: tuple[float, float]
    native: Any = None


@dataclass(frozen=True)
class ScoreScale:
    """What a matcher's score means and where its calibrated bands are (one per matcher).

    ``higher_is_closer`` False: a distance (Dlib, Euclidean); True: a similarity (OMZ, cosine). The
    thresholds are in that unit and come from ``manage.py face_calibrate`` on the shared sets;
    an admin override applies only to the matcher it was made for.
    """

    metric: str  # "euclidean_distance" or "cosine_similarity"
    higher_is_closer: bool
    accept: float
    reject: float

    def closer(self, a: float, b: float) -> bool:
        """Is score ``a`` closer (more alike) than ``b``?"""
        return a > b if self.higher_is_closer else a < b


@dataclass(frozen=True)
class MatchTimings:
    """Where the time of one match went, in milliseconds."""

    decode_ms: float
    detect_reference_ms: float
    detect_probe_ms: float
    embed_reference_ms: float
    embed_probe_ms: float
    total_ms: float


@dataclass(frozen=True)
class FaceEmbedding:
    """One face's embedding, held in memory for the length of one match: never stored or logged."""

    vector: EmbeddingVector
    face: FaceBox
    detector: str
    detect_ms: float
    embed_ms: float


@dataclass(frozen=True)
class MatchResult:
    """The facts of one 1:1 comparison. ``score`` is in the unit of ``score_metric`` (a distance for
    Dlib, lower is closer; a cosine similarity for OMZ, higher is closer). The matcher decides no
    band: the judgement service places the score with the effective policy's thresholds."""

    score: float
    score_metric: str
    higher_is_closer: bool
    model: str
    reference_detector: str
    probe_detector: str
    reference_face: FaceBox
    probe_face: FaceBox  # the face of the frame that gave ``score``
    timings: MatchTimings
    frame_scores: tuple[float, ...] = ()  # one per live frame compared, in the order given
    frames_without_face: int = 0  # live frames skipped because no face was found in them
    fusion: str = FRAME_FUSION
    reference_precomputed: bool = False  # the reference came as an embedding made before the match


@dataclass(frozen=True)
class DocumentPortrait:
    """The portrait crop (BGR) and where it is on the page (the face box, before the margin)."""

    image: BgrImage
    face: FaceBox
    crop_box: FaceBox

"""The face matcher contract: what the Celery task calls, what it gets back, what it may raise.

Images cross this interface as either
- ``numpy.ndarray``: decoded, ``uint8``, shape (H, W, 3) in **BGR** order (the OpenCV and DeepFace
  convention); (H, W) greyscale and (H, W, 4) BGRA are accepted and converted, or
- ``bytes``: an encoded JPEG / PNG / WebP file, decoded by the matcher (EXIF orientation applied).

Nothing biometric is stored by a matcher: no embedding, crop or image is written anywhere.
"""

from __future__ import annotations

import abc
import enum
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils.module_loading import import_string

if TYPE_CHECKING:
    import numpy.typing as npt

    from registration.face_matching.document import DocumentPortrait

    FaceImage = npt.NDArray[Any] | bytes  # uint8 BGR; OpenCV stubs type arrays loosely
else:
    FaceImage = Any

DEFAULT_MATCHER = "registration.face_matching.deepface_matcher.DeepFaceMatcher"


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
class MatchTimings:
    """Where the time of one match went, in milliseconds."""

    decode_ms: float
    detect_reference_ms: float
    detect_probe_ms: float
    embed_reference_ms: float
    embed_probe_ms: float
    total_ms: float


@dataclass(frozen=True)
class MatchResult:
    """The facts of one 1:1 comparison. Distance is lower for more alike faces; the matcher decides no
    band: the judgement service places the distance with the effective policy's thresholds."""

    distance: float
    distance_metric: str
    model: str
    reference_detector: str
    probe_detector: str
    reference_face: FaceBox
    probe_face: FaceBox
    timings: MatchTimings


class FaceMatcher(abc.ABC):
    """Compares exactly one face of the ID portrait with exactly one face of the live frame."""

    @abc.abstractmethod
    def warm_up(self) -> None:
        """Load every model now (call once per worker process, after the fork)."""

    @abc.abstractmethod
    def locate_document_portrait(self, page: FaceImage) -> DocumentPortrait:
        """The holder's portrait cropped from an ID page photo or a card reader's chip portrait.

        Raises NoFaceFound or SeveralFaces (several candidate portraits) with a reason code.
        """

    @abc.abstractmethod
    def match(self, reference: FaceImage, probe: FaceImage) -> MatchResult:
        """Compare the ID portrait (``reference``) with the live frame (``probe``).

        Raises UnreadableImage, NoFaceFound or SeveralFaces (with ``role`` set to the image at
        fault) for input problems, ModelUnavailable for deployment faults.
        """


_matcher: FaceMatcher | None = None
_matcher_lock = threading.Lock()


def get_matcher() -> FaceMatcher:
    """The process-wide matcher named by the SHIMING_FACE_MATCHER setting, built on first use."""
    global _matcher
    with _matcher_lock:
        if _matcher is None:
            from django.conf import settings

            matcher_class = import_string(getattr(settings, "SHIMING_FACE_MATCHER", DEFAULT_MATCHER))
            _matcher = matcher_class()
        return _matcher


def reset_matcher() -> None:
    """Forget the process-wide matcher (tests, or after changing settings)."""
    global _matcher
    with _matcher_lock:
        _matcher = None

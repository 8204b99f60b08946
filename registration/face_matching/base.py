"""The face matcher contract: what the Celery task calls, what it gets back, what it may raise.

The images, errors and results it speaks in are defined in ``types`` (and re-exported here).
Nothing biometric is stored by a matcher: no embedding, crop or image is written anywhere.
"""

from __future__ import annotations

import abc
import threading

from django.utils.module_loading import import_string

from registration.face_matching.types import (
    BgrImage,
    DocumentPortrait,
    FaceBox,
    FaceImage,
    FaceMatchingError,
    ImageRole,
    MatchResult,
    MatchTimings,
    ModelUnavailable,
    NoFaceFound,
    SeveralFaces,
    UnreadableImage,
)

__all__ = [
    "DEFAULT_MATCHER",
    "BgrImage",
    "DocumentPortrait",
    "FaceBox",
    "FaceImage",
    "FaceMatcher",
    "FaceMatchingError",
    "ImageRole",
    "MatchResult",
    "MatchTimings",
    "ModelUnavailable",
    "NoFaceFound",
    "SeveralFaces",
    "UnreadableImage",
    "get_matcher",
    "reset_matcher",
]

DEFAULT_MATCHER = "registration.face_matching.deepface_matcher.DeepFaceMatcher"


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

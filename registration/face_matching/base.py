"""The face matcher contract: what the Celery task calls, what it gets back, what it may raise.

The images, errors and results it speaks in are defined in ``types`` (and re-exported here).
Nothing biometric is stored by a matcher: no embedding, crop or image is written anywhere.
"""

from __future__ import annotations

import abc
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.utils.module_loading import import_string

from registration.face_matching.types import (
    FRAME_FUSION,
    BgrImage,
    DocumentPortrait,
    FaceBox,
    FaceEmbedding,
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

if TYPE_CHECKING:
    from registration.face_matching.quality import PortraitQuality

__all__ = [
    "DEFAULT_MATCHER",
    "FRAME_FUSION",
    "BgrImage",
    "DocumentPortrait",
    "FaceBox",
    "FaceEmbedding",
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
    def check_document_portrait(self, portrait: FaceImage) -> PortraitQuality:
        """Measure the document portrait; raise a ``quality.PortraitUnusable`` when it is too small,
        blurred or turned (the clerk retakes the photo), NoFaceFound / SeveralFaces as ``match``."""

    @abc.abstractmethod
    def embed(self, image: FaceImage, role: ImageRole) -> FaceEmbedding:
        """The embedding of the one face of ``image`` (same errors as ``match``). Never persist it."""

    @abc.abstractmethod
    def match(self, reference: FaceImage | FaceEmbedding, probe: FaceImage | Sequence[FaceImage]) -> MatchResult:
        """Compare the ID portrait (``reference``) with the live frame, or several live frames.

        ``probe`` is one image or a list / tuple of frames of the same capture. ``reference`` is the
        portrait image, embedded once per call, or the ``FaceEmbedding`` that ``embed(portrait,
        ImageRole.REFERENCE)`` of this matcher returned earlier (made while the customer does the
        challenge; the distance is the same to the last bit). With several frames the distance is
        the smallest of the frames' distances (``FRAME_FUSION``). A frame where no face is found is skipped (counted in
        ``frames_without_face``) as long as one frame has a face; a frame with two faces of
        similar size refuses the whole match.

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

"""The face matcher: the contract the Celery task calls and the pipeline every model shares.

``FaceMatcher`` is a base class in the manner of Django's ``SessionBase``: it holds the pipeline
(decode, one inference at a time per process, the document portrait, the quality checks,
best-of-frames fusion, finite-score checks, timings, ``MatchResult``) and a model fills in three
hooks in its own module: ``detect`` (the one face), ``five_points`` (model-neutral points plus the
model's own landmarks) and ``embed_face`` (the vector), with ``compare`` and its ``SCALE`` (score
direction and calibrated thresholds). The setting SHIMING_FACE_MATCHER names the class.

Public embedding API (also for other checks, e.g. "the same face through the challenge"):
``embed(image, role) -> FaceEmbedding`` and ``similar(a, b) -> float`` (the matcher's score of two
embeddings of this matcher, in ``SCALE``'s unit and direction; ``SCALE.closer`` orders scores).

The images, errors and results it speaks in are defined in ``types`` (and re-exported here).
Nothing biometric is stored by a matcher: no embedding, crop or image is written anywhere.
"""

from __future__ import annotations

import abc
import contextlib
import math
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import cv2
import numpy as np
from django.utils.module_loading import import_string

from registration.face_matching.decoding import to_bgr_image
from registration.face_matching.document import DEFAULT_PORTRAIT_MARGIN, crop_portrait
from registration.face_matching.quality import PortraitLimits, PortraitQuality, check_portrait, pose, sharpness
from registration.face_matching.types import (
    FRAME_FUSION,
    BgrImage,
    DocumentPortrait,
    EmbeddingVector,
    FaceBox,
    FaceEmbedding,
    FaceImage,
    FaceMatchingError,
    FacePoints,
    ImageRole,
    MatchResult,
    MatchTimings,
    ModelUnavailable,
    NoFaceFound,
    ScoreScale,
    SeveralFaces,
    UnreadableImage,
)

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
    "FacePoints",
    "ImageRole",
    "MatchResult",
    "MatchTimings",
    "ModelUnavailable",
    "NoFaceFound",
    "ScoreScale",
    "SeveralFaces",
    "UnreadableImage",
    "get_matcher",
    "reset_matcher",
]

# The production default (config/settings/production.py); base settings choose by the models present.
DEFAULT_MATCHER = "registration.face_matching.omz_matcher.OmzMatcher"


class FaceMatcher(abc.ABC):
    """Compares exactly one face of the ID portrait with exactly one face of the live frame.

    Subclasses set ``KEY`` (stable name stored with admin overrides), ``MODEL``, ``SCALE`` and
    implement the hooks; the pipeline below is the same for every model.
    """

    KEY: ClassVar[str]
    MODEL: ClassVar[str]
    SCALE: ClassVar[ScoreScale]
    max_image_pixels: int = 40_000_000
    portrait_margin: float = DEFAULT_PORTRAIT_MARGIN
    portrait_limits: PortraitLimits = PortraitLimits()

    def __init__(self) -> None:
        self._load_lock = threading.Lock()
        self._loaded_models: Any = None
        # Detectors and inference engines are not all safe to call from two threads at once: a
        # threads-pool worker or the ASGI process's sync threads share this instance, and two
        # concurrent calls hung a worker. One inference at a time per process.
        self._inference_lock = threading.Lock()

    @classmethod
    def missing_model_files(cls) -> list[str]:
        """The model files this matcher needs that are not installed (read from the settings; no model loaded)."""
        return []

    @classmethod
    def model_paths(cls) -> list[Path]:
        """The model files this matcher loads (read from the settings; their checksums are stored
        with a calibration record)."""
        return []

    # Hooks --------------------------------------------------------------------------------------

    @abc.abstractmethod
    def load_models(self) -> Any:
        """Load every model (raise ModelUnavailable naming what is missing); returned object is kept."""

    @abc.abstractmethod
    def detect(self, image: BgrImage, role: ImageRole) -> tuple[FaceBox, str]:
        """(the one face of ``image`` in its pixels, the detector's name); NoFaceFound / SeveralFaces."""

    @abc.abstractmethod
    def five_points(self, image: BgrImage, face: FaceBox) -> FacePoints:
        """The five points of ``face`` (model-neutral, with the model's own landmarks in ``native``)."""

    @abc.abstractmethod
    def embed_face(self, image: BgrImage, face: FaceBox, points: FacePoints) -> EmbeddingVector:
        """The embedding of ``face``, aligned by ``points``. Never stored."""

    @abc.abstractmethod
    def compare(self, reference: EmbeddingVector, probe: EmbeddingVector) -> float:
        """The score of two embeddings, in ``SCALE``'s unit and direction."""

    # Loading ------------------------------------------------------------------------------------

    def models(self) -> Any:
        with self._load_lock:
            if self._loaded_models is None:
                self._loaded_models = self.load_models()
            return self._loaded_models

    def warm_up(self) -> None:
        """Load every model now and run the pipeline once on a synthetic image (call once per
        worker process, after the fork), so the first customer does not wait."""
        self.models()
        blank = np.full((160, 160, 3), 128, np.uint8)
        with self._inference_lock:
            for role in ImageRole:
                with contextlib.suppress(FaceMatchingError):  # a grey square has no face: only the run counts
                    self.detect(blank, role)
            self.embed_face(blank, FaceBox(40, 40, 80, 80, 1.0), self.five_points(blank, FaceBox(40, 40, 80, 80, 1.0)))

    # The document portrait ----------------------------------------------------------------------

    def locate_document_portrait(self, page: FaceImage) -> DocumentPortrait:
        """The holder's portrait cropped from an ID page photo or a card reader's chip portrait.

        Raises NoFaceFound or SeveralFaces (several candidate portraits) with a reason code.
        """
        image = self._decode(page, ImageRole.REFERENCE)
        with self._inference_lock:
            face, _detector = self.detect(image, ImageRole.REFERENCE)
        return crop_portrait(image, face, margin=self.portrait_margin)

    def check_document_portrait(self, portrait: FaceImage) -> PortraitQuality:
        """Measure the document portrait; raise a ``quality.PortraitUnusable`` when it is too small,
        blurred or turned (the clerk retakes the photo), NoFaceFound / SeveralFaces as ``match``."""
        image = self._decode(portrait, ImageRole.REFERENCE)
        with self._inference_lock:
            face, _detector = self.detect(image, ImageRole.REFERENCE)
            points = self.five_points(image, face)
        roll, yaw = pose(points)
        x0, y0 = max(0, face.x), max(0, face.y)
        face_grey = cv2.cvtColor(image[y0 : y0 + face.h, x0 : x0 + face.w], cv2.COLOR_BGR2GRAY)
        quality = PortraitQuality(face.w, round(sharpness(face_grey), 2), round(roll, 2), round(yaw, 3))
        check_portrait(quality, self.portrait_limits)
        return quality

    # Embedding ----------------------------------------------------------------------------------

    def embed(self, image: FaceImage, role: ImageRole) -> FaceEmbedding:
        """The embedding of the one face of ``image`` (same errors as ``match``). Never persist it."""
        decoded = self._decode(image, role)
        with self._inference_lock:
            return self._embed(decoded, role)

    def similar(self, a: FaceEmbedding, b: FaceEmbedding) -> float:
        """The score of two embeddings made by this matcher (``SCALE``'s unit); ModelUnavailable if not finite."""
        return self._finite(self.compare(a.vector, b.vector))

    def _embed(self, image: BgrImage, role: ImageRole) -> FaceEmbedding:
        started = time.perf_counter()
        face, detector = self.detect(image, role)
        detected = time.perf_counter()
        vector = self.embed_face(image, face, self.five_points(image, face))
        return FaceEmbedding(vector, face, detector, _ms(started, detected), _ms(detected, time.perf_counter()))

    def _decode(self, image: FaceImage, role: ImageRole) -> BgrImage:
        self.models()
        return to_bgr_image(image, role=role, max_pixels=self.max_image_pixels)

    # Matching -----------------------------------------------------------------------------------

    def match(self, reference: FaceImage | FaceEmbedding, probe: FaceImage | Sequence[FaceImage]) -> MatchResult:
        """Compare the ID portrait (``reference``) with the live frame, or several live frames.

        ``probe`` is one image or a list / tuple of frames of the same capture. ``reference`` is the
        portrait image, embedded once per call, or the ``FaceEmbedding`` that ``embed(portrait,
        ImageRole.REFERENCE)`` of this matcher returned earlier (made while the customer does the
        challenge; the score is the same to the last bit). With several frames the score is the
        closest of the frames' scores (``FRAME_FUSION``). A frame where no face is found is skipped
        (counted in ``frames_without_face``) as long as one frame has a face; a frame with two
        faces of similar size refuses the whole match.

        Raises UnreadableImage, NoFaceFound or SeveralFaces (with ``role`` set to the image at
        fault) for input problems, ModelUnavailable for deployment faults.
        """
        frames: list[FaceImage] = list(probe) if isinstance(probe, list | tuple) else [probe]  # type: ignore[list-item]
        if not frames:
            raise UnreadableImage("no live frame to compare", role=ImageRole.PROBE)
        self.models()
        with self._inference_lock:
            return self._match(reference, frames)

    def _match(self, reference: FaceImage | FaceEmbedding, frames: list[FaceImage]) -> MatchResult:
        started = time.perf_counter()
        precomputed = isinstance(reference, FaceEmbedding)
        pending = (
            reference
            if isinstance(reference, FaceEmbedding)
            else to_bgr_image(reference, role=ImageRole.REFERENCE, max_pixels=self.max_image_pixels)
        )
        probe_images = [to_bgr_image(f, role=ImageRole.PROBE, max_pixels=self.max_image_pixels) for f in frames]
        decoded = time.perf_counter()
        # Embedded once per call, or earlier, while the customer did the challenge (then nothing to do here).
        ref = pending if isinstance(pending, FaceEmbedding) else self._embed(pending, ImageRole.REFERENCE)
        probes, without_face = self._embed_frames(probe_images)
        scores = tuple(self.similar(ref, frame) for frame in probes)
        best = 0  # FRAME_FUSION: the closest of the frames
        for index, score in enumerate(scores):
            if self.SCALE.closer(score, scores[best]):
                best = index
        return MatchResult(
            score=scores[best],
            score_metric=self.SCALE.metric,
            higher_is_closer=self.SCALE.higher_is_closer,
            model=self.MODEL,
            reference_detector=ref.detector,
            probe_detector=probes[best].detector,
            reference_face=ref.face,
            probe_face=probes[best].face,
            timings=MatchTimings(
                decode_ms=_ms(started, decoded),
                detect_reference_ms=0.0 if precomputed else ref.detect_ms,
                detect_probe_ms=round(sum(p.detect_ms for p in probes), 2),
                embed_reference_ms=0.0 if precomputed else ref.embed_ms,
                embed_probe_ms=round(sum(p.embed_ms for p in probes), 2),
                total_ms=_ms(started, time.perf_counter()),
            ),
            frame_scores=scores,
            frames_without_face=without_face,
            fusion=FRAME_FUSION,
            reference_precomputed=precomputed,
        )

    def _embed_frames(self, images: list[BgrImage]) -> tuple[list[FaceEmbedding], int]:
        """The embeddings of the frames that show a face; NoFaceFound only when none does."""
        embeddings: list[FaceEmbedding] = []
        for image in images:
            try:
                embeddings.append(self._embed(image, ImageRole.PROBE))
            except NoFaceFound:
                continue
        if not embeddings:
            raise NoFaceFound(f"no face found in any of the {len(images)} live frame(s)", role=ImageRole.PROBE)
        return embeddings, len(images) - len(embeddings)

    @staticmethod
    def _finite(score: float) -> float:
        if not math.isfinite(score):
            raise ModelUnavailable("the face model returned an invalid embedding")
        return score


def _ms(start: float, end: float) -> float:
    return round((end - start) * 1000.0, 2)


_matcher: FaceMatcher | None = None
_matcher_lock = threading.Lock()


def matcher_class() -> type[FaceMatcher]:
    """The class the SHIMING_FACE_MATCHER setting names (its KEY, MODEL and SCALE; no model loaded)."""
    from django.conf import settings

    return import_string(getattr(settings, "SHIMING_FACE_MATCHER", DEFAULT_MATCHER))  # type: ignore[no-any-return]


def get_matcher() -> FaceMatcher:
    """The process-wide matcher named by the SHIMING_FACE_MATCHER setting, built on first use."""
    global _matcher
    with _matcher_lock:
        if _matcher is None:
            _matcher = matcher_class()()
        return _matcher


def reset_matcher() -> None:
    """Forget the process-wide matcher (tests, or after changing settings)."""
    global _matcher
    with _matcher_lock:
        _matcher = None

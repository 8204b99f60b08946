"""The DeepFace implementation of the face matcher. The only module of the product that imports deepface.

Pipeline for each image (ID portrait = reference, live frame = probe):

1. decode (bytes) or check (array) the BGR image;
2. detection view: downscale to ``detection_max_side`` = 512 px (bare DeepFace time grows
   linearly with megapixels; a tablet's live frame is 640x480 anyway), or upscale and pad tiny
   card-reader chips to ``detection_min_side``;
3. detect with the image type's detector chain: the next detector runs only when the previous one
   found *no* face, so the chain is deterministic; a detector that cannot load is an error, never
   skipped;
4. keep exactly one face: the largest, refusing images with two faces of similar size
   (``selection.select_single_face``). Never the closest of all face pairs, as bare
   ``DeepFace.verify`` does: that accepted strangers standing next to the customer;
5. align with dlib's 5-point shape predictor and ``dlib.get_face_chip`` (150 px, padding 0.25, the
   alignment the Dlib ResNet was trained with) on the full-resolution image, then embed with
   DeepFace's Dlib client (128-d);
6. Euclidean distance between the two embeddings (with several live frames: the smallest). The
   matcher reports it; the band is decided by the judgement service from the effective policy
   (``services.judgement.faces_match``).

Detector choice, measured on one core (see bench/matching.py and the match_eval command):
- ID portrait: ``dlib`` HOG, greyscale, no upsampling, at <= 512 px: found exactly one face on all
  ten document specimens and all 40 verification photos (~30 ms per image; ~40 ms at 640 px with
  the same accuracy), with the boxes the 5-point shape predictor was trained on. MediaPipe missed
  2 of 10 specimens and, in short-range mode, returned a 300 px false face on a passport page.
  ``mtcnn`` (~0.3-1 s) is the fallback.
- Live frame: ``mediapipe`` short-range model (selection 0, confidence 0.5): one face on every
  sampled frame of the six liveness clips and on all 40 photos, 4-15 ms. The full-range model
  missed img61. ``mtcnn`` is the fallback.
- Not ``opencv`` (0.3-1 s at 800 px and false faces on img54), never ``skip``.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from registration.face_matching.base import FaceMatcher
from registration.face_matching.decoding import to_bgr_image
from registration.face_matching.document import DEFAULT_PORTRAIT_MARGIN, crop_portrait
from registration.face_matching.quality import PortraitLimits, PortraitQuality, check_portrait, pose, sharpness
from registration.face_matching.selection import detection_view, select_single_face
from registration.face_matching.types import (
    FRAME_FUSION,
    BgrImage,
    DocumentPortrait,
    FaceBox,
    FaceEmbedding,
    FaceImage,
    ImageRole,
    MatchResult,
    MatchTimings,
    ModelUnavailable,
    NoFaceFound,
    UnreadableImage,
)
from registration.face_matching.weights import link_dlib_weights

logger = logging.getLogger(__name__)

MODEL_NAME = "Dlib"
DISTANCE_METRIC = "euclidean"
SUPPORTED_DETECTORS = ("dlib", "mediapipe", "mtcnn", "opencv")
CHIP_SIZE = 150
CHIP_PADDING = 0.25
# A face narrower than this (a 102x126 card-reader chip holds a ~55 px face) is upscaled 2x
# (bicubic) before the 5-point landmarks and the alignment: measured on chip-resolution
# references it lowers the same-person distances a little and moves no different-person pair
# closer (README, "Chip portraits"). Margins (padding the chip) changed nothing; skipping the
# alignment made everything worse.
SMALL_FACE_SIDE = 100
SMALL_FACE_UPSCALE = 2


@dataclass(frozen=True)
class MatcherConfig:
    """Every tunable of the DeepFace matcher; ``from_settings`` reads them from Django settings."""

    deepface_home: Path
    reference_detectors: tuple[str, ...] = ("dlib", "mtcnn")
    probe_detectors: tuple[str, ...] = ("mediapipe", "mtcnn")
    detection_max_side: int = 512
    detection_min_side: int = 320
    several_faces_ratio: float = 0.7
    portrait_margin: float = DEFAULT_PORTRAIT_MARGIN
    mediapipe_model_selection: int = 0
    mediapipe_min_confidence: float = 0.5
    max_image_pixels: int = 40_000_000
    portrait_limits: PortraitLimits = field(default_factory=PortraitLimits)

    def __post_init__(self) -> None:
        for detector in (*self.reference_detectors, *self.probe_detectors):
            if detector not in SUPPORTED_DETECTORS:
                raise ValueError(f"unsupported face detector {detector!r}; use one of {SUPPORTED_DETECTORS}")
        if not self.reference_detectors or not self.probe_detectors:
            raise ValueError("each image type needs at least one face detector")

    @classmethod
    def from_settings(cls) -> MatcherConfig:
        from django.conf import settings

        defaults = cls(deepface_home=Path(settings.DEEPFACE_HOME))

        def setting(name: str, default: Any) -> Any:
            return getattr(settings, name, default)

        return cls(
            deepface_home=Path(settings.DEEPFACE_HOME),
            reference_detectors=_names(setting("SHIMING_FACE_REFERENCE_DETECTORS", defaults.reference_detectors)),
            probe_detectors=_names(setting("SHIMING_FACE_PROBE_DETECTORS", defaults.probe_detectors)),
            detection_max_side=int(setting("SHIMING_FACE_DETECTION_MAX_SIDE", defaults.detection_max_side)),
            several_faces_ratio=float(setting("SHIMING_FACE_SEVERAL_FACES_RATIO", defaults.several_faces_ratio)),
            max_image_pixels=int(setting("SHIMING_MAX_IMAGE_PIXELS", defaults.max_image_pixels)),
        )


def _names(value: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Detector names from a setting: a list, or one comma-separated string."""
    items = value.split(",") if isinstance(value, str) else value
    return tuple(item.strip() for item in items if item.strip())


# --- The matcher --------------------------------------------------------------------------------

Detect = Callable[[BgrImage], list[FaceBox]]


@dataclass
class _Models:
    detectors: dict[str, Detect] = field(default_factory=dict)
    shape_predictor: Any = None
    recognizer: Any = None


class DeepFaceMatcher(FaceMatcher):
    """Dlib ResNet embeddings through DeepFace, one face per image, per-image-type detectors."""

    def __init__(self, config: MatcherConfig | None = None) -> None:
        self.config = config if config is not None else MatcherConfig.from_settings()
        self._models: _Models | None = None
        self._load_lock = threading.Lock()
        # The detectors (mediapipe graphs, mtcnn) and dlib's models are not safe to call from two
        # threads at once: a threads-pool worker or the ASGI process's sync threads share this
        # instance, and two concurrent calls hung a worker. One inference at a time per process.
        self._inference_lock = threading.Lock()

    # Loading ------------------------------------------------------------------------------------

    def warm_up(self) -> None:
        """Load the models and run one match on a synthetic image, so the first customer doesn't wait."""
        models = self._loaded()
        blank = np.full((CHIP_SIZE, CHIP_SIZE, 3), 128, np.uint8)
        with self._inference_lock:
            for name in {*self.config.reference_detectors, *self.config.probe_detectors}:
                models.detectors[name](blank)
            self._embed_chip(blank)

    def _loaded(self) -> _Models:
        with self._load_lock:
            if self._models is None:
                self._models = self._load()
            return self._models

    def _load(self) -> _Models:
        started = time.perf_counter()
        link_dlib_weights(self.config.deepface_home)
        # DeepFace reads these when it builds a model; set before the first build.
        os.environ["DEEPFACE_HOME"] = str(self.config.deepface_home)
        os.environ["MEDIAPIPE_MODEL_SELECTION"] = str(self.config.mediapipe_model_selection)
        os.environ["MEDIAPIPE_MIN_DETECTION_CONFIDENCE"] = str(self.config.mediapipe_min_confidence)
        try:
            from deepface.modules import modeling

            recognizer = modeling.build_model(task="facial_recognition", model_name=MODEL_NAME)
            dlib_detector = modeling.build_model(task="face_detector", model_name="dlib")
            names = {*self.config.reference_detectors, *self.config.probe_detectors}
            detectors = {name: self._build_detector(modeling, name, dlib_detector) for name in names}
        except ModelUnavailable:
            raise
        except Exception as error:
            raise ModelUnavailable(f"the face models could not be loaded: {error}") from error
        logger.info("face models loaded in %.1f s", time.perf_counter() - started)
        return _Models(detectors=detectors, shape_predictor=dlib_detector.model["sp"], recognizer=recognizer)

    @staticmethod
    def _build_detector(modeling: Any, name: str, dlib_detector: Any) -> Detect:
        if name == "dlib":
            # DeepFace's client upsamples once (4x the pixels, ~3.7 s/MP); on the downscaled
            # view faces are >= 80 px, which the HOG detector finds without upsampling. On
            # greyscale it is ~25% faster and found the same single face on all 50 test images.
            hog = dlib_detector.model["face_detector"]

            def detect_hog(image: BgrImage) -> list[FaceBox]:
                rects, scores, _ = hog.run(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), 0)
                return [
                    FaceBox(r.left(), r.top(), r.width(), r.height(), float(s))
                    for r, s in zip(rects, scores, strict=True)
                ]

            return detect_hog
        client = modeling.build_model(task="face_detector", model_name=name)
        wants_rgb = name == "mediapipe"  # MediaPipe expects RGB; DeepFace hands it BGR

        def detect(image: BgrImage) -> list[FaceBox]:
            regions = client.detect_faces(cv2.cvtColor(image, cv2.COLOR_BGR2RGB) if wants_rgb else image)
            return [FaceBox(r.x, r.y, r.w, r.h, float(r.confidence or 0.0)) for r in regions if r.w > 0 and r.h > 0]

        return detect

    # Detection ----------------------------------------------------------------------------------

    def detect_single_face(self, image: BgrImage, role: ImageRole) -> tuple[FaceBox, str]:
        """(the one face, in original pixels; the detector that found it). Raises NoFaceFound / SeveralFaces."""
        models = self._loaded()
        view = detection_view(image, max_side=self.config.detection_max_side, min_side=self.config.detection_min_side)
        chain = self.config.reference_detectors if role is ImageRole.REFERENCE else self.config.probe_detectors
        for name in chain:
            faces = models.detectors[name](view.image)
            if faces:  # the next detector runs only when this one found nothing
                face = select_single_face(faces, several_faces_ratio=self.config.several_faces_ratio, role=role)
                return view.to_original(face, image.shape), name
        raise NoFaceFound(f"no face found in the {role} image (detectors tried: {', '.join(chain)})", role=role)

    def locate_document_portrait(self, page: FaceImage) -> DocumentPortrait:
        """The holder's portrait cropped from an ID page photo (or a card-reader chip, as is)."""
        image = to_bgr_image(page, role=ImageRole.REFERENCE, max_pixels=self.config.max_image_pixels)
        self._loaded()
        with self._inference_lock:
            face, _detector = self.detect_single_face(image, ImageRole.REFERENCE)
        return crop_portrait(image, face, margin=self.config.portrait_margin)

    def check_document_portrait(self, portrait: FaceImage) -> PortraitQuality:
        image = to_bgr_image(portrait, role=ImageRole.REFERENCE, max_pixels=self.config.max_image_pixels)
        self._loaded()
        with self._inference_lock:
            face, _detector = self.detect_single_face(image, ImageRole.REFERENCE)
            _region, landmarks = self._face_landmarks(image, face)
        points = np.array([(landmarks.part(i).x, landmarks.part(i).y) for i in range(5)], dtype=np.float64)
        roll, yaw = pose(points)
        x0, y0 = max(0, face.x), max(0, face.y)
        face_grey = cv2.cvtColor(image[y0 : y0 + face.h, x0 : x0 + face.w], cv2.COLOR_BGR2GRAY)
        quality = PortraitQuality(face.w, round(sharpness(face_grey), 2), round(roll, 2), round(yaw, 3))
        check_portrait(quality, self.config.portrait_limits)
        return quality

    # Embedding ----------------------------------------------------------------------------------

    def embed_face(self, image: BgrImage, face: FaceBox) -> np.ndarray:
        """128-d Dlib embedding of one face, aligned on the full-resolution image. Never stored."""
        import dlib

        region, landmarks = self._face_landmarks(image, face)
        chip = dlib.get_face_chip(region, landmarks, size=CHIP_SIZE, padding=CHIP_PADDING)
        return self._embed_chip(chip)

    def _face_landmarks(self, image: BgrImage, face: FaceBox) -> tuple[BgrImage, Any]:
        """(the region around the face, upscaled when small; dlib's 5 landmarks in that region)."""
        import dlib

        models = self._loaded()
        # Work on a region around the face: cheap even on a 12 MP photo.
        margin = max(face.w, face.h)
        x0, y0 = max(0, face.x - margin), max(0, face.y - margin)
        region = np.ascontiguousarray(image[y0 : face.y + face.h + margin, x0 : face.x + face.w + margin])
        side = max(face.w, face.h)  # the shape predictor was trained on square dlib boxes
        cx, cy = face.x - x0 + face.w / 2, face.y - y0 + face.h / 2
        if side < SMALL_FACE_SIDE:
            region = cv2.resize(
                region, None, fx=SMALL_FACE_UPSCALE, fy=SMALL_FACE_UPSCALE, interpolation=cv2.INTER_CUBIC
            )
            side, cx, cy = side * SMALL_FACE_UPSCALE, cx * SMALL_FACE_UPSCALE, cy * SMALL_FACE_UPSCALE
        rect = dlib.rectangle(round(cx - side / 2), round(cy - side / 2), round(cx + side / 2), round(cy + side / 2))
        return region, models.shape_predictor(region, rect)

    def _embed_chip(self, chip_bgr: BgrImage) -> np.ndarray:
        embedding = self._loaded().recognizer.forward(chip_bgr)
        return np.asarray(embedding, dtype=np.float64)

    # Matching -----------------------------------------------------------------------------------

    def embed(self, image: FaceImage, role: ImageRole) -> FaceEmbedding:
        self._loaded()
        decoded = to_bgr_image(image, role=role, max_pixels=self.config.max_image_pixels)
        with self._inference_lock:
            return self._embed(decoded, role)

    def _embed(self, image: BgrImage, role: ImageRole) -> FaceEmbedding:
        started = time.perf_counter()
        face, detector = self.detect_single_face(image, role)
        detected = time.perf_counter()
        vector = self.embed_face(image, face)
        return FaceEmbedding(vector, face, detector, _ms(started, detected), _ms(detected, time.perf_counter()))

    def match(self, reference: FaceImage | FaceEmbedding, probe: FaceImage | Sequence[FaceImage]) -> MatchResult:
        frames: list[FaceImage] = list(probe) if isinstance(probe, list | tuple) else [probe]  # type: ignore[list-item]
        if not frames:
            raise UnreadableImage("no live frame to compare", role=ImageRole.PROBE)
        self._loaded()
        with self._inference_lock:
            return self._match(reference, frames)

    def _match(self, reference: FaceImage | FaceEmbedding, frames: list[FaceImage]) -> MatchResult:
        started = time.perf_counter()
        max_pixels = self.config.max_image_pixels
        precomputed = isinstance(reference, FaceEmbedding)
        pending = (
            reference
            if isinstance(reference, FaceEmbedding)
            else to_bgr_image(reference, role=ImageRole.REFERENCE, max_pixels=max_pixels)
        )
        probe_images = [to_bgr_image(frame, role=ImageRole.PROBE, max_pixels=max_pixels) for frame in frames]
        decoded = time.perf_counter()
        # Embedded once per call, or earlier, while the customer did the challenge (then nothing to do here).
        reference_embedding = (
            pending if isinstance(pending, FaceEmbedding) else self._embed(pending, ImageRole.REFERENCE)
        )
        probes, without_face = self._embed_frames(probe_images)
        distances = tuple(_distance(reference_embedding, frame) for frame in probes)
        best = min(range(len(probes)), key=distances.__getitem__)  # FRAME_FUSION: best of the frames
        distance = distances[best]
        return MatchResult(
            distance=distance,
            distance_metric=DISTANCE_METRIC,
            model=MODEL_NAME,
            reference_detector=reference_embedding.detector,
            probe_detector=probes[best].detector,
            reference_face=reference_embedding.face,
            probe_face=probes[best].face,
            timings=MatchTimings(
                decode_ms=_ms(started, decoded),
                detect_reference_ms=0.0 if precomputed else reference_embedding.detect_ms,
                detect_probe_ms=round(sum(p.detect_ms for p in probes), 2),
                embed_reference_ms=0.0 if precomputed else reference_embedding.embed_ms,
                embed_probe_ms=round(sum(p.embed_ms for p in probes), 2),
                total_ms=_ms(started, time.perf_counter()),
            ),
            frame_distances=distances,
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


def _distance(reference: FaceEmbedding, probe: FaceEmbedding) -> float:
    distance = float(np.linalg.norm(reference.vector - probe.vector))
    if not math.isfinite(distance):
        raise ModelUnavailable("the face model returned an invalid embedding")
    return distance


def _ms(start: float, end: float) -> float:
    return round((end - start) * 1000.0, 2)

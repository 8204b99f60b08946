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
6. Euclidean distance between the two embeddings, lower is closer (``SCALE``; with several live
   frames: the smallest). The matcher reports it; the band is decided by the judgement service
   from the effective policy (``services.judgement.faces_match``).

Decode, the lock, fusion, timings and ``MatchResult`` are the shared pipeline of ``base.FaceMatcher``;
this module fills in its hooks (detect, five points, embed).

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
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from registration.face_matching.base import FaceMatcher
from registration.face_matching.document import DEFAULT_PORTRAIT_MARGIN
from registration.face_matching.quality import PortraitLimits
from registration.face_matching.selection import detection_view, select_single_face
from registration.face_matching.types import (
    BgrImage,
    EmbeddingVector,
    FaceBox,
    FacePoints,
    ImageRole,
    ModelUnavailable,
    NoFaceFound,
    ScoreScale,
)
from registration.face_matching.weights import REQUIRED_WEIGHTS, face_recognition_models_dir, link_dlib_weights

logger = logging.getLogger(__name__)

MODEL_NAME = "Dlib"
# Calibrated by `manage.py face_calibrate` on the shared sets (docs/face-matching.md, "Dlib"): the
# accept threshold is strictly below the closest of the 9,026 ordered different-person pairs of
# the CASIA set (the hardest), so none of them is approved (the set supports FMR 3.3e-4, not
# 1e-4); the reject threshold is at the farthest same-person pair of the CASIA set (none of 382
# rejected outright). Re-run it when the sets or the model change:
#   manage.py face_calibrate $SHIMING_TESTDATA/verification/casia_facev5 \
#       $SHIMING_TESTDATA/verification/pairs.csv --root $SHIMING_TESTDATA --chip
DLIB_SCALE = ScoreScale(metric="euclidean_distance", higher_is_closer=False, accept=0.3417, reject=0.7644)
SUPPORTED_DETECTORS = ("dlib", "mediapipe", "mtcnn", "opencv")
CHIP_SIZE = 150
CHIP_PADDING = 0.25
# A face narrower than this (a 102x126 card-reader chip holds a ~55 px face) is upscaled 2x
# (bicubic) before the 5-point landmarks and the alignment: measured on chip-resolution
# references it lowers the same-person distances a little and moves no different-person pair
# closer (docs/face-matching.md, "Chip portraits"). Margins (padding the chip) changed nothing; skipping the
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

    KEY = "dlib"
    MODEL = MODEL_NAME
    SCALE = DLIB_SCALE

    def __init__(self, config: MatcherConfig | None = None) -> None:
        super().__init__()
        self.config = config if config is not None else MatcherConfig.from_settings()
        self.max_image_pixels = self.config.max_image_pixels
        self.portrait_margin = self.config.portrait_margin
        self.portrait_limits = self.config.portrait_limits

    @classmethod
    def missing_model_files(cls) -> list[str]:
        try:
            folder = face_recognition_models_dir()
        except ModelUnavailable:
            return ["the face-recognition-models package"]
        return [str(folder / name) for name in REQUIRED_WEIGHTS if not (folder / name).is_file()]

    @classmethod
    def model_paths(cls) -> list[Path]:
        try:
            folder = face_recognition_models_dir()
        except ModelUnavailable:
            return []
        return [folder / name for name in REQUIRED_WEIGHTS]

    # Loading ------------------------------------------------------------------------------------

    def load_models(self) -> _Models:
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

    # Hooks --------------------------------------------------------------------------------------

    def detect(self, image: BgrImage, role: ImageRole) -> tuple[FaceBox, str]:
        """(the one face, in original pixels; the detector that found it). Raises NoFaceFound / SeveralFaces."""
        models: _Models = self.models()
        view = detection_view(image, max_side=self.config.detection_max_side, min_side=self.config.detection_min_side)
        chain = self.config.reference_detectors if role is ImageRole.REFERENCE else self.config.probe_detectors
        for name in chain:
            faces = models.detectors[name](view.image)
            if faces:  # the next detector runs only when this one found nothing
                face = select_single_face(faces, several_faces_ratio=self.config.several_faces_ratio, role=role)
                return view.to_original(face, image.shape), name
        raise NoFaceFound(f"no face found in the {role} image (detectors tried: {', '.join(chain)})", role=role)

    detect_single_face = detect  # the name the evaluation scripts know

    def five_points(self, image: BgrImage, face: FaceBox) -> FacePoints:
        """dlib's 5-point shape (two corners of each eye, the base of the nose) on a region around the face."""
        region, landmarks, origin, scale = self._face_landmarks(image, face)
        corners = [(landmarks.part(i).x / scale + origin[0], landmarks.part(i).y / scale + origin[1]) for i in range(5)]
        return FacePoints(
            left_eye=_middle(corners[0], corners[1]),
            right_eye=_middle(corners[2], corners[3]),
            nose=corners[4],
            native=(region, landmarks),
        )

    def embed_face(self, image: BgrImage, face: FaceBox, points: FacePoints) -> EmbeddingVector:
        """128-d Dlib embedding of one face, aligned on the full-resolution image. Never stored."""
        import dlib

        region, landmarks = points.native
        chip = dlib.get_face_chip(region, landmarks, size=CHIP_SIZE, padding=CHIP_PADDING)
        return self._embed_chip(chip)

    def compare(self, reference: EmbeddingVector, probe: EmbeddingVector) -> float:
        return float(np.linalg.norm(reference - probe))

    def _face_landmarks(self, image: BgrImage, face: FaceBox) -> tuple[BgrImage, Any, tuple[int, int], float]:
        """(the region around the face, upscaled when small; dlib's 5 landmarks in that region;
        the region's origin in the image; its scale)."""
        import dlib

        models: _Models = self.models()
        # Work on a region around the face: cheap even on a 12 MP photo.
        margin = max(face.w, face.h)
        x0, y0 = max(0, face.x - margin), max(0, face.y - margin)
        region = np.ascontiguousarray(image[y0 : face.y + face.h + margin, x0 : face.x + face.w + margin])
        side: float = max(face.w, face.h)  # the shape predictor was trained on square dlib boxes
        cx, cy = face.x - x0 + face.w / 2, face.y - y0 + face.h / 2
        scale = 1.0
        if side < SMALL_FACE_SIDE:
            region = cv2.resize(
                region, None, fx=SMALL_FACE_UPSCALE, fy=SMALL_FACE_UPSCALE, interpolation=cv2.INTER_CUBIC
            )
            scale = float(SMALL_FACE_UPSCALE)
            side, cx, cy = side * scale, cx * scale, cy * scale
        rect = dlib.rectangle(round(cx - side / 2), round(cy - side / 2), round(cx + side / 2), round(cy + side / 2))
        return region, models.shape_predictor(region, rect), (x0, y0), scale

    def _embed_chip(self, chip_bgr: BgrImage) -> EmbeddingVector:
        embedding = self.models().recognizer.forward(chip_bgr)
        return np.asarray(embedding, dtype=np.float64)


def _middle(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
    return ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)

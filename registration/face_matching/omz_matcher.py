"""Intel Open Model Zoo's face-reidentification-retail-0095 as the face matcher. The only module of the
product that imports openvino.

Pipeline for each image (ID portrait = reference, live frame = probe), the hooks of ``base.FaceMatcher``:

1. detect (``detect``): the role's detector on the detection view of ``selection`` (downscaled to
   512 px, tiny images such as a card-reader chip upscaled and padded), one face kept by
   ``selection.select_single_face`` (the largest; two of similar size refused);
2. five points (``five_points``): ``landmarks-regression-retail-0009`` on the face box grown by
   15 % (as Intel's face recognition demo does): eyes, nose tip, mouth corners;
3. align and embed (``embed_face``): a similarity transform (rotation, scale, shift; least squares,
   Umeyama) of the five points onto the 0095 template of Intel's model card, the face warped to
   128x128 BGR, the 256-d output L2-normalised;
4. ``compare``: cosine similarity, higher is closer (``SCALE``).

Detectors (``detect``), chosen by measurement on the shared sets (docs/face-matching.md, "Which
detector"): OpenCV Zoo's YuNet (``cv2.FaceDetectorYN``) for both roles; Intel's
face-detection-retail-0004 can be chosen by SHIMING_OMZ_REFERENCE_DETECTOR / SHIMING_OMZ_PROBE_DETECTOR.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from registration.face_matching.base import FaceMatcher
from registration.face_matching.model_files import DETECTION, LANDMARKS, REIDENTIFICATION, missing_files
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

logger = logging.getLogger(__name__)

MODEL_NAME = "OMZ face-reidentification-retail-0095"
EMBEDDING_SIDE = 128
LANDMARKS_SIDE = 48
DETECTION_SIDE = 300
LANDMARKS_BOX_SCALE = 1.15
# Intel's model card: where the five points of an aligned face lie, in [0, 1] of the 128 px input.
TEMPLATE = np.array(
    [
        (0.31556875000000000, 0.4615741071428571),
        (0.68262291666666670, 0.4615741071428571),
        (0.50026249999999990, 0.6405053571428571),
        (0.34947187500000004, 0.8246919642857142),
        (0.65343645833333330, 0.8246919642857142),
    ]
)
# Calibrated by `manage.py face_calibrate` on every shared set, one frame, three frames and chip
# references (docs/face-matching.md, "OMZ thresholds"). Accept: strictly above the closest of the
# 9,310 different-person pairs of CASIA (the hardest set; 0.5585): none of them is approved, FMR
# below 3.2e-4 at 95 % (1e-4 cannot be shown on that many pairs). Reject: at the farthest
# same-person pair of CASIA with one frame (0.1397; none of 392 rejected outright, below 0.77 %).
#   manage.py face_calibrate $T/casia_facev5 $T/pairs.csv $T/nuaa --root $SHIMING_TESTDATA --chip [--frames 3]
OMZ_SCALE = ScoreScale(metric="cosine_similarity", higher_is_closer=True, accept=0.5586, reject=0.1397)

YUNET = "yunet"
RETAIL_0004 = "retail-0004"
DETECTOR_FILES = {
    YUNET: "yunet/face_detection_yunet_2026may.onnx",
    RETAIL_0004: f"omz/{DETECTION}/FP16/{DETECTION}.xml",
}
EMBEDDING_FILES = (
    f"omz/{REIDENTIFICATION}/FP16/{REIDENTIFICATION}.xml",
    f"omz/{REIDENTIFICATION}/FP16/{REIDENTIFICATION}.bin",
    f"omz/{LANDMARKS}/FP16/{LANDMARKS}.xml",
    f"omz/{LANDMARKS}/FP16/{LANDMARKS}.bin",
)


@dataclass(frozen=True)
class OmzConfig:
    """Every tunable of the OMZ matcher; ``from_settings`` reads them from Django settings."""

    models_dir: Path
    reference_detector: str = YUNET
    probe_detector: str = YUNET
    detection_max_side: int = 512
    # Small images are enlarged and padded to the first size for detection; when no face is found
    # there, to the next (a blurred document crop enlarged 3x loses YuNet's confidence; measured in
    # docs/face-matching.md, "Which detector").
    detection_min_sides: tuple[int, ...] = (320, 160)
    min_confidence: float = 0.6
    several_faces_ratio: float = 0.7
    max_image_pixels: int = 40_000_000

    def __post_init__(self) -> None:
        for name in (self.reference_detector, self.probe_detector):
            if name not in DETECTOR_FILES:
                raise ValueError(f"unsupported face detector {name!r}; use one of {tuple(DETECTOR_FILES)}")

    @classmethod
    def from_settings(cls) -> OmzConfig:
        from django.conf import settings

        return cls(
            models_dir=Path(settings.SHIMING_MODELS_DIR),
            reference_detector=getattr(settings, "SHIMING_OMZ_REFERENCE_DETECTOR", YUNET),
            probe_detector=getattr(settings, "SHIMING_OMZ_PROBE_DETECTOR", YUNET),
            several_faces_ratio=float(getattr(settings, "SHIMING_FACE_SEVERAL_FACES_RATIO", 0.7)),
            max_image_pixels=int(getattr(settings, "SHIMING_MAX_IMAGE_PIXELS", 40_000_000)),
        )

    def required_files(self) -> list[str]:
        files = list(EMBEDDING_FILES)
        for name in {self.reference_detector, self.probe_detector}:
            files.append(DETECTOR_FILES[name])
            if name == RETAIL_0004:
                files.append(DETECTOR_FILES[name].removesuffix(".xml") + ".bin")
        return files


@dataclass
class _Models:
    embedder: Any
    landmarks: Any
    detectors: dict[str, Any]


class OmzMatcher(FaceMatcher):
    """0095 embeddings by OpenVINO on CPU, 0009 points, a detector per image type, cosine similarity."""

    KEY = "omz-0095"
    MODEL = MODEL_NAME
    SCALE = OMZ_SCALE

    def __init__(self, config: OmzConfig | None = None) -> None:
        super().__init__()
        self.config = config if config is not None else OmzConfig.from_settings()
        self.max_image_pixels = self.config.max_image_pixels

    @classmethod
    def missing_model_files(cls) -> list[str]:
        config = OmzConfig.from_settings()
        return [str(config.models_dir / f) for f in missing_files(config.models_dir, config.required_files())]

    @classmethod
    def model_paths(cls) -> list[Path]:
        config = OmzConfig.from_settings()
        return [config.models_dir / f for f in config.required_files()]

    # Loading ------------------------------------------------------------------------------------

    def load_models(self) -> _Models:
        missing = missing_files(self.config.models_dir, self.config.required_files())
        if missing:
            raise ModelUnavailable(
                f"the OMZ face model files {', '.join(missing)} are missing from {self.config.models_dir}: "
                f"run `make models` (or `make models MODELS_FROM=DIR`); nothing is downloaded at run time"
            )
        started = time.perf_counter()
        try:
            import openvino

            core = openvino.Core()
            compile_ = self._compiler(core)
            embedder = compile_(EMBEDDING_FILES[0])
            landmarks = compile_(EMBEDDING_FILES[2])
            detectors = {
                name: self._detector(name, compile_)
                for name in {self.config.reference_detector, self.config.probe_detector}
            }
        except Exception as error:
            raise ModelUnavailable(f"the OMZ face models could not be loaded: {error}") from error
        logger.info("OMZ face models loaded in %.1f s", time.perf_counter() - started)
        return _Models(embedder=embedder, landmarks=landmarks, detectors=detectors)

    def _compiler(self, core: Any) -> Any:
        def compile_(relative: str) -> Any:
            # One inference thread: the worker pool already runs one process per core.
            return core.compile_model(
                str(self.config.models_dir / relative), "CPU", {"INFERENCE_NUM_THREADS": 1, "NUM_STREAMS": 1}
            )

        return compile_

    def _detector(self, name: str, compile_: Any) -> Any:
        if name == YUNET:
            path = str(self.config.models_dir / DETECTOR_FILES[YUNET])
            return cv2.FaceDetectorYN.create(path, "", (320, 320), self.config.min_confidence, 0.3, 50)
        return compile_(DETECTOR_FILES[RETAIL_0004])

    # Hooks --------------------------------------------------------------------------------------

    def detect(self, image: BgrImage, role: ImageRole) -> tuple[FaceBox, str]:
        models: _Models = self.models()
        name = self.config.reference_detector if role is ImageRole.REFERENCE else self.config.probe_detector
        for min_side in self.config.detection_min_sides:
            view = detection_view(image, max_side=self.config.detection_max_side, min_side=min_side)
            faces = self._yunet(models, view.image) if name == YUNET else self._retail(models, view.image)
            if faces:  # the next view is tried only when this one showed no face
                face = select_single_face(faces, several_faces_ratio=self.config.several_faces_ratio, role=role)
                return view.to_original(face, image.shape), name
        raise NoFaceFound(f"no face found in the {role} image (detector: {name})", role=role)

    def _yunet(self, models: _Models, image: BgrImage) -> list[FaceBox]:
        detector = models.detectors[YUNET]
        detector.setInputSize((image.shape[1], image.shape[0]))
        _, found = detector.detect(image)
        if found is None:
            return []
        return [_box(row[0], row[1], row[2], row[3], row[14]) for row in found]

    def _retail(self, models: _Models, image: BgrImage) -> list[FaceBox]:
        height, width = image.shape[:2]
        blob = _blob(cv2.resize(image, (DETECTION_SIDE, DETECTION_SIDE), interpolation=cv2.INTER_AREA))
        rows = next(iter(models.detectors[RETAIL_0004]([blob]).values())).reshape(-1, 7)
        return [
            _box(r[3] * width, r[4] * height, (r[5] - r[3]) * width, (r[6] - r[4]) * height, r[2])
            for r in rows
            if r[2] >= self.config.min_confidence
        ]

    def five_points(self, image: BgrImage, face: FaceBox) -> FacePoints:
        """0009's five points (eyes, nose tip, mouth corners) in image pixels."""
        models: _Models = self.models()
        crop, x0, y0, side_x, side_y = _grown_crop(image, face, LANDMARKS_BOX_SCALE)
        blob = _blob(cv2.resize(crop, (LANDMARKS_SIDE, LANDMARKS_SIDE), interpolation=cv2.INTER_LINEAR))
        normalised = next(iter(models.landmarks([blob]).values())).reshape(5, 2)
        points = normalised * np.array([side_x, side_y]) + np.array([x0, y0])
        return FacePoints(
            left_eye=(float(points[0, 0]), float(points[0, 1])),
            right_eye=(float(points[1, 0]), float(points[1, 1])),
            nose=(float(points[2, 0]), float(points[2, 1])),
            native=points,
        )

    def embed_face(self, image: BgrImage, face: FaceBox, points: FacePoints) -> EmbeddingVector:
        """The 256-d 0095 embedding of the face aligned to Intel's template, L2-normalised."""
        transform = similarity_transform(np.asarray(points.native, np.float64), TEMPLATE * EMBEDDING_SIDE)
        aligned = cv2.warpAffine(
            image, transform, (EMBEDDING_SIDE, EMBEDDING_SIDE), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        )
        vector = next(iter(self.models().embedder([_blob(aligned)]).values())).reshape(-1).astype(np.float64)
        norm = float(np.linalg.norm(vector))
        return vector / norm if norm > 0 else vector

    def compare(self, reference: EmbeddingVector, probe: EmbeddingVector) -> float:
        return float(np.dot(reference, probe))


def similarity_transform(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The 2x3 rotation + uniform scale + shift taking ``source`` points closest to ``target`` (Umeyama)."""
    mean_s, mean_t = source.mean(axis=0), target.mean(axis=0)
    centred_s, centred_t = source - mean_s, target - mean_t
    covariance = centred_t.T @ centred_s / len(source)
    u, singular, vt = np.linalg.svd(covariance)
    sign = np.eye(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        sign[1, 1] = -1.0
    rotation = u @ sign @ vt
    variance = float((centred_s**2).sum() / len(source))
    scale = float(np.trace(np.diag(singular) @ sign)) / variance if variance > 0 else 1.0
    shift = mean_t - scale * rotation @ mean_s
    return np.hstack([scale * rotation, shift.reshape(2, 1)])


def _grown_crop(image: BgrImage, face: FaceBox, factor: float) -> tuple[BgrImage, float, float, float, float]:
    """The face box grown by ``factor`` around its centre (edges replicated): (crop, x0, y0, width, height)."""
    width, height = face.w * factor, face.h * factor
    x0, y0 = face.x + face.w / 2 - width / 2, face.y + face.h / 2 - height / 2
    pad = round(max(width, height))
    framed = cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    left, top = round(x0) + pad, round(y0) + pad
    crop = framed[top : top + max(1, round(height)), left : left + max(1, round(width))]
    return crop, float(round(x0)), float(round(y0)), float(crop.shape[1]), float(crop.shape[0])


def _blob(image: BgrImage) -> np.ndarray:
    """BGR uint8 (H, W, 3) -> float32 (1, 3, H, W), 0-255, as Intel's IR expects."""
    return np.ascontiguousarray(image.transpose(2, 0, 1)[np.newaxis], dtype=np.float32)


def _box(x: float, y: float, w: float, h: float, confidence: float) -> FaceBox:
    return FaceBox(
        round(float(x)), round(float(y)), max(1, round(float(w))), max(1, round(float(h))), float(confidence)
    )

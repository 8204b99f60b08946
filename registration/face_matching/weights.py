"""The Dlib weights, offline: linked from the face-recognition-models package to where DeepFace looks.

Nothing is ever downloaded: a missing file is a start-up error that names it.
"""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path

from registration.face_matching.types import ModelUnavailable

logger = logging.getLogger(__name__)

RECOGNITION_WEIGHTS = "dlib_face_recognition_resnet_model_v1.dat"
LANDMARK_WEIGHTS = "shape_predictor_5_face_landmarks.dat"
REQUIRED_WEIGHTS = (RECOGNITION_WEIGHTS, LANDMARK_WEIGHTS)


class WeightsMissing(ModelUnavailable):
    reason_code = "model_weights_missing"


def face_recognition_models_dir() -> Path:
    """Folder of the weights shipped by the face-recognition-models package.

    Found without importing the package: its ``__init__`` needs ``pkg_resources``, which recent
    setuptools no longer provides.
    """
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise WeightsMissing("the face-recognition-models package is not installed; it ships the Dlib weights")
    return Path(next(iter(spec.submodule_search_locations))) / "models"


def link_dlib_weights(deepface_home: Path) -> Path:
    """Link the Dlib weights into ``$DEEPFACE_HOME/.deepface/weights``, where DeepFace looks first.

    Returns the weights folder. Raises WeightsMissing, naming the file, when a weight is neither
    there already nor in face-recognition-models: DeepFace would otherwise try to download it.
    """
    weights_dir = deepface_home / ".deepface" / "weights"
    weights_dir.mkdir(parents=True, exist_ok=True)
    for name in REQUIRED_WEIGHTS:
        target = weights_dir / name
        if target.is_file() and target.stat().st_size > 0:
            continue
        source = face_recognition_models_dir() / name
        if not source.is_file():
            raise WeightsMissing(
                f"face model weights {name!r} not found at {source} nor at {target}; install "
                f"face-recognition-models or place the file there (nothing is downloaded)"
            )
        if target.is_symlink():  # a dangling link left by an older install
            target.unlink()
        target.symlink_to(source)
        logger.info("linked %s -> %s", target, source)
    return weights_dir

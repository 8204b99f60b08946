"""Fixtures for the face matcher tests: the real models, loaded once per test session.

``matcher`` is the Dlib matcher (its own tests); ``omz_matcher`` the production OMZ matcher on the
files in SHIMING_MODELS_DIR (installed by `make models`, from ../shared/models in CI)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest
from django.conf import settings

from registration.face_matching.deepface_matcher import DeepFaceMatcher, MatcherConfig
from registration.face_matching.omz_matcher import OmzConfig, OmzMatcher

BgrImage = np.ndarray


@pytest.fixture(scope="session")
def deepface_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("deepface-home")


@pytest.fixture(scope="session")
def matcher(deepface_home: Path) -> DeepFaceMatcher:
    """The production matcher with its default configuration, warmed up once for the session."""
    real = DeepFaceMatcher(MatcherConfig(deepface_home=deepface_home))
    real.warm_up()
    return real


@pytest.fixture(scope="session")
def omz_matcher() -> OmzMatcher:
    """The production matcher with its default configuration, warmed up once for the session."""
    real = OmzMatcher(OmzConfig(models_dir=Path(settings.SHIMING_MODELS_DIR)))
    real.warm_up()
    return real


@pytest.fixture(scope="session")
def load_image(testdata: Path) -> Callable[[str], BgrImage]:
    """Read a shared test image in place (path relative to the test data root) as BGR."""

    def load(relative: str) -> BgrImage:
        image = cv2.imread(str(testdata / relative), cv2.IMREAD_COLOR)
        assert image is not None, f"cannot read {relative}"
        return image

    return load


def side_by_side(left: BgrImage, right: BgrImage, *, gap: int = 80) -> BgrImage:
    """Paste two images next to each other on a grey canvas, bottoms aligned."""
    height = max(left.shape[0], right.shape[0]) + 2 * gap
    width = left.shape[1] + right.shape[1] + 3 * gap
    canvas = np.full((height, width, 3), 128, np.uint8)
    canvas[gap : gap + left.shape[0], gap : gap + left.shape[1]] = left
    x = 2 * gap + left.shape[1]
    canvas[gap : gap + right.shape[0], x : x + right.shape[1]] = right
    return canvas


def resize_to_height(image: BgrImage, height: int) -> BgrImage:
    width = round(image.shape[1] * height / image.shape[0])
    return cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)

"""The commands that run the face matcher (face_calibrate, match_eval) use the face matcher tests'
session-scoped real model and image loader."""

from tests.registration.face_matching.conftest import deepface_home, load_image, matcher

__all__ = ["deepface_home", "load_image", "matcher"]

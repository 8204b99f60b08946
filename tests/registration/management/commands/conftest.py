"""The commands that run the face matchers (face_calibrate, match_eval) use the face matcher tests'
session-scoped real models and image loader."""

from tests.registration.face_matching.conftest import deepface_home, load_image, matcher, omz_matcher

__all__ = ["deepface_home", "load_image", "matcher", "omz_matcher"]

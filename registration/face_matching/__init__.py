"""1:1 face matching of the live frame against the ID document portrait.

Import the contract from ``base`` (its types from ``types``); the DeepFace implementation lives in
``deepface_matcher`` and is chosen by the SHIMING_FACE_MATCHER setting through ``get_matcher()``.
"""

from registration.face_matching.base import (
    FaceMatcher,
    FaceMatchingError,
    MatchResult,
    ModelUnavailable,
    NoFaceFound,
    SeveralFaces,
    UnreadableImage,
    get_matcher,
)

__all__ = [
    "FaceMatcher",
    "FaceMatchingError",
    "MatchResult",
    "ModelUnavailable",
    "NoFaceFound",
    "SeveralFaces",
    "UnreadableImage",
    "get_matcher",
]

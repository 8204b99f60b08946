"""The "exactly one face" rule and the detection view, on numbers alone."""

from __future__ import annotations

import numpy as np
import pytest

from registration.face_matching.base import FaceBox, ImageRole, NoFaceFound, SeveralFaces
from registration.face_matching.document import margin_box
from registration.face_matching.selection import detection_view, select_single_face


def face(x: int, w: int) -> FaceBox:
    return FaceBox(x=x, y=10, w=w, h=w, confidence=0.9)


def test_largest_face_is_kept_and_small_ones_ignored() -> None:
    chosen = select_single_face(
        [face(0, 40), face(100, 100), face(300, 30)], several_faces_ratio=0.7, role=ImageRole.PROBE
    )

    assert chosen == face(100, 100)


def test_two_faces_of_similar_size_are_refused() -> None:
    with pytest.raises(SeveralFaces) as raised:
        select_single_face([face(0, 100), face(200, 80)], several_faces_ratio=0.7, role=ImageRole.PROBE)

    assert raised.value.reason_code == "several_faces"
    assert raised.value.role is ImageRole.PROBE


def test_no_face_is_refused_with_its_role() -> None:
    with pytest.raises(NoFaceFound) as raised:
        select_single_face([], several_faces_ratio=0.7, role=ImageRole.REFERENCE)

    assert raised.value.reason_code == "no_face_found"
    assert raised.value.role is ImageRole.REFERENCE


def test_large_image_is_downscaled_and_boxes_map_back() -> None:
    image = np.zeros((3000, 4000, 3), np.uint8)

    view = detection_view(image, max_side=800, min_side=320)

    assert view.image.shape[:2] == (600, 800)
    assert view.to_original(FaceBox(100, 50, 80, 80, 1.0), image.shape) == FaceBox(500, 250, 400, 400, 1.0)


def test_chip_is_upscaled_and_padded_and_boxes_map_back() -> None:
    chip = np.zeros((126, 102, 3), np.uint8)

    view = detection_view(chip, max_side=800, min_side=320)

    scale = 320 / 126
    assert view.pad == 80
    assert view.image.shape[:2] == (320 + 160, round(102 * scale) + 160)
    back = view.to_original(FaceBox(80, 80, round(102 * scale), 320, 1.0), chip.shape)
    assert back == FaceBox(0, 0, 102, 126, 1.0)


def test_mid_sized_image_is_left_alone() -> None:
    frame = np.zeros((480, 640, 3), np.uint8)

    assert detection_view(frame, max_side=800, min_side=320).image is frame


def test_portrait_margin_is_clipped_to_the_page() -> None:
    assert margin_box(FaceBox(10, 20, 100, 120, 1.0), (400, 300, 3), 0.5) == FaceBox(0, 0, 160, 200, 1.0)

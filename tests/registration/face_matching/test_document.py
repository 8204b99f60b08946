"""Finding and cropping the holder's portrait on the ID-document specimens, with the real detectors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

from registration.face_matching.base import ImageRole, NoFaceFound, SeveralFaces
from registration.face_matching.deepface_matcher import DeepFaceMatcher
from registration.face_matching.document import margin_box

pytestmark = pytest.mark.model

Loader = Callable[[str], np.ndarray]
SPECIMENS = sorted(
    f"id_documents/{name}"
    for name in (
        "100_id-rou.jpg",
        "100_pass-chn.jpg",
        "100_pass-cze2.jpg",
        "100_pass-hrv.jpg",
        "100_pass-isl.png",
        "100_pass-ltu.jpg",
        "100_pass-polx.jpg",
        "100_pass-uto.jpg",
        "62_pass-pol.png",
        "79_pass-can.jpg",
    )
)


def test_every_specimen_is_in_the_shared_data(testdata: Path) -> None:
    assert sorted(f"id_documents/{p.name}" for p in (testdata / "id_documents").iterdir()) == SPECIMENS


@pytest.mark.parametrize("specimen", SPECIMENS)
def test_one_portrait_is_found_and_its_crop_holds_a_face(
    matcher: DeepFaceMatcher, load_image: Loader, specimen: str
) -> None:
    page = load_image(specimen)

    portrait = matcher.locate_document_portrait(page)

    crop = portrait.crop_box
    assert portrait.image.shape[:2] == (crop.h, crop.w)
    assert crop.w * crop.h < 0.5 * page.shape[0] * page.shape[1]  # a portrait, not the page
    face_in_crop, _detector = matcher.detect_single_face(portrait.image, ImageRole.REFERENCE)
    assert face_in_crop.w >= 0.5 * portrait.face.w


def test_card_reader_chip_is_accepted(matcher: DeepFaceMatcher, load_image: Loader) -> None:
    portrait = matcher.locate_document_portrait(load_image("id_documents/100_pass-isl.png"))
    chip = cv2.resize(portrait.image, (102, 126), interpolation=cv2.INTER_AREA)

    found = matcher.locate_document_portrait(chip)

    assert found.face.w >= 40
    assert matcher.match(chip, portrait.image).score < 0.3  # the same portrait at two sizes


def test_page_without_a_face_is_refused(matcher: DeepFaceMatcher, load_image: Loader) -> None:
    page = load_image("id_documents/100_pass-isl.png")
    portrait = matcher.locate_document_portrait(page)
    box = margin_box(portrait.face, page.shape, 0.6)
    page[box.y : box.y + box.h, box.x : box.x + box.w] = 235  # cover the portrait with blank paper

    with pytest.raises(NoFaceFound) as raised:
        matcher.locate_document_portrait(page)

    assert raised.value.role is ImageRole.REFERENCE


def test_page_with_two_portraits_of_similar_size_is_refused(matcher: DeepFaceMatcher, load_image: Loader) -> None:
    page = load_image("id_documents/100_pass-isl.png")
    own = matcher.locate_document_portrait(page)
    other = matcher.locate_document_portrait(load_image("id_documents/62_pass-pol.png")).image
    other = cv2.resize(other, (own.crop_box.w, own.crop_box.h), interpolation=cv2.INTER_AREA)
    x = page.shape[1] - other.shape[1] - 10  # the right-hand side of the data page
    y = own.crop_box.y
    page[y : y + other.shape[0], x : x + other.shape[1]] = other

    with pytest.raises(SeveralFaces) as raised:
        matcher.locate_document_portrait(page)

    assert raised.value.reason_code == "several_faces"

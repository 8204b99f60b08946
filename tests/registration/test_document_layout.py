"""Is the photo a document? Every shared specimen page is one (portrait where its layout prints it,
data fields beside it) and its MRZ is found; no face-only photo is one, for any document type: NUAA
live webcam frames, NUAA frames of printed ID-style portraits, celebrity photos and CASIA studio
photos. Runs the real face detector (for the portrait's box) and Tesseract."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import cv2
import numpy as np
import pytest

from registration.document_layout import FaceBoxPixels, layout_check
from registration.documents import DocumentType
from registration.face_matching import FaceMatchingError, get_matcher
from registration.mrz import mrz_read

pytestmark = pytest.mark.model


def _image(path: Path) -> np.ndarray:
    image = cv2.imread(str(path))
    assert image is not None, path
    return image


def _portrait_box(image: np.ndarray) -> FaceBoxPixels | None:
    try:
        face = get_matcher().locate_document_portrait(image).face
    except FaceMatchingError:
        return None  # refused before the layout is looked at
    return FaceBoxPixels(face.x, face.y, face.w, face.h)


def test_every_shared_specimen_is_a_document_with_its_mrz(testdata: Path) -> None:
    specimens = sorted((testdata / "id_documents").iterdir())
    assert len(specimens) == 10
    for path in specimens:
        image = _image(path)
        box = _portrait_box(image)
        assert box is not None, path.name
        check = layout_check(image, box, DocumentType.PASSPORT)
        assert check.refusal is None, (path.name, check)
        read = mrz_read(image)
        assert read is not None, path.name
        assert read.mrz_type in {"TD2", "TD3"}, (path.name, read)


@pytest.mark.parametrize(
    "pattern",
    [
        "verification/nuaa/*/live/*.jpg",
        "verification/nuaa/*/print/*.jpg",
        "verification/deepface/*.jpg",
        "verification/casia_facev5/*/*.bmp",
    ],
    ids=["nuaa-live", "nuaa-print", "celebrity", "casia"],
)
def test_no_face_only_photo_is_a_document_of_any_type(testdata: Path, pattern: str) -> None:
    paths = sorted(testdata.glob(pattern))
    assert paths
    outcomes: Counter[str] = Counter()
    accepted = []
    for path in paths:
        image = _image(path)
        box = _portrait_box(image)
        if box is None:
            outcomes["no single portrait"] += 1
            continue
        for document_type in DocumentType.values:
            refusal = layout_check(image, box, document_type).refusal
            outcomes[refusal or "accepted"] += 1
            if refusal is None:
                accepted.append((path.name, document_type))
    print(f"\n{pattern}: {len(paths)} photos, {dict(outcomes)}")
    assert accepted == []


def _bordered_card(text_left: int) -> np.ndarray:
    """An ID-1 card with a border line 6 px in, five printed fields starting `text_left` px in and
    a large portrait on the right (a face as tall as 44 % of the card, as a close-up ID photo)."""
    from PIL import Image, ImageDraw, ImageFont

    card = Image.new("RGB", (1012, 638), (226, 236, 244))
    draw = ImageDraw.Draw(card)
    draw.rounded_rectangle((6, 6, 1005, 631), radius=36, outline=(120, 140, 170), width=4)
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 30)
    for index, line in enumerate(("NAME  WANG XIAOMING", "SEX  M", "BORN  1990 03 07", "ADDRESS  1 ROAD", "NUMBER  1")):
        draw.text((text_left, 150 + index * 70), line, fill=(40, 50, 70), font=font)
    draw.rectangle((662, 140, 962, 520), fill=(150, 120, 100))
    return cv2.cvtColor(np.asarray(card), cv2.COLOR_RGB2BGR)


@pytest.mark.parametrize("text_left", [40, 120])
def test_printed_fields_near_the_border_are_read_as_lines(text_left: int) -> None:
    """The card's border is not text: fields printed close to it are still separate lines (before,
    closing the letters joined them to the border and the card had no data fields)."""
    check = layout_check(_bordered_card(text_left), FaceBoxPixels(719, 194, 194, 280), DocumentType.PRC_ID_CARD)
    assert check.refusal is None, check
    assert check.data_lines == 5

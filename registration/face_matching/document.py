"""The portrait on an ID document: pick it among the faces found on the page, crop it with a margin.

The page photo may hold the main portrait, a smaller ghost image and printed patterns; the
portrait is the largest face. Two faces of similar size (two documents in one photo, a person
holding the page next to their face) make the page ambiguous and it is refused. A card reader's
chip portrait (about 102x126 px) is accepted as it is: it is upscaled and padded for detection.
"""

from __future__ import annotations

import cv2

from registration.face_matching.selection import select_single_face
from registration.face_matching.types import BgrImage, DocumentPortrait, FaceBox, ImageRole

DEFAULT_PORTRAIT_MARGIN = 0.5
# The portrait a PRC resident ID card reader returns from the chip: 102x126 px, head and shoulders.
CHIP_WIDTH, CHIP_HEIGHT = 102, 126
CHIP_FACE_WIDTH_SHARE = 0.55  # the detector's face box spans about this share of the chip's width


def locate_portrait(faces: list[FaceBox], *, several_faces_ratio: float) -> FaceBox:
    """The holder's portrait among the faces found on a page; NoFaceFound / SeveralFaces otherwise."""
    return select_single_face(faces, several_faces_ratio=several_faces_ratio, role=ImageRole.REFERENCE)


def margin_box(face: FaceBox, page_shape: tuple[int, ...], margin: float) -> FaceBox:
    """The face box grown by ``margin`` of its size on every side, clipped to the page."""
    height, width = page_shape[:2]
    dx, dy = round(face.w * margin), round(face.h * margin)
    x0, y0 = max(0, face.x - dx), max(0, face.y - dy)
    x1, y1 = min(width, face.x + face.w + dx), min(height, face.y + face.h + dy)
    return FaceBox(x0, y0, x1 - x0, y1 - y0, face.confidence)


def crop_portrait(page: BgrImage, face: FaceBox, *, margin: float = DEFAULT_PORTRAIT_MARGIN) -> DocumentPortrait:
    """Cut the portrait out of the page, keeping ``margin`` of the face size around it."""
    box = margin_box(face, page.shape, margin)
    crop = page[box.y : box.y + box.h, box.x : box.x + box.w].copy()
    return DocumentPortrait(image=crop, face=face, crop_box=box)


def card_reader_chip(image: BgrImage, face: FaceBox) -> BgrImage:
    """``image`` as a card reader would return it: cut around ``face`` to 102x126 px (evaluation).

    The face box takes ``CHIP_FACE_WIDTH_SHARE`` of the width, centred, a little above the middle
    (hair and shoulders as on an ID photo); the border is replicated where the cut leaves the image.
    """
    width = face.w / CHIP_FACE_WIDTH_SHARE
    height = width * CHIP_HEIGHT / CHIP_WIDTH
    left = round(face.x + face.w / 2 - width / 2)
    top = round(face.y + face.h / 2 - 0.45 * height)
    pad = round(max(width, height))
    framed = cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    cut = framed[top + pad : top + pad + round(height), left + pad : left + pad + round(width)]
    return cv2.resize(cut, (CHIP_WIDTH, CHIP_HEIGHT), interpolation=cv2.INTER_AREA)

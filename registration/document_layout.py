"""Is the document photo a document? The portrait must sit where the document type prints it, with
the printed data fields beside it.

Every identity document the product takes prints its holder's data as lines of text beside the
portrait: the PRC resident ID card (GB 16783) on the left of a portrait printed on the right; ICAO
9303 passport data pages and the mainland travel permits on the right of a portrait printed on the
left. A face alone (a selfie, a webcam frame, a printed or on-screen portrait) has no such lines.
So the check needs no tuning on sample photos, only the layout:

1. the face is a small part of the photo: a whole card or page is at least three portrait widths
   wide (on ID-1 cards and TD3 pages the portrait's face is about a fifth of the width);
2. printed text lines are found by morphology (a gradient, closed horizontally into line blobs of
   a text's height relative to the portrait's face, at least a few characters long) and at least
   ``MIN_DATA_LINES`` of them (name, number, date of birth: the fields every one of these documents
   prints) lie on the data side of the portrait;
3. the portrait is on its layout's side of the document's extent (the portrait and its lines).

What it does not stop: a good print or a screen showing a real document (a re-shot), or a forged
card with a pasted portrait; those are the chip read's and the supervisor's to catch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np

from .documents import DocumentType

Side = Literal["left", "right"]
MIN_DATA_LINES = 3
MAX_FACE_WIDTH_SHARE = 1 / 3  # of the photo's width: a face wider than that is not on a whole document
WORK_FACE_HEIGHT = 120  # the photo is scaled so the portrait's face is this tall: text sizes scale with it
# A text line's height relative to the portrait's face height: the data fields' letters (5%) up to
# the largest headings (33%); longer than three heights, mostly ink.
LINE_HEIGHT_RANGE = (0.05, 0.33)
LINE_MIN_ASPECT = 3.0
LINE_MIN_FILL = 0.35
LINE_MIN_WIDTH = 0.3  # of the portrait's face width: a data field holds a few characters at least


@dataclass(frozen=True)
class DocumentLayout:
    portrait_side: Side
    mrz_required: bool
    """The portrait side of this document carries an ICAO MRZ (passport data pages)."""


LAYOUTS: dict[str, DocumentLayout] = {
    DocumentType.PRC_ID_CARD: DocumentLayout("right", mrz_required=False),
    DocumentType.PASSPORT: DocumentLayout("left", mrz_required=True),
    DocumentType.HK_MACAO_PERMIT: DocumentLayout("left", mrz_required=False),
    DocumentType.TAIWAN_PERMIT: DocumentLayout("left", mrz_required=False),
}


@dataclass(frozen=True)
class FaceBoxPixels:
    x: int
    y: int
    w: int
    h: int


@dataclass(frozen=True)
class LayoutCheck:
    """The outcome: ``refusal`` is None when the photo shows a document of this layout."""

    refusal: str | None
    face_width_share: float
    data_lines: int
    portrait_position: float
    """The portrait's centre across the document's extent, 0 = left edge, 1 = right edge."""


def text_line_boxes(bgr: np.ndarray, face: FaceBoxPixels) -> list[tuple[int, int, int, int]]:
    """Printed text lines outside the portrait, as (x, y, w, h) in the photo's pixels."""
    scale = WORK_FACE_HEIGHT / max(face.h, 1)
    gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    gray = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    gradient = cv2.morphologyEx(gray, cv2.MORPH_GRADIENT, cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3)))
    _, ink = cv2.threshold(gradient, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    ink = cv2.subtract(ink, _ruled_lines(ink))
    lines = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (15, 1)))
    count, _, stats, _ = cv2.connectedComponentsWithStats(lines)
    low, high = (share * WORK_FACE_HEIGHT for share in LINE_HEIGHT_RANGE)
    boxes = []
    for x, y, w, h, area in stats[1:count]:
        if not (low <= h <= high and w >= LINE_MIN_ASPECT * h and area >= LINE_MIN_FILL * w * h):
            continue
        if w < LINE_MIN_WIDTH * face.w * scale:
            continue
        if x == 0 or y == 0 or x + w >= gray.shape[1] or y + h >= gray.shape[0]:
            continue  # cut by the photo's edge: a whole document's printed lines lie inside the photo
        box = (round(x / scale), round(y / scale), round(w / scale), round(h / scale))
        if not _inside_portrait(box, face):
            boxes.append(box)
    return boxes


def _ruled_lines(ink: np.ndarray) -> np.ndarray:
    """The card's border, frames and rules: unbroken ink runs longer than half the portrait's face.

    Printed text is broken between its letters, so these runs are never text; left in, the closing
    that joins a line's letters would join a line printed near the border to the border itself and
    the whole page would read as one shape, not as lines of text."""
    run = WORK_FACE_HEIGHT // 2
    horizontal = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (run, 1)))
    vertical = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, run)))
    return np.asarray(cv2.bitwise_or(horizontal, vertical), dtype=np.uint8)


def _inside_portrait(box: tuple[int, int, int, int], face: FaceBoxPixels) -> bool:
    centre_x, centre_y = box[0] + box[2] / 2, box[1] + box[3] / 2
    margin_x, margin_y = face.w * 0.25, face.h * 0.25
    return (
        face.x - margin_x < centre_x < face.x + face.w + margin_x
        and face.y - margin_y < centre_y < face.y + face.h + margin_y
    )


def layout_check(bgr: np.ndarray, face: FaceBoxPixels, document_type: str) -> LayoutCheck:
    """Check that the photo shows a document of ``document_type``'s layout around this portrait."""
    layout = LAYOUTS[document_type]
    width_share = face.w / bgr.shape[1]
    boxes = text_line_boxes(bgr, face)
    face_x0, face_x1 = face.x, face.x + face.w
    on_data_side = [
        box for box in boxes if (box[0] >= face_x1 if layout.portrait_side == "left" else box[0] + box[2] <= face_x0)
    ]
    extent_x0 = min([face_x0, *(box[0] for box in on_data_side)])
    extent_x1 = max([face_x1, *(box[0] + box[2] for box in on_data_side)])
    position = (face.x + face.w / 2 - extent_x0) / max(extent_x1 - extent_x0, 1)
    refusal = None
    if width_share > MAX_FACE_WIDTH_SHARE:
        refusal = "document_face_only"
    elif len(on_data_side) < MIN_DATA_LINES:
        refusal = "document_no_data_fields" if len(boxes) < MIN_DATA_LINES else "document_portrait_misplaced"
    elif (position > 0.5) == (layout.portrait_side == "left"):
        refusal = "document_portrait_misplaced"
    return LayoutCheck(refusal, round(width_share, 3), len(on_data_side), round(position, 3))

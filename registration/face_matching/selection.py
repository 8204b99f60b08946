"""Pure geometry of face selection: the detection view of an image and the "exactly one face" rule.

No model here, so the rules can be tested on numbers alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2

from registration.face_matching.types import BgrImage, FaceBox, ImageRole, NoFaceFound, SeveralFaces

# Grey border around small images: a card-reader chip is all face, and detectors miss faces that
# touch the image edge.
_PAD_VALUE = (128, 128, 128)
_PAD_FRACTION = 0.25


@dataclass(frozen=True)
class DetectionView:
    """The image a detector sees, and how to map its boxes back to the original image."""

    image: BgrImage
    scale: float  # detection-view pixels per original pixel
    pad: int  # border added on every side, in detection-view pixels

    def to_original(self, box: FaceBox, original_shape: tuple[int, ...]) -> FaceBox:
        height, width = original_shape[:2]
        x = (box.x - self.pad) / self.scale
        y = (box.y - self.pad) / self.scale
        x0, y0 = max(0, round(x)), max(0, round(y))
        x1 = min(width, round(x + box.w / self.scale))
        y1 = min(height, round(y + box.h / self.scale))
        return FaceBox(x0, y0, max(1, x1 - x0), max(1, y1 - y0), box.confidence)


def detection_view(image: BgrImage, *, max_side: int, min_side: int) -> DetectionView:
    """Downscale large images (detection time grows with megapixels), upscale and pad tiny ones."""
    height, width = image.shape[:2]
    long_side = max(height, width)
    if long_side > max_side:
        scale = max_side / long_side
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        return DetectionView(cv2.resize(image, size, interpolation=cv2.INTER_AREA), scale, 0)
    if long_side < min_side:
        scale = min_side / long_side
        size = (round(width * scale), round(height * scale))
        enlarged = cv2.resize(image, size, interpolation=cv2.INTER_CUBIC)
        pad = round(min_side * _PAD_FRACTION)
        padded = cv2.copyMakeBorder(enlarged, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=_PAD_VALUE)
        return DetectionView(padded, scale, pad)
    return DetectionView(image, 1.0, 0)


def select_single_face(faces: list[FaceBox], *, several_faces_ratio: float, role: ImageRole) -> FaceBox:
    """The one face that goes into the comparison: the largest, unless another is about as large.

    A second face whose width is at least ``several_faces_ratio`` of the largest one's makes the
    image ambiguous (two people in the frame, two portraits on a page): refused, never guessed.
    Smaller faces (a document's ghost image, a passer-by far behind) are ignored.
    """
    if not faces:
        raise NoFaceFound(f"no face found in the {role} image", role=role)
    ordered = sorted(faces, key=lambda face: face.area, reverse=True)
    largest = ordered[0]
    rivals = [face for face in ordered[1:] if face.w >= several_faces_ratio * largest.w]
    if rivals:
        raise SeveralFaces(
            f"{len(rivals) + 1} faces of similar size in the {role} image; exactly one is required",
            role=role,
        )
    return largest

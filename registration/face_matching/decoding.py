"""Images into the matcher: encoded bytes or arrays to one (H, W, 3) uint8 BGR array, bombs refused first."""

from __future__ import annotations

import io

import cv2
import numpy as np
from PIL import Image

from registration.face_matching.types import BgrImage, FaceImage, ImageRole, UnreadableImage


def to_bgr_image(image: FaceImage, *, role: ImageRole, max_pixels: int) -> BgrImage:
    """A (H, W, 3) uint8 BGR array from encoded bytes or an array (see base.py for the contract)."""
    if isinstance(image, bytes | bytearray | memoryview):
        return _decode(bytes(image), role=role, max_pixels=max_pixels)
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.size == 0:
        raise UnreadableImage(f"the {role} image must be bytes or a non-empty uint8 array", role=role)
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.ndim == 3 and image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    if image.ndim == 3 and image.shape[2] == 3:
        return image
    raise UnreadableImage(f"the {role} image has an unsupported shape {image.shape}", role=role)


def _decode(data: bytes, *, role: ImageRole, max_pixels: int) -> BgrImage:
    try:
        with Image.open(io.BytesIO(data)) as header:  # reads the header only: refuse bombs first
            width, height = header.size
    except Exception as error:
        raise UnreadableImage(f"the {role} image is not a readable image file", role=role) from error
    if width * height > max_pixels:
        raise UnreadableImage(f"the {role} image has {width}x{height} pixels, over the limit", role=role)
    decoded = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if decoded is None:
        raise UnreadableImage(f"the {role} image could not be decoded", role=role)
    return decoded

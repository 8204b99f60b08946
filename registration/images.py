"""Checking uploaded images before anything else touches them: size, type, decompression bombs."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import InvalidInput

ACCEPTED_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "BMP"})


@dataclass(frozen=True)
class CheckedImage:
    """A decoded, upright image in BGR order (OpenCV's), with the format it arrived in."""

    bgr: np.ndarray
    source_format: str


def decode_upload(data: bytes) -> CheckedImage:
    """Decode an uploaded image or raise `InvalidInput` with the reason; never trust the file name."""
    if not data:
        raise InvalidInput("The upload is empty.", code="empty_upload")
    if len(data) > settings.SHIMING_MAX_UPLOAD_BYTES:
        limit_mb = settings.SHIMING_MAX_UPLOAD_BYTES / (1024 * 1024)
        raise InvalidInput(
            f"The image is larger than {limit_mb:g} MB.", code="upload_too_large", details={"limit_mb": limit_mb}
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                source_format = probe.format or ""
                width, height = probe.size
                if source_format not in ACCEPTED_FORMATS:
                    raise InvalidInput("The upload is not a JPEG, PNG, WebP or BMP image.", code="not_an_image")
                if width * height > settings.SHIMING_MAX_IMAGE_PIXELS:
                    raise InvalidInput("The image has too many pixels.", code="decompression_bomb")
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                upright = ImageOps.exif_transpose(image).convert("RGB")
    except InvalidInput:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise InvalidInput("The image has too many pixels.", code="decompression_bomb") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise InvalidInput(
            "The upload is not a readable image (wrong type or truncated).", code="not_an_image"
        ) from exc
    rgb = np.asarray(upright)
    return CheckedImage(bgr=np.ascontiguousarray(rgb[:, :, ::-1]), source_format=source_format)


def encode_jpeg(bgr: np.ndarray, *, quality: int = 92) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(bgr[:, :, ::-1])).save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def decode_jpeg(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as image:
        rgb = np.asarray(image.convert("RGB"))
    return np.ascontiguousarray(rgb[:, :, ::-1])

"""Checking uploaded images before anything else touches them: size, type, decompression bombs.

Decoding costs memory in proportion to the pixels, not the bytes (a 5 KB PNG can hold 40
megapixels, ~120 MB as RGB and several copies on the way to a BGR array), so three limits hold
before and around it: the upload's bytes, the pixel count read from the header before anything is
decoded (`SHIMING_MAX_IMAGE_PIXELS`, what a document photo needs), and the number of decodes one
process runs at once (`SHIMING_MAX_CONCURRENT_DECODES`; beyond it a request waits up to
`SHIMING_DECODE_WAIT_SECONDS`, then is told to retry). Per-clerk upload rates are the API's
(`document_upload` throttle).
"""

from __future__ import annotations

import io
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from django.conf import settings
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import Busy, InvalidInput

ACCEPTED_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "BMP"})


@dataclass(frozen=True)
class CheckedImage:
    """A decoded, upright image in BGR order (OpenCV's), with the format it arrived in."""

    bgr: np.ndarray
    source_format: str


@lru_cache(maxsize=4)
def _decode_slots(limit: int) -> threading.BoundedSemaphore:
    return threading.BoundedSemaphore(limit)


@contextmanager
def decode_slot() -> Iterator[None]:
    """Hold one of this process's `SHIMING_MAX_CONCURRENT_DECODES` decode slots, or raise `Busy`."""
    slots = _decode_slots(settings.SHIMING_MAX_CONCURRENT_DECODES)
    if not slots.acquire(timeout=settings.SHIMING_DECODE_WAIT_SECONDS):
        raise Busy("The server is busy checking other photos: retry in a moment.", code="busy")
    try:
        yield
    finally:
        slots.release()


def decode_upload(data: bytes) -> CheckedImage:
    """Decode an uploaded image or raise `InvalidInput` with the reason; never trust the file name."""
    if not data:
        raise InvalidInput("The upload is empty.", code="empty_upload")
    if len(data) > settings.SHIMING_MAX_UPLOAD_BYTES:
        limit_mb = settings.SHIMING_MAX_UPLOAD_BYTES / (1024 * 1024)
        raise InvalidInput(
            f"The image is larger than {limit_mb:g} MB.", code="upload_too_large", details={"limit_mb": limit_mb}
        )
    with decode_slot():
        return _decode(data)


def _decode(data: bytes) -> CheckedImage:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                source_format = probe.format or ""
                width, height = probe.size
                if source_format not in ACCEPTED_FORMATS:
                    raise InvalidInput("The upload is not a JPEG, PNG, WebP or BMP image.", code="not_an_image")
                if width * height > settings.SHIMING_MAX_IMAGE_PIXELS:  # from the header: nothing decoded yet
                    megapixels = settings.SHIMING_MAX_IMAGE_PIXELS / 1_000_000
                    raise InvalidInput(
                        f"The image has more than {megapixels:g} megapixels: a document photo needs fewer.",
                        code="decompression_bomb",
                        details={"width": width, "height": height},
                    )
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                upright = _eight_bit(ImageOps.exif_transpose(image)).convert("RGB")
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


def _eight_bit(image: Image.Image) -> Image.Image:
    """16-bit grey (Pillow's modes I;16 and I) scaled to 8 bits: converted straight to RGB, Pillow
    clips every value above 255 to white, and the document photo is lost."""
    if image.mode.startswith("I;16") or image.mode == "I":
        return image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    return image


def encode_jpeg(bgr: np.ndarray, *, quality: int = 92, max_side: int | None = None) -> bytes:
    """A JPEG of a BGR image; with `max_side`, scaled down (never up) to fit a square of that side."""
    image = Image.fromarray(np.ascontiguousarray(bgr[:, :, ::-1]))
    if max_side is not None:
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


FRAMES_CONTENT_TYPE = "application/x-shiming-jpeg-frames"


def pack_frames(frames: tuple[bytes, ...] | list[bytes]) -> bytes:
    """Several encoded frames in one evidence blob: each one a 4-byte big-endian length, then its bytes."""
    return b"".join(len(frame).to_bytes(4, "big") + frame for frame in frames)


def unpack_frames(blob: bytes) -> list[bytes]:
    """The frames of ``pack_frames``; ValueError on a truncated blob."""
    frames, offset = [], 0
    while offset < len(blob):
        size = int.from_bytes(blob[offset : offset + 4], "big")
        frame = blob[offset + 4 : offset + 4 + size]
        if offset + 4 > len(blob) or len(frame) != size:
            raise ValueError("truncated frames blob")
        frames.append(frame)
        offset += 4 + size
    return frames

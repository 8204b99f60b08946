"""Decoding an upload: the pixels come out upright (the EXIF orientation applied) in OpenCV's BGR
order, a 16-bit grey scan keeps its picture (not clipped to white), a GIF or a truncated file is
refused with its reason, the decode slots are a limit (Busy past it); and several frames packed
into one evidence blob come back as they went in, a truncated blob refused."""

from __future__ import annotations

import io
import threading
from typing import Any

import numpy as np
import pytest
from PIL import Image

from registration.errors import Busy, InvalidInput
from registration.images import decode_slot, decode_upload, encode_jpeg, pack_frames, unpack_frames


def _png(image: Image.Image, **save: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=save.pop("format", "PNG"), **save)
    return buffer.getvalue()


def test_the_pixels_come_out_in_bgr_order() -> None:
    decoded = decode_upload(_png(Image.new("RGB", (4, 2), (255, 0, 0))))

    assert decoded.source_format == "PNG"
    assert decoded.bgr.shape == (2, 4, 3)
    assert decoded.bgr[0, 0].tolist() == [0, 0, 255]


def test_the_exif_orientation_is_applied() -> None:
    landscape = Image.new("RGB", (40, 20), (0, 128, 0))
    exif = Image.Exif()
    exif[0x0112] = 6  # the camera was turned: rotate 90 degrees to show it upright

    decoded = decode_upload(_png(landscape, format="JPEG", exif=exif.tobytes()))

    assert decoded.bgr.shape[:2] == (40, 20)


def test_a_sixteen_bit_grey_scan_keeps_its_picture() -> None:
    grey = Image.fromarray(np.full((8, 8), 30_000, dtype=np.uint16))

    decoded = decode_upload(_png(grey))

    assert decoded.bgr[0, 0].tolist() == [117, 117, 117]  # 30000 / 256, not clipped to 255


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty_upload"),
        (_png(Image.new("RGB", (4, 4)), format="GIF"), "not_an_image"),
        (_png(Image.new("RGB", (64, 64)), format="JPEG")[:200], "not_an_image"),
        (b"%PDF-1.7 not an image", "not_an_image"),
    ],
)
def test_what_is_not_an_acceptable_image_is_refused_with_its_reason(data: bytes, code: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        decode_upload(data)

    assert refused.value.code == code


def test_past_the_decode_slots_a_request_is_told_to_retry(settings: Any) -> None:
    settings.SHIMING_MAX_CONCURRENT_DECODES = 1
    settings.SHIMING_DECODE_WAIT_SECONDS = 0.05
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with decode_slot():
            held.set()
            release.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(5)
    try:
        with pytest.raises(Busy), decode_slot():
            pass
    finally:
        release.set()
        holder.join()
    with decode_slot():
        pass  # free again once the holder let go


def test_packed_frames_come_back_as_they_went_in_and_a_truncated_blob_is_refused() -> None:
    frames = [encode_jpeg(np.zeros((4, 4, 3), dtype=np.uint8)), b"", b"x" * 300]
    blob = pack_frames(frames)

    assert unpack_frames(blob) == frames
    with pytest.raises(ValueError, match="truncated"):
        unpack_frames(blob[:-1])

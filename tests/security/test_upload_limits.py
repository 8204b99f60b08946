"""What a document upload may cost the server (registration/images.py, registration/apis.py): a
pixel ceiling for what a document photo needs, read from the header before anything is decoded (a
4.9 KB PNG can decode to 6300x6300, ~400 MB); a per-clerk upload rate; a bound on the decodes one
process runs at once.
"""

from __future__ import annotations

import io
import threading
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageFile
from rest_framework.test import APIClient

from registration import images
from registration.apis import DocumentUploadThrottle
from registration.errors import Busy
from registration.models import VerificationSession
from registration.roles import CLERK
from tests.factories import UserFactory

from .report import record_access, record_bad_input
from .snapshot import database_snapshot

pytestmark = [pytest.mark.security, pytest.mark.django_db]


def _flat_png(width: int, height: int) -> bytes:
    """A one-colour greyscale PNG: a few kilobytes that decode to width x height pixels."""
    compressor = zlib.compressobj(9)
    row = b"\x00" * (width + 1)  # filter byte, then the pixels
    body = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()

    def chunk(kind: bytes, data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 0, 0, 0, 0])
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def _jpeg(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (120, 130, 140)).save(buffer, format="JPEG", quality=70)
    return buffer.getvalue()


def _upload(client: APIClient, session: VerificationSession, data: bytes, name: str = "document.png") -> Any:
    image = SimpleUploadedFile(name, data, content_type="image/png")
    return client.post(f"/api/sessions/{session.pk}/document/", {"image": image}, format="multipart")


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """The size of the image at every call of Pillow's ImageFile.load (the decode; later calls are no-ops)."""
    seen: list[tuple[int, int]] = []
    original = ImageFile.ImageFile.load

    def load(self: ImageFile.ImageFile) -> Any:
        seen.append(self.size)
        return original(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    return seen


def test_the_reviewers_bomb_is_refused_from_its_header_without_decoding(
    created_session: VerificationSession,
    clerk: Any,
    client_for: Callable[[Any], APIClient],
    decodes: list[tuple[int, int]],
) -> None:
    bomb = _flat_png(6300, 6300)
    assert len(bomb) < 64 * 1024  # tens of kilobytes on the wire
    before = database_snapshot()
    response = _upload(client_for(clerk), created_session, bomb)
    code = response.json()["error"]["code"]
    record_bad_input("document: 6300x6300 PNG (40 MP)", expected=400, got=response.status_code, code=code)
    assert response.status_code == 400
    assert code == "decompression_bomb"
    assert response.json()["error"]["details"] == {"width": 6300, "height": 6300}
    assert decodes == []  # refused from the header: no pixel was decoded
    assert database_snapshot() == before


def test_a_tablet_cameras_photo_is_still_within_the_ceiling(decodes: list[tuple[int, int]]) -> None:
    checked = images.decode_upload(_jpeg(4000, 3000))  # 12 MP, a common tablet camera
    assert checked.bgr.shape == (3000, 4000, 3)
    assert set(decodes) == {(4000, 3000)}


@pytest.fixture
def upload_rate(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    def set_rate(rate: str) -> None:
        rates = {**DocumentUploadThrottle.THROTTLE_RATES, "document_upload": rate}
        monkeypatch.setattr(DocumentUploadThrottle, "THROTTLE_RATES", rates)

    return set_rate


def test_document_uploads_are_throttled_per_clerk(
    created_session: VerificationSession,
    clerk: Any,
    outlet: Any,
    client_for: Callable[[Any], APIClient],
    upload_rate: Callable[[str], None],
) -> None:
    upload_rate("3/min")
    client = client_for(clerk)
    assert [_upload(client, created_session, b"not an image").status_code for _ in range(3)] == [400] * 3
    before = database_snapshot()
    refused = _upload(client, created_session, b"not an image")
    record_access("POST api/sessions/{id}/document/ over the clerk's rate", "right user", expected=429,
                  got=refused.status_code)  # fmt: skip
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "throttled"
    assert int(refused["Retry-After"]) > 0
    assert database_snapshot() == before
    colleague = client_for(UserFactory(role=CLERK, outlet=outlet))
    assert _upload(colleague, created_session, b"not an image").status_code == 400  # their own count


@pytest.fixture
def one_decode_held(monkeypatch: pytest.MonkeyPatch, settings: Any) -> Iterator[threading.Event]:
    """A decode running on another thread and held in the middle (after Pillow's load) until released,
    with a limit of one decode at a time and a short wait for a turn."""
    settings.SHIMING_MAX_CONCURRENT_DECODES = 1
    settings.SHIMING_DECODE_WAIT_SECONDS = 0.3
    inside, release = threading.Event(), threading.Event()
    original = images.ImageOps.exif_transpose

    def held(image: Image.Image, **kwargs: Any) -> Any:
        if threading.current_thread().name == "held-decode":
            inside.set()
            release.wait(timeout=30)
        return original(image, **kwargs)

    monkeypatch.setattr(images.ImageOps, "exif_transpose", held)
    results: list[object] = []
    worker = threading.Thread(
        target=lambda: results.append(images.decode_upload(_jpeg(800, 600))), name="held-decode", daemon=True
    )
    worker.start()
    assert inside.wait(timeout=30)
    try:
        yield release
    finally:
        release.set()
        worker.join(timeout=30)
    assert len(results) == 1  # the held decode finished normally


def test_a_decode_beyond_the_process_limit_is_told_to_retry(
    one_decode_held: threading.Event,
    created_session: VerificationSession,
    clerk: Any,
    client_for: Callable[[Any], APIClient],
) -> None:
    with pytest.raises(Busy):
        images.decode_upload(_jpeg(640, 480))
    before = database_snapshot()
    response = _upload(client_for(clerk), created_session, _jpeg(640, 480), name="document.jpg")
    record_bad_input("document: decode slots full", expected=503, got=response.status_code,
                     code=response.json()["error"]["code"])  # fmt: skip
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "busy"
    assert database_snapshot() == before

    one_decode_held.set()  # the other decode ends: a turn is free again
    assert images.decode_upload(_jpeg(640, 480)).bgr.shape == (480, 640, 3)


def test_a_16_bit_grey_photo_keeps_its_tones() -> None:
    """A 16-bit PNG (a scanner's or a camera app's) decodes to the same picture in 8 bits, not to
    a white page: Pillow clips 16-bit grey above 255 when converting it to RGB."""
    ramp = np.linspace(0, 65535, 64 * 64).reshape(64, 64)
    source = Image.fromarray(ramp.astype(np.uint16))  # opened again as mode I;16
    buffer = io.BytesIO()
    source.save(buffer, format="PNG")
    grey = images.decode_upload(buffer.getvalue()).bgr[:, :, 0].astype(float)
    expected = ramp / 256
    kept = abs(grey.mean() - expected.mean()) < 2  # not ~255
    record_bad_input("16-bit grey PNG", expected="tones kept", got="tones kept" if kept else "white", code="png16")
    assert kept
    assert grey.min() < 5
    assert grey.max() > 250

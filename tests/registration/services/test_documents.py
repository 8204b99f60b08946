"""Uploading the ID document photo: the portrait is found, cropped and stored encrypted, the whole page
too (scaled down); bad uploads are refused with a clear 4xx and nothing written. Runs the real face
detector."""

from __future__ import annotations

import io
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework.test import APIClient

from registration import services
from registration.models import AuditEvent, Evidence, VerificationSession
from registration.services import documents
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.model]


def _jpeg(image: np.ndarray) -> bytes:
    ok, encoded = cv2.imencode(".jpg", image)
    assert ok
    return encoded.tobytes()


def _upload(
    client: APIClient, session: VerificationSession, data: bytes, *, source: str = "photo", name: str = "document.jpg"
) -> Any:
    image = SimpleUploadedFile(name, data, content_type="image/jpeg")
    return client.post(f"/api/sessions/{session.pk}/document/", {"image": image, "source": source}, format="multipart")


def _nothing_written(session: VerificationSession) -> None:
    session.refresh_from_db()
    assert session.state == "created"
    assert not Evidence.objects.filter(session=session).exists()
    assert not AuditEvent.objects.filter(object_id=str(session.pk), action="session.document_captured").exists()


@pytest.fixture
def created_session(clerk: Any) -> VerificationSession:
    """A just-opened session typed with the identity the specimen's MRZ carries (a passport)."""
    return factories.make_session(clerk=clerk, **factories.SPECIMEN_PASSPORT)


@pytest.fixture
def specimen(testdata: Path) -> bytes:
    return (testdata / "id_documents" / "100_pass-chn.jpg").read_bytes()


@pytest.fixture
def face_photo(testdata: Path) -> np.ndarray:
    image = cv2.imread(str(testdata / "verification" / "deepface" / "img1.jpg"))
    assert image is not None
    return image


def test_document_photo_gives_a_cropped_encrypted_portrait(
    client_for: Callable[[Any], APIClient], clerk: Any, created_session: VerificationSession, specimen: bytes
) -> None:
    response = _upload(client_for(clerk), created_session, specimen)
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "document_captured"
    evidence = Evidence.objects.get(session=created_session, kind="id_portrait")
    assert b"JFIF" not in bytes(evidence.ciphertext)[:64]  # ciphertext, not a JPEG
    from registration.services import evidence_read

    portrait = cv2.imdecode(np.frombuffer(evidence_read(evidence=evidence, actor=clerk, purpose="test"), np.uint8), 1)
    page = cv2.imdecode(np.frombuffer(specimen, np.uint8), 1)
    assert portrait.shape[0] * portrait.shape[1] < page.shape[0] * page.shape[1] / 4  # a crop, not the page


def test_the_whole_page_is_kept_encrypted_and_scaled_down_for_the_supervisor(
    client_for: Callable[[Any], APIClient],
    clerk: Any,
    created_session: VerificationSession,
    specimen: bytes,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    page = cv2.imdecode(np.frombuffer(specimen, np.uint8), 1)
    bound = max(page.shape[:2]) // 2  # the specimen is small: a bound it exceeds, as a camera's photo does
    monkeypatch.setattr(documents, "DOCUMENT_PHOTO_MAX_SIDE", bound)

    response = _upload(client_for(clerk), created_session, specimen)

    assert response.status_code == 200, response.json()
    evidence = Evidence.objects.get(session=created_session, kind="document_photo")
    assert evidence.content_type == "image/jpeg"
    assert bytes(evidence.ciphertext)[:2] != b"\xff\xd8"  # ciphertext, not a JPEG
    content = services.evidence_read(evidence=evidence, actor=clerk, purpose="test")
    kept = cv2.imdecode(np.frombuffer(content, np.uint8), 1)
    assert max(kept.shape[:2]) == bound
    assert kept.shape[1] / kept.shape[0] == pytest.approx(page.shape[1] / page.shape[0], rel=0.01)  # the whole page


def _bomb_png() -> bytes:
    """A 30000x30000 greyscale PNG: ~900 megapixels that compress to under a megabyte."""
    width = height = 30000
    raw_row = b"\x00" + b"\x00" * width
    compressor = zlib.compressobj(9)
    body = b"".join(compressor.compress(raw_row) for _ in range(height)) + compressor.flush()

    def chunk(kind: bytes, data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 0, 0, 0, 0])
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def _blank_jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), (200, 200, 200)).save(buffer, format="JPEG")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("make_upload", "code"),
    [
        (lambda spec, face: b"this is not an image at all", "not_an_image"),
        (lambda spec, face: spec[: len(spec) // 2], "not_an_image"),
        (lambda spec, face: _bomb_png(), "decompression_bomb"),
        (lambda spec, face: _blank_jpeg(), "no_face_found"),
        (lambda spec, face: _jpeg(np.hstack([face, face])), "several_faces"),
        (lambda spec, face: b"", "invalid_input"),
    ],
    ids=["text", "truncated", "decompression-bomb", "no-face", "two-faces", "empty"],
)
def test_bad_uploads_are_refused_with_a_reason_and_nothing_written(
    client_for: Callable[[Any], APIClient],
    clerk: Any,
    created_session: VerificationSession,
    specimen: bytes,
    face_photo: np.ndarray,
    make_upload: Callable[[bytes, np.ndarray], bytes],
    code: str,
) -> None:
    response = _upload(client_for(clerk), created_session, make_upload(specimen, face_photo))
    assert response.status_code == 400, response.json()
    assert response.json()["error"]["code"] == code
    _nothing_written(created_session)


def _blurred(specimen: bytes) -> bytes:
    page = cv2.imdecode(np.frombuffer(specimen, np.uint8), cv2.IMREAD_COLOR)
    return _jpeg(cv2.GaussianBlur(page, (0, 0), 3.0))


def _askew(specimen: bytes) -> bytes:
    page = cv2.imdecode(np.frombuffer(specimen, np.uint8), cv2.IMREAD_COLOR)
    height, width = page.shape[:2]
    turn = cv2.getRotationMatrix2D((width / 2, height / 2), 22, 1.0)
    return _jpeg(cv2.warpAffine(page, turn, (width, height), borderMode=cv2.BORDER_REPLICATE))


def _tiny_chip(face_photo: np.ndarray) -> bytes:
    return _jpeg(cv2.resize(face_photo, (48, 40), interpolation=cv2.INTER_AREA))


@pytest.mark.parametrize(
    ("make_upload", "code", "words"),
    [
        (lambda spec, face: _blurred(spec), "portrait_blurred", "blurred"),
        (lambda spec, face: _askew(spec), "portrait_turned", "lies askew"),
        (lambda spec, face: _tiny_chip(face), "portrait_too_small", "too small"),
    ],
    ids=["blurred", "askew", "too-small"],
)
def test_a_portrait_that_cannot_be_matched_is_refused_with_a_message_to_retake(
    client_for: Callable[[Any], APIClient],
    clerk: Any,
    created_session: VerificationSession,
    specimen: bytes,
    face_photo: np.ndarray,
    make_upload: Callable[[bytes, np.ndarray], bytes],
    code: str,
    words: str,
) -> None:
    client = client_for(clerk)
    client.credentials(HTTP_ACCEPT_LANGUAGE="en")

    response = _upload(client, created_session, make_upload(specimen, face_photo))

    assert response.status_code == 400, response.json()
    assert response.json()["error"]["code"] == code
    assert words in response.json()["error"]["message"]
    assert "take the photo again" in response.json()["error"]["message"].lower()
    _nothing_written(created_session)


def test_the_portrait_quality_is_kept_in_the_audit_trail(
    client_for: Callable[[Any], APIClient], clerk: Any, created_session: VerificationSession, specimen: bytes
) -> None:
    assert _upload(client_for(clerk), created_session, specimen).status_code == 200

    event = AuditEvent.objects.get(object_id=str(created_session.pk), action="session.document_captured")
    assert set(event.details["portrait_quality"]) == {"face_width", "sharpness", "roll_degrees", "yaw"}


def test_upload_over_the_size_limit_is_refused(
    client_for: Callable[[Any], APIClient],
    clerk: Any,
    created_session: VerificationSession,
    specimen: bytes,
    settings: Any,
) -> None:
    settings.SHIMING_MAX_UPLOAD_BYTES = len(specimen) - 1
    response = _upload(client_for(clerk), created_session, specimen)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "upload_too_large"
    # The page says the limit, from the one setting.
    assert response.json()["error"]["details"] == {"limit_mb": settings.SHIMING_MAX_UPLOAD_BYTES / (1024 * 1024)}
    _nothing_written(created_session)


def test_upload_is_refused_for_other_outlets_anonymous_and_wrong_state(
    client_for: Callable[[Any], APIClient],
    clerk: Any,
    other_clerk: Any,
    created_session: VerificationSession,
    consented_session: VerificationSession,
    specimen: bytes,
) -> None:
    assert _upload(client_for(other_clerk), created_session, specimen).status_code == 404
    assert _upload(client_for(None), created_session, specimen).status_code in (401, 403)
    _nothing_written(created_session)
    consented = consented_session  # the customer consented on the photo on file: no retake
    response = _upload(client_for(clerk), consented, specimen)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "illegal_transition"


def test_the_upload_before_the_consent_finds_and_measures_the_portrait_but_embeds_no_face(
    client_for: Callable[[Any], APIClient],
    clerk: Any,
    created_session: VerificationSession,
    specimen: bytes,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The clerk photographs the document before the customer consents: locating and measuring the
    printed portrait is image quality; the embedding (the biometric template) waits for the match."""
    from registration.face_matching import get_matcher

    matcher = get_matcher()
    embedded: list[object] = []
    original = type(matcher).embed_face  # type: ignore[attr-defined]

    def spy(self: Any, image: Any, face: Any, points: Any) -> Any:
        embedded.append(face)
        return original(self, image, face, points)

    monkeypatch.setattr(type(matcher), "embed_face", spy)
    assert _upload(client_for(clerk), created_session, specimen).status_code == 200
    assert embedded == []
    portrait = Evidence.objects.get(session=created_session, kind="id_portrait")
    from registration.services import evidence_read

    crop = evidence_read(evidence=portrait, actor=clerk, purpose="test")
    matcher.match(crop, crop)  # the spy sees the match's embeddings: the check above can fail
    assert len(embedded) == 2

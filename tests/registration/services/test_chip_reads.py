"""Chip reads from enrolled card readers: the reader agent (with its simulated reader) answers the
clerk's request with a signed read that binds the session; a forged, replayed, revoked-reader,
other-outlet or other-session read is refused, recorded and audited with the reader's id, and so is
a chip that holds another identity than the one typed. Runs the real face detector on the portrait.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from registration import services
from registration.face_matching import get_matcher
from registration.face_matching.document import card_reader_chip
from registration.models import AuditEvent, CardReader, ChipRead, Outlet, VerificationSession
from registration.reader_agent import ReaderAgent, SimulatedReader
from registration.reader_protocol import public_key_hex, sign
from registration.state_machine import SessionState
from tests import factories
from tests.registration.document_renders import prc_card

pytestmark = [pytest.mark.django_db, pytest.mark.model]

NAME = "张 三"
BIRTH = "1990-03-07"


@pytest.fixture(scope="module")
def chip_portrait(testdata: Path) -> bytes:
    """A 102x126 chip portrait cut around the face of a real photo, as a reader returns it."""
    image = cv2.imread(str(testdata / "verification" / "deepface" / "img2.jpg"))
    assert image is not None
    face = get_matcher().locate_document_portrait(image).face
    ok, jpeg = cv2.imencode(".jpg", card_reader_chip(image, face))
    assert ok
    return bytes(jpeg.tobytes())


def _api_post(client: APIClient) -> Callable[[str, dict[str, Any]], dict[str, Any]]:
    """The agent's HTTP post, through Django's test client (the same views, URLs and error handler)."""

    def post(url: str, body: dict[str, Any]) -> dict[str, Any]:
        response = client.post(url.removeprefix("http://server"), body, format="json")
        return {"status": response.status_code, **response.json()}

    return post


def _card(tmp_path: Path, portrait: bytes, **overrides: str) -> Path:
    (tmp_path / "portrait.jpg").write_bytes(portrait)
    card = {
        "document_type": "prc_id",
        "full_name": NAME,
        "document_number": factories.make_prc_id(),
        "birth_date": BIRTH,
        "portrait": "portrait.jpg",
        **overrides,
    }
    path = tmp_path / "card.json"
    path.write_text(json.dumps(card, ensure_ascii=False))
    return path


class Reader:
    """An enrolled reader and its agent, the key kept here as on the outlet PC."""

    def __init__(self, outlet: Outlet, card: Path) -> None:
        self.key = Ed25519PrivateKey.generate()
        self.row = CardReader.objects.create(outlet=outlet, name="counter 1", public_key=public_key_hex(self.key))
        self.agent = ReaderAgent(
            server="http://server",
            reader_id=str(self.row.pk),
            key=self.key,
            device=SimulatedReader(card),
            post=_api_post(APIClient()),
        )


@pytest.fixture
def session(make_session: Any) -> VerificationSession:
    return make_session(full_name=NAME, document_number=factories.make_prc_id())


@pytest.fixture
def reader(outlet: Outlet, tmp_path: Path, chip_portrait: bytes, session: VerificationSession) -> Reader:
    number = services.documents.typed_identity(session.pk).number
    return Reader(outlet, _card(tmp_path, chip_portrait, document_number=number))


@pytest.fixture
def requested(client_for: Callable[[Any], APIClient], clerk: Any, session: VerificationSession) -> None:
    """The clerk pressed "read the card": the session has an open chip-read request."""
    response = client_for(clerk).post(f"/api/sessions/{session.pk}/chip-read-request/")
    assert response.status_code == 200, response.json()


def _refusals(code: str) -> int:
    return ChipRead.objects.filter(accepted=False, refusal_reason=code).count()


def test_a_signed_read_from_the_outlets_reader_binds_the_session(
    reader: Reader, session: VerificationSession, requested: None
) -> None:
    [answer] = reader.agent.run_once()
    assert answer["status"] == 200, answer
    session.refresh_from_db()
    assert session.state == SessionState.DOCUMENT_CAPTURED
    assert session.reference_binding == "chip"
    assert session.chip_nonce == ""
    read = ChipRead.objects.get(session=session)
    assert read.accepted
    assert read.reader_id == reader.row.pk
    event = AuditEvent.objects.get(object_id=str(session.pk), action="chip_read.accepted")
    assert event.details["reader_id"] == str(reader.row.pk)


def test_a_replayed_read_is_refused(reader: Reader, session: VerificationSession, requested: None) -> None:
    sent: list[dict[str, Any]] = []
    post = reader.agent.post

    def keep_and_post(url: str, body: dict[str, Any]) -> dict[str, Any]:
        sent.append(body)
        return post(url, body)

    reader.agent.post = keep_and_post
    [first] = reader.agent.run_once()
    assert first["status"] == 200
    replay = post("http://server/api/readers/reads/", sent[-1])
    assert (replay["status"], replay["error"]["code"]) == (403, "chip_nonce_invalid")
    assert _refusals("chip_nonce_invalid") == 1


def test_a_forged_signature_is_refused(reader: Reader, session: VerificationSession, requested: None) -> None:
    [request] = reader.agent.pending()
    reader.agent.key = Ed25519PrivateKey.generate()  # not the enrolled key
    answer = reader.agent.answer(request)
    assert (answer["status"], answer["error"]["code"]) == (403, "reader_signature_invalid")
    session.refresh_from_db()
    assert session.state == SessionState.CREATED
    assert session.reference_binding == ""
    assert _refusals("reader_signature_invalid") == 1


def test_a_revoked_reader_is_refused(
    reader: Reader, session: VerificationSession, requested: None, supervisor: Any
) -> None:
    [request] = reader.agent.pending()
    services.card_reader_revoke(actor=supervisor, reader=reader.row)
    answer = reader.agent.answer(request)
    assert (answer["status"], answer["error"]["code"]) == (403, "reader_revoked")
    assert _refusals("reader_revoked") == 1


def test_a_reader_of_another_outlet_is_refused(
    reader: Reader, session: VerificationSession, requested: None, other_outlet: Outlet, tmp_path: Path
) -> None:
    [request] = reader.agent.pending()
    elsewhere = Reader(other_outlet, reader.agent.device.card_file)  # type: ignore[attr-defined]
    assert elsewhere.agent.pending() == []  # the request is not shown to another outlet's reader
    answer = elsewhere.agent.answer(request)
    assert (answer["status"], answer["error"]["code"]) == (403, "reader_other_outlet")


def test_a_read_for_another_session_is_refused(
    reader: Reader, session: VerificationSession, requested: None, make_session: Any
) -> None:
    [request] = reader.agent.pending()
    other = make_session(full_name=NAME)
    answer = reader.agent.answer({**request, "session_id": str(other.pk)})
    assert (answer["status"], answer["error"]["code"]) == (403, "chip_nonce_invalid")
    other.refresh_from_db()
    assert other.state == SessionState.CREATED


def test_a_chip_holding_another_identity_is_refused(
    outlet: Outlet, session: VerificationSession, requested: None, tmp_path: Path, chip_portrait: bytes
) -> None:
    """The clerk typed one person's number, the card on the reader is another person's."""
    reader = Reader(outlet, _card(tmp_path, chip_portrait))  # a fresh number: not the typed one
    [answer] = reader.agent.run_once()
    assert (answer["status"], answer["error"]["code"]) == (409, "chip_identity_mismatch")
    session.refresh_from_db()
    assert session.state == SessionState.CREATED


def test_an_unreadable_chip_is_recorded_and_leaves_the_case_unbound(
    outlet: Outlet,
    session: VerificationSession,
    requested: None,
    tmp_path: Path,
    testdata: Path,
    client_for: Callable[[Any], APIClient],
    clerk: Any,
) -> None:
    card = tmp_path / "card.json"
    card.write_text(json.dumps({"unreadable": "no answer from the chip"}))
    reader = Reader(outlet, card)
    [answer] = reader.agent.run_once()
    assert (answer["status"], answer["error"]["code"]) == (409, "chip_unreadable")
    session.refresh_from_db()
    assert (session.reference_binding, session.reference_unbound_reason) == ("", "chip_unreadable")
    assert _refusals("chip_unreadable") == 1
    # The clerk photographs the card instead: accepted, and the supervisor still sees why it is unbound.
    card_photo = SimpleUploadedFile("card.jpg", prc_card(testdata / "verification" / "deepface" / "img2.jpg"))
    photographed = client_for(clerk).post(
        f"/api/sessions/{session.pk}/document/", {"image": card_photo, "source": "photo"}, format="multipart"
    )
    assert photographed.status_code == 200, photographed.json()
    session.refresh_from_db()
    assert (session.reference_binding, session.reference_unbound_reason) == ("", "chip_unreadable")


def test_a_stale_poll_is_refused(reader: Reader) -> None:
    poll = {"protocol": "shiming-reader-poll/1", "reader_id": str(reader.row.pk), "time": 1_000_000_000}
    answer = reader.agent.post("http://server/api/readers/poll/", {"poll": poll, "signature": sign(reader.key, poll)})
    assert (answer["status"], answer["error"]["code"]) == (403, "reader_poll_stale")


def test_a_chip_portrait_upload_without_a_signed_read_is_refused(
    client_for: Callable[[Any], APIClient], clerk: Any, session: VerificationSession, chip_portrait: bytes
) -> None:
    image = SimpleUploadedFile("chip.jpg", chip_portrait, content_type="image/jpeg")
    response = client_for(clerk).post(
        f"/api/sessions/{session.pk}/document/", {"image": image, "source": "chip"}, format="multipart"
    )
    assert (response.status_code, response.json()["error"]["code"]) == (400, "chip_read_required")

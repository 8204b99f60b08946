"""Chip reads from enrolled card readers: the reader agent (with its simulated reader) answers the
clerk's request with a signed read that binds the session; a forged, replayed, revoked-reader,
other-outlet or other-session read is refused, recorded and audited with the reader's id, and so is
a chip that holds another identity than the one typed. Runs the real face detector on the portrait.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import resolve
from rest_framework.test import APIClient

from registration import services
from registration.face_matching import get_matcher
from registration.face_matching.document import card_reader_chip
from registration.models import (
    AuditEvent,
    CardReader,
    ChipRead,
    ChipRegistration,
    Evidence,
    EvidenceKind,
    Outlet,
    Subscriber,
    SubscriberStatus,
    VerificationSession,
)
from registration.reader_agent import ReaderAgent, SimulatedReader
from registration.reader_protocol import public_key_hex, sign
from registration.services.judgement import hold_automatic_approval
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


def test_a_chip_read_leaves_no_page_photographed_before_it(
    reader: Reader, session: VerificationSession, requested: None
) -> None:
    """The review shows the page that goes with the reference: after a chip read there is none."""
    services.evidence_store(
        session=session, kind=EvidenceKind.DOCUMENT_PHOTO, content=b"\xff\xd8page", content_type="image/jpeg"
    )

    [answer] = reader.agent.run_once()

    assert answer["status"] == 200, answer
    kinds = set(Evidence.objects.filter(session=session).values_list("kind", flat=True))
    assert kinds == {EvidenceKind.ID_PORTRAIT}


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


# --- a PRC card registered from its chip: the clerk types only the phone number ------------------


@pytest.fixture(autouse=True)
def _fresh_throttles() -> None:
    """The reader endpoints' throttles count per address in the process cache: each test starts at 0."""
    cache.clear()


def _chip_registration(client: APIClient, phone: str) -> dict[str, Any]:
    response = client.post("/api/chip-registrations/", {"phone_number": phone}, format="json")
    assert response.status_code == 201, response.json()
    return dict(response.json())


def test_a_prc_card_is_registered_from_its_chip_without_typing(
    outlet: Outlet, clerk: Any, client_for: Callable[[Any], APIClient], tmp_path: Path, chip_portrait: bytes
) -> None:
    """The normal path for a PRC card: the page asks the outlet's reader, the signed read fills the name,
    number and date of birth server-side, bound by the chip; the page gets them to show, not to edit."""
    number = factories.make_prc_id()
    reader = Reader(outlet, _card(tmp_path, chip_portrait, document_number=number, full_name="张  三"))
    client = client_for(clerk)
    phone = factories.make_phone()
    request = _chip_registration(client, phone)
    [pending] = reader.agent.pending()
    assert pending["session_id"] == request["id"]
    assert pending["document_type"] == "prc_id"
    [answer] = reader.agent.run_once()
    assert answer["status"] == 200, answer

    polled = client.get(f"/api/chip-registrations/{request['id']}/").json()
    assert polled["outcome"] == "registered"
    assert polled["session_id"] == request["id"]
    assert polled["chip"]["full_name"] == NAME
    assert polled["chip"]["birth_date"] == BIRTH
    assert polled["chip"]["document_number_masked"].endswith(number[-4:])
    assert number not in json.dumps(polled)  # the page shows it masked

    session = VerificationSession.objects.select_related("subscriber__document").get(pk=request["id"])
    assert session.state == SessionState.DOCUMENT_CAPTURED
    assert session.reference_binding == "chip"
    assert session.clerk_id == clerk.pk
    assert session.subscriber.identity_source == "chip"
    assert (session.subscriber.full_name, session.subscriber.phone_number) == (NAME, phone)
    assert services.documents.typed_identity(session.pk).number == number
    assert hold_automatic_approval(session, "approved", []) == ("approved", [])
    assert ChipRead.objects.get(session=session).accepted
    assert reader.agent.pending() == []  # the nonce is spent
    assert client.get(f"/api/sessions/{session.pk}/").json()["identity_source"] == "chip"


def test_a_typed_prc_card_is_never_approved_automatically(
    reader: Reader, session: VerificationSession, requested: None
) -> None:
    """MIIT 2016 forbids typing a resident ID card's data: even when a chip read later holds the very
    identity typed (and binds the portrait), the face match's approval goes to a supervisor."""
    [answer] = reader.agent.run_once()
    assert answer["status"] == 200, answer
    session.refresh_from_db()
    assert session.reference_binding == "chip"
    assert session.subscriber.identity_source == "typed"
    decision, reasons = hold_automatic_approval(session, "approved", ["face_score_in_approve_band"])
    assert (decision, reasons) == ("manual_review", ["face_score_in_approve_band", "prc_card_typed"])


def test_a_typed_prc_card_without_a_chip_read_goes_to_review_with_the_reason(
    session: VerificationSession, client_for: Callable[[Any], APIClient], clerk: Any, testdata: Path
) -> None:
    card_photo = SimpleUploadedFile("card.jpg", prc_card(testdata / "verification" / "deepface" / "img2.jpg"))
    photographed = client_for(clerk).post(
        f"/api/sessions/{session.pk}/document/", {"image": card_photo, "source": "photo"}, format="multipart"
    )
    assert photographed.status_code == 200, photographed.json()
    session.refresh_from_db()
    decision, reasons = hold_automatic_approval(session, "approved", [])
    assert decision == "manual_review"
    assert "prc_card_chip_not_read" in reasons


def test_an_unreadable_chip_on_the_registration_page_leads_to_a_typed_case_with_the_reason(
    outlet: Outlet, clerk: Any, client_for: Callable[[Any], APIClient], tmp_path: Path
) -> None:
    card = tmp_path / "card.json"
    card.write_text(json.dumps({"unreadable": "chip authentication failed"}))
    reader = Reader(outlet, card)
    client = client_for(clerk)
    request = _chip_registration(client, factories.make_phone())
    [answer] = reader.agent.run_once()
    assert (answer["status"], answer["error"]["code"]) == (409, "chip_unreadable")
    polled = client.get(f"/api/chip-registrations/{request['id']}/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert (polled["outcome"], polled["session_id"]) == ("chip_unreadable", None)
    assert "could not be read" in polled["message"]
    assert not VerificationSession.objects.exists()
    assert ChipRegistration.objects.get().phone_number == ""  # let go once the request is answered

    typed = client.post(
        "/api/sessions/",
        factories.registration_details(full_name=NAME, chip_registration=request["id"]),
        format="json",
    )
    assert typed.status_code == 201, typed.json()
    session = VerificationSession.objects.get(pk=typed.json()["id"])
    assert (session.reference_binding, session.reference_unbound_reason) == ("", "chip_unreadable")
    event = AuditEvent.objects.get(object_id=str(session.pk), action="session.created")
    assert event.details["chip_unreadable"] == "chip authentication failed"
    decision, reasons = hold_automatic_approval(session, "approved", [])
    assert (decision, reasons) == ("manual_review", ["reference_unbound", "chip_unreadable"])


def test_a_chip_registration_keeps_the_real_name_limits(
    outlet: Outlet, clerk: Any, client_for: Callable[[Any], APIClient], tmp_path: Path, chip_portrait: bytes
) -> None:
    """A phone already active: the read opens nothing, the page is told why, the nonce is spent."""
    active = factories.make_session(clerk=clerk)
    Subscriber.objects.filter(pk=active.subscriber_id).update(status=SubscriberStatus.ACTIVE)
    reader = Reader(outlet, _card(tmp_path, chip_portrait))
    client = client_for(clerk)
    request = _chip_registration(client, active.subscriber.phone_number)
    [answer] = reader.agent.run_once()
    assert (answer["status"], answer["error"]["code"]) == (409, "phone_in_use")
    polled = client.get(f"/api/chip-registrations/{request['id']}/").json()
    assert (polled["outcome"], polled["session_id"]) == ("phone_in_use", None)
    assert VerificationSession.objects.count() == 1
    assert reader.agent.pending() == []
    assert _refusals("phone_in_use") == 1


def test_a_chip_registration_is_refused_to_another_outlets_reader_and_to_a_replay(
    outlet: Outlet,
    other_outlet: Outlet,
    clerk: Any,
    other_clerk: Any,
    client_for: Callable[[Any], APIClient],
    tmp_path: Path,
    chip_portrait: bytes,
) -> None:
    card = _card(tmp_path, chip_portrait)
    reader, elsewhere = Reader(outlet, card), Reader(other_outlet, card)
    request = _chip_registration(client_for(clerk), factories.make_phone())
    assert elsewhere.agent.pending() == []
    [pending] = reader.agent.pending()
    answer = elsewhere.agent.answer(pending)
    assert (answer["status"], answer["error"]["code"]) == (403, "reader_other_outlet")
    assert client_for(other_clerk).get(f"/api/chip-registrations/{request['id']}/").status_code == 404
    assert reader.agent.answer(pending)["status"] == 200
    replay = reader.agent.answer(pending)
    assert (replay["status"], replay["error"]["code"]) == (403, "chip_nonce_invalid")
    assert VerificationSession.objects.count() == 1


# --- the reader endpoints are throttled, by reader and by address ---------------------------------


@pytest.mark.parametrize(("path", "field"), [("/api/readers/poll/", "poll"), ("/api/readers/reads/", "read")])
def test_reader_endpoints_are_throttled_by_reader_and_by_address(
    monkeypatch: pytest.MonkeyPatch, reader: Reader, path: str, field: str
) -> None:
    """A flood is answered 429 before any signature is checked: per reader id named (whatever the
    address), and per address (whatever reader id it names)."""
    view = resolve(path).func.view_class  # type: ignore[attr-defined]
    by_address, by_reader = view.throttle_classes
    for throttle in (by_address, by_reader):
        monkeypatch.setattr(throttle, "THROTTLE_RATES", {**throttle.THROTTLE_RATES, throttle.scope: "3/min"})

    def post(reader_id: str, address: str) -> Any:
        body = {field: {"reader_id": reader_id}, "signature": "x", **({"portrait": ""} if field == "read" else {})}
        return APIClient(REMOTE_ADDR=address).post(path, body, format="json")

    named = str(reader.row.pk)
    assert [post(named, f"10.0.0.{i}").status_code for i in range(4)][-1] == 429
    other = post(str(uuid.uuid4()), "10.0.0.9")
    assert other.status_code != 429
    assert [post(str(uuid.uuid4()), "10.0.1.1").status_code for _ in range(3)][-1] != 429
    throttled = post(str(uuid.uuid4()), "10.0.1.1")
    assert (throttled.status_code, throttled.json()["error"]["code"]) == (429, "throttled")

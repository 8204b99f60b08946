"""The document photo binds the typed identity, or the case goes to a supervisor.

A photo that is not a document (a webcam frame, a portrait print, a face photo) is refused with a
reason for the clerk; a passport page's MRZ is read and held against the typed number, birth date and
name (a mismatch refused, an unreadable one left unbound); a photo of a PRC card is unbound (its chip
read binds it); and a face match in the accept band on an unbound reference goes to review, with why.
Runs the real face detector and Tesseract.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from registration import services
from registration.face_matching.policy import ReasonCode
from registration.models import AuditEvent, Evidence, VerificationSession
from registration.state_machine import SessionState
from tests.factories import store_live_frame
from tests.registration.document_renders import passport_page, portrait_print, prc_card, td3_mrz

pytestmark = [pytest.mark.django_db, pytest.mark.model]

SAME_PERSON = ("img2.jpg", "img6.jpg")  # approved when bound (test_tasks)
PASSPORT_HOLDER = {
    "full_name": "WANG XIAOMING",
    "document_type": "passport",
    "document_number": "E12345678",
    "birth_date": date(1990, 3, 7),
}


def _mrz(**overrides: Any) -> str:
    fields = {"surname": "WANG", "given_names": "XIAOMING", "number": "E12345678", "birth_date": date(1990, 3, 7)}
    return td3_mrz(**{**fields, **overrides})


def _upload(client: APIClient, session: VerificationSession, data: bytes, source: str = "photo") -> Any:
    image = SimpleUploadedFile("document.jpg", data, content_type="image/jpeg")
    return client.post(f"/api/sessions/{session.pk}/document/", {"image": image, "source": source}, format="multipart")


def _nothing_written(session: VerificationSession) -> None:
    session.refresh_from_db()
    assert session.state == SessionState.CREATED
    assert not Evidence.objects.filter(session=session).exists()


def _face(testdata: Path, name: str) -> Path:
    return testdata / "verification" / "deepface" / name


@pytest.mark.parametrize("source", ["photo", "chip"])
def test_a_webcam_selfie_as_the_document_is_refused(
    client_for: Callable[[Any], APIClient], clerk: Any, make_session: Any, testdata: Path, source: str
) -> None:
    """The attack: a valid PRC number of someone else typed, the fraudster's own webcam frame uploaded."""
    session = make_session()
    frame = (testdata / "verification" / "nuaa" / "0001" / "live" / "0001_00_00_01_0.jpg").read_bytes()
    response = _upload(client_for(clerk), session, frame, source)
    assert response.status_code == 400, response.json()
    expected = {"chip": {"chip_read_required"}, "photo": {"document_face_only", "document_no_data_fields"}}
    assert response.json()["error"]["code"] in expected[source]
    _nothing_written(session)


@pytest.mark.parametrize("render", ["portrait_print", "nuaa_print"])
def test_a_portrait_without_a_document_is_refused(
    client_for: Callable[[Any], APIClient], clerk: Any, make_session: Any, testdata: Path, render: str
) -> None:
    session = make_session()
    data = (
        portrait_print(_face(testdata, "img2.jpg"))
        if render == "portrait_print"
        else (testdata / "verification" / "nuaa" / "0002" / "print" / "0002_01_01_02_422.jpg").read_bytes()
    )
    response = _upload(client_for(clerk), session, data)
    assert response.status_code == 400, response.json()
    assert response.json()["error"]["code"].startswith("document_")
    _nothing_written(session)


def test_a_card_photo_with_the_portrait_on_the_wrong_side_is_refused(
    client_for: Callable[[Any], APIClient], clerk: Any, make_session: Any, testdata: Path
) -> None:
    """A PRC card prints its portrait on the right: a card-like photo with it on the left is another layout."""
    session = make_session()
    response = _upload(client_for(clerk), session, prc_card(_face(testdata, "img2.jpg"), portrait_left=True))
    assert response.status_code == 400, response.json()
    assert response.json()["error"]["code"] == "document_portrait_misplaced"


def test_a_prc_card_photo_is_accepted_but_left_unbound(
    client_for: Callable[[Any], APIClient], clerk: Any, make_session: Any, testdata: Path
) -> None:
    session = make_session()
    response = _upload(client_for(clerk), session, prc_card(_face(testdata, "img2.jpg")))
    assert response.status_code == 200, response.json()
    session.refresh_from_db()
    assert session.state == SessionState.DOCUMENT_CAPTURED
    assert (session.reference_binding, session.reference_unbound_reason) == ("", "prc_card_chip_not_read")


def test_a_passport_page_whose_mrz_matches_binds_the_reference(
    client_for: Callable[[Any], APIClient], clerk: Any, make_session: Any, testdata: Path
) -> None:
    session = make_session(**PASSPORT_HOLDER)
    response = _upload(client_for(clerk), session, passport_page(_face(testdata, "img2.jpg"), _mrz()))
    assert response.status_code == 200, response.json()
    session.refresh_from_db()
    assert session.reference_binding == "mrz"
    assert response.json()["reference_binding"] == "mrz"


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ({"document_number": "E12345679"}, "mrz_number_mismatch"),
        ({"birth_date": date(1991, 3, 7)}, "mrz_birth_date_mismatch"),
        ({"full_name": "LI SI"}, "mrz_name_mismatch"),
    ],
    ids=["number", "birth-date", "name"],
)
def test_a_typed_identity_that_differs_from_the_mrz_is_refused(
    client_for: Callable[[Any], APIClient],
    clerk: Any,
    make_session: Any,
    testdata: Path,
    typed: dict[str, Any],
    reason: str,
) -> None:
    session = make_session(**{**PASSPORT_HOLDER, **typed})
    response = _upload(client_for(clerk), session, passport_page(_face(testdata, "img2.jpg"), _mrz()))
    assert response.status_code == 400, response.json()
    error = response.json()["error"]
    assert error["code"] == "mrz_mismatch"
    assert reason in error["details"]["reasons"]
    _nothing_written(session)


def test_a_passport_page_without_an_mrz_is_refused(
    client_for: Callable[[Any], APIClient], clerk: Any, make_session: Any, testdata: Path
) -> None:
    session = make_session(**PASSPORT_HOLDER)
    response = _upload(client_for(clerk), session, passport_page(_face(testdata, "img2.jpg"), ""))
    assert response.status_code == 400, response.json()
    assert response.json()["error"]["code"] == "document_no_mrz"


def _ready_to_match(session: VerificationSession, testdata: Path, live: str) -> VerificationSession:
    """As the capture leaves a session whose liveness passed: the live frame stored, state liveness_passed."""
    frame = _face(testdata, live).read_bytes()
    store_live_frame(session, frame)
    VerificationSession.objects.filter(pk=session.pk).update(
        state=SessionState.LIVENESS_PASSED, liveness_passed=True, consented_at=session.created_at
    )
    return VerificationSession.objects.get(pk=session.pk)


def test_a_match_on_an_unbound_prc_card_photo_goes_to_review_with_the_reason(
    client_for: Callable[[Any], APIClient], clerk: Any, make_session: Any, testdata: Path
) -> None:
    """The whole attack with a document-looking card: the same face live, the typed number nobody checked."""
    portrait, live = SAME_PERSON
    session = make_session()
    assert _upload(client_for(clerk), session, prc_card(_face(testdata, portrait))).status_code == 200
    session = _ready_to_match(session, testdata, live)
    assert services.faces_match(session_id=session.pk) == "manual_review"
    session.refresh_from_db()
    assert session.match_distance is not None
    assert session.decision_reasons[0] == ReasonCode.SCORE_AT_ACCEPT.value  # in the accept band
    assert session.decision_reasons[-2:] == ["reference_unbound", "prc_card_chip_not_read"]
    assert session.subscriber.status == "pending"
    assert not AuditEvent.objects.filter(object_id=str(session.pk), action="session.approved").exists()


def test_a_match_on_a_passport_bound_by_its_mrz_is_approved(
    client_for: Callable[[Any], APIClient], clerk: Any, make_session: Any, testdata: Path
) -> None:
    portrait, live = SAME_PERSON
    session = make_session(**PASSPORT_HOLDER)
    response = _upload(client_for(clerk), session, passport_page(_face(testdata, portrait), _mrz()))
    assert response.status_code == 200, response.json()
    session = _ready_to_match(session, testdata, live)
    assert services.faces_match(session_id=session.pk) == "approved"


def test_an_unreadable_mrz_leaves_the_reference_unbound(
    client_for: Callable[[Any], APIClient], clerk: Any, make_session: Any, testdata: Path
) -> None:
    """A damaged MRZ: one character of the number is not what its check digit says (a scratch, a
    glare), so it neither confirms the typed number nor proves another one."""
    damaged = _mrz().replace("E12345678", "E12345X78")
    session = make_session(**PASSPORT_HOLDER)
    response = _upload(client_for(clerk), session, passport_page(_face(testdata, "img2.jpg"), damaged))
    assert response.status_code == 200, response.json()
    session.refresh_from_db()
    assert (session.reference_binding, session.reference_unbound_reason) == ("", "mrz_unreadable")

"""Which action is legal in which state, who may decide (four eyes), and what becomes of a match
result that arrives too late.

The table is data (registration/state_machine.py, ACTION_STATES); every state x every action is
tried here through the API (the capture through the service the socket calls), and the cells go
into the access table.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from registration import services
from registration.errors import Conflict, IllegalTransition
from registration.models import AuditEvent, VerificationSession
from registration.roles import SUPERVISOR
from registration.state_machine import ACTION_STATES, ALLOWED_TRANSITIONS, SessionState, is_allowed
from tests import factories
from tests.factories import UserFactory

from .report import record_access
from .snapshot import database_snapshot

pytestmark = [pytest.mark.security, pytest.mark.django_db]

S = SessionState
PHOTO = b"\xff\xd8document-photo"
REQUESTS: dict[str, tuple[str, dict[str, Any], int]] = {  # path, body, status when legal
    "consent": ("consent", {"consent_version": "3", "language": "zh-hans"}, 200),
    "alternative": ("alternative", {"reason": "declined"}, 200),
    "cancel": ("cancel", {}, 200),
    "decision": ("decision", {"decision": "approved", "note": "document checked"}, 200),
}
TARGET_OF_ACTION = {
    "consent": S.CONSENTED,
    "alternative": S.MANUAL_REVIEW,
    "document": S.DOCUMENT_CAPTURED,
    "retake": S.DOCUMENT_CAPTURED,
    "capture": S.LIVENESS_RUNNING,
    "cancel": S.CANCELLED,
    "decision": S.APPROVED,
}


def test_the_table_names_every_action_and_only_allowed_transitions() -> None:
    assert set(ACTION_STATES) == set(TARGET_OF_ACTION)
    for action, states in ACTION_STATES.items():
        for state in states:
            assert is_allowed(state, TARGET_OF_ACTION[action]), (state, action)
    assert S.MATCHING not in ACTION_STATES["alternative"]  # a match under way cannot be swapped for the alternative
    assert ACTION_STATES["decision"] == {S.MANUAL_REVIEW}  # only a case in manual review is decided by hand
    # The clerk's steps first, one handover: no photo is taken or retaken once the customer consented
    # (bar the first photo of a session consented in the old order), the consent needs the photo.
    assert ACTION_STATES["retake"] == {S.DOCUMENT_CAPTURED}
    assert ACTION_STATES["consent"] == {S.DOCUMENT_CAPTURED}
    assert S.CREATED not in ACTION_STATES["alternative"]  # the supervisor has a photo to check


def _reachable_without_consent() -> set[str]:
    """Every state a session can reach from created without passing through consented."""
    reached, todo = {str(S.CREATED)}, [str(S.CREATED)]
    while todo:
        for target in ALLOWED_TRANSITIONS[S(todo.pop())] - {S.CONSENTED} - reached:
            reached.add(str(target))
            todo.append(str(target))
    return reached


def test_no_path_to_the_capture_or_the_match_avoids_the_consent() -> None:
    """The document photo comes first now: still, no face is captured or compared before the consent."""
    assert _reachable_without_consent() == {
        "created", "document_captured", "manual_review", "approved", "rejected", "expired", "cancelled"
    }  # fmt: skip
    assert not ACTION_STATES["capture"] & _reachable_without_consent()


@pytest.mark.parametrize("action", sorted(REQUESTS))
@pytest.mark.parametrize("state", list(S))
def test_every_api_action_in_every_state(
    state: str, action: str, clerk: Any, supervisor: Any, client_for: Callable[[Any], APIClient]
) -> None:
    session = factories.make_session(clerk=clerk, state=state, portrait=PHOTO)
    path, body, legal_status = REQUESTS[action]
    user = supervisor if action == "decision" else clerk
    legal = state in ACTION_STATES[action]
    before = database_snapshot()
    url = f"/api/sessions/{session.pk}/{path}/"
    response = client_for(user).post(url, body, format="json")
    expected = legal_status if legal else 409
    record_access(f"POST api/sessions/{{id}}/{path}/ x state", "right user" if legal else "wrong state",
                  expected=expected, got=response.status_code)  # fmt: skip
    assert response.status_code == expected, (state, action, response.content[:300])
    if not legal:
        assert response.json()["error"]["code"] == "illegal_transition"
        assert database_snapshot() == before


@pytest.mark.parametrize("portrait", [None, PHOTO], ids=["first photo", "retake"])
@pytest.mark.parametrize("state", list(S))
def test_the_document_photo_in_every_state(
    state: str, portrait: bytes | None, clerk: Any, client_for: Callable[[Any], APIClient]
) -> None:
    session = factories.make_session(clerk=clerk, state=state, portrait=portrait)
    action = "retake" if portrait else "document"
    legal = state in ACTION_STATES[action]
    before = database_snapshot()
    image = SimpleUploadedFile("document.jpg", b"not an image", content_type="image/jpeg")
    response = client_for(clerk).post(f"/api/sessions/{session.pk}/document/", {"image": image}, format="multipart")
    expected = 400 if legal else 409  # a file that is no image: past the state check, the upload's own check
    record_access(f"POST api/sessions/{{id}}/document/ ({action}) x state", "right user" if legal else "wrong state",
                  expected=expected, got=response.status_code)  # fmt: skip
    assert response.status_code == expected, (state, action, response.content[:300])
    if not legal:
        assert response.json()["error"]["code"] == "illegal_transition"
        assert database_snapshot() == before


@pytest.mark.parametrize("state", list(S))
def test_the_capture_in_every_state(state: str, clerk: Any) -> None:
    session = factories.make_session(clerk=clerk, state=state, portrait=PHOTO)
    legal = state in ACTION_STATES["capture"]
    try:
        services.capture_start(session_id=session.pk, actor=clerk)
        got: int | str = "started"
    except IllegalTransition:
        got = 409
    record_access("WS ws/capture/{id}/ x state", "right user" if legal else "wrong state",
                  expected="started" if legal else 409, got=got)  # fmt: skip
    assert got == ("started" if legal else 409)


def test_a_session_consented_before_its_document_photo_takes_the_photo_then_consents_again(
    clerk: Any, client_for: Callable[[Any], APIClient], testdata: Any
) -> None:
    """Opened when the consent came first: consented, no photo. It cannot start the capture; the clerk
    photographs the document and the customer consents again after the handover (nothing rewritten)."""
    session = factories.make_session(clerk=clerk, **factories.SPECIMEN_PASSPORT)
    VerificationSession.objects.filter(pk=session.pk).update(state=S.CONSENTED)  # as the old order left it
    with pytest.raises(Conflict) as refused:
        services.capture_start(session_id=session.pk, actor=clerk)
    assert refused.value.code == "document_photo_required"
    specimen = (testdata / "id_documents" / "100_pass-chn.jpg").read_bytes()
    upload = SimpleUploadedFile("document.jpg", specimen, content_type="image/jpeg")
    photographed = client_for(clerk).post(
        f"/api/sessions/{session.pk}/document/", {"image": upload}, format="multipart"
    )
    assert photographed.status_code == 200, photographed.content[:300]
    assert photographed.json()["state"] == S.DOCUMENT_CAPTURED
    services.consent_record(session_id=session.pk, actor=clerk, consent_version="3", language="zh-hans")
    assert services.capture_start(session_id=session.pk, actor=clerk).state == S.LIVENESS_RUNNING


def test_a_match_result_for_a_session_that_moved_on_is_logged_and_audited(
    clerk: Any, caplog: pytest.LogCaptureFixture
) -> None:
    session = factories.make_session(clerk=clerk, state=S.MATCHING, portrait=PHOTO)
    services.session_cancel(session_id=session.pk, actor=clerk, reason="customer left")
    applied = services.match_apply(
        session_id=session.pk, decision="rejected", reasons=["face_mismatch"], distance=0.91, threshold=0.75,
        model="Dlib", detail={},
    )  # fmt: skip
    assert applied is False
    event = AuditEvent.objects.get(action="match.discarded", object_id=str(session.pk))
    assert event.details == {"state": "cancelled", "decision": "rejected", "distance": 0.91, "model": "Dlib"}
    assert event.outlet_id == session.outlet_id
    assert "discarded" in caplog.text
    # A repeat of a result that was written is not a discard.
    written = factories.make_session(clerk=clerk, state=S.MATCHING, portrait=PHOTO)
    for _ in range(2):
        services.match_apply(session_id=written.pk, decision="rejected", reasons=["face_mismatch"], distance=0.9,
                             threshold=0.75, model="Dlib", detail={})  # fmt: skip
    assert not AuditEvent.objects.filter(action="match.discarded", object_id=str(written.pk)).exists()


# --- four eyes ----------------------------------------------------------------------------------


def _decide(client: APIClient, session: VerificationSession, decision: str = "approved") -> Any:
    return client.post(f"/api/sessions/{session.pk}/decision/", {"decision": decision, "note": "n"}, format="json")


def test_the_supervisor_who_opened_a_registration_cannot_decide_it(
    supervisor: Any, outlet: Any, client_for: Callable[[Any], APIClient]
) -> None:
    session = factories.make_session(clerk=supervisor, state=S.DOCUMENT_CAPTURED, portrait=PHOTO)
    services.session_request_alternative(session_id=session.pk, actor=supervisor, reason="declined")
    before = database_snapshot()
    response = _decide(client_for(supervisor), session)
    record_access("POST api/sessions/{id}/decision/ own session", "wrong role", expected=403, got=response.status_code)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "four_eyes"
    assert database_snapshot() == before
    colleague = UserFactory(role=SUPERVISOR, outlet=outlet, is_staff=True)
    assert _decide(client_for(colleague), session).status_code == 200


def test_the_supervisor_who_photographed_the_document_cannot_decide_it(
    clerk: Any, supervisor: Any, client_for: Callable[[Any], APIClient], testdata: Any
) -> None:
    session = factories.make_session(clerk=clerk, **factories.SPECIMEN_PASSPORT)
    specimen = (testdata / "id_documents" / "100_pass-chn.jpg").read_bytes()
    upload = SimpleUploadedFile("document.jpg", specimen, content_type="image/jpeg")
    photographed = client_for(supervisor).post(
        f"/api/sessions/{session.pk}/document/", {"image": upload}, format="multipart"
    )
    assert photographed.status_code == 200, photographed.content[:300]
    services.session_request_alternative(session_id=session.pk, actor=clerk, reason="declined")
    response = _decide(client_for(supervisor), session)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "four_eyes"


def test_no_approval_without_a_document_photo_and_the_decision_says_what_was_checked(
    clerk: Any, supervisor: Any, client_for: Callable[[Any], APIClient]
) -> None:
    bare = factories.make_session(clerk=clerk)  # consented before any photo: only the old order left such a session
    VerificationSession.objects.filter(pk=bare.pk).update(state=S.CONSENTED)
    services.session_request_alternative(session_id=bare.pk, actor=clerk, reason="declined")
    before = database_snapshot()
    refused = _decide(client_for(supervisor), bare)
    record_access("POST api/sessions/{id}/decision/ no photo", "right user", expected=409, got=refused.status_code)
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "document_photo_required"
    assert database_snapshot() == before
    assert _decide(client_for(supervisor), bare, "rejected").status_code == 200  # a refusal needs no photo

    photographed = factories.make_session(clerk=clerk, state=S.DOCUMENT_CAPTURED, portrait=PHOTO)
    services.session_request_alternative(session_id=photographed.pk, actor=clerk, reason="declined")
    assert _decide(client_for(supervisor), photographed).status_code == 200
    event = AuditEvent.objects.get(action="session.approved", object_id=str(photographed.pk))
    assert event.actor_id == supervisor.pk
    assert event.details["checked"] == {
        "document_photo": True,
        "document_page": False,
        "live_frame": False,
        "non_biometric": True,
        "liveness_passed": None,
        "match_distance": None,
    }

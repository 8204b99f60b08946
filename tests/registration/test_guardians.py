"""A minor's guardian is an adult identified like a customer (a date of birth for a document whose
number lacks it), never the minor under another spelling; and a minor's registration is decided by a
supervisor even when the face matches."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from rest_framework.test import APIClient

from registration.models import ConsentRecord, VerificationSession
from registration.services.judgement import hold_automatic_approval
from registration.state_machine import SessionState
from tests.factories import make_prc_id

pytestmark = pytest.mark.django_db

MINOR_NAME = "王 小明"


@pytest.fixture
def minors_session(make_session: Callable[..., VerificationSession]) -> VerificationSession:
    return make_session(
        SessionState.DOCUMENT_CAPTURED, full_name=MINOR_NAME, document_number=make_prc_id(date(2016, 1, 1))
    )


def _consent(client: APIClient, session: VerificationSession, **guardian: Any) -> Any:
    return client.post(f"/api/sessions/{session.pk}/consent/", {"consent_version": "3", **guardian}, format="json")


@pytest.mark.parametrize(
    ("guardian", "code"),
    [
        ({"guardian_document_type": "passport", "guardian_document_number": "E12345678"}, "birth_date_required"),
        (
            {
                "guardian_document_type": "passport",
                "guardian_document_number": "E12345678",
                "guardian_birth_date": "2012-05-05",
            },
            "guardian_minor",
        ),
        ({"guardian_document_number": make_prc_id(date(2010, 5, 5))}, "guardian_minor"),
        ({"guardian_name": MINOR_NAME, "guardian_document_number": make_prc_id(date(1985, 5, 5))}, "guardian_is_minor"),
        (
            {"guardian_name": " 王  小明 ", "guardian_document_number": make_prc_id(date(1985, 5, 5))},
            "guardian_is_minor",
        ),
    ],
    ids=["passport-without-birth-date", "passport-of-a-child", "prc-of-a-child", "minors-name", "minors-name-spaced"],
)
def test_a_guardian_who_is_not_an_identified_adult_is_refused(
    client_for: Callable[[Any], APIClient],
    clerk: Any,
    minors_session: VerificationSession,
    guardian: dict[str, Any],
    code: str,
) -> None:
    response = _consent(client_for(clerk), minors_session, **{"guardian_name": "李 四", **guardian})
    assert response.status_code == 400, response.json()
    assert response.json()["error"]["code"] == code
    assert ConsentRecord.objects.count() == 0


def test_the_minors_own_document_is_not_a_guardians(
    client_for: Callable[[Any], APIClient], clerk: Any, make_session: Callable[..., VerificationSession]
) -> None:
    """The minor's own number (a permit, typed with its issue count as the guardian's passport)."""
    session = make_session(
        SessionState.DOCUMENT_CAPTURED,
        full_name=MINOR_NAME,
        document_type="hk_macao_permit",
        document_number="H20240606",
        birth_date=date(2016, 1, 1),
    )
    response = _consent(
        client_for(clerk),
        session,
        guardian_name="李 四",
        guardian_document_type="passport",
        guardian_document_number="H20240606",
        guardian_birth_date="1985-05-05",
    )
    assert response.status_code == 400, response.json()
    assert response.json()["error"]["code"] == "guardian_is_minor"


def test_an_adult_guardian_by_passport_with_a_birth_date_is_accepted(
    client_for: Callable[[Any], APIClient], clerk: Any, minors_session: VerificationSession
) -> None:
    response = _consent(
        client_for(clerk),
        minors_session,
        guardian_name="李 四",
        guardian_document_type="passport",
        guardian_document_number="E12345678",
        guardian_birth_date="1985-05-05",
    )
    assert response.status_code == 200, response.json()
    assert ConsentRecord.objects.filter(kind="guardian").count() == 1


def test_a_minors_match_in_the_accept_band_goes_to_a_supervisor(
    client_for: Callable[[Any], APIClient], clerk: Any, minors_session: VerificationSession
) -> None:
    assert minors_session.reference_binding == "chip"
    decision, reasons = hold_automatic_approval(minors_session, "approved", ["distance_below_accept_threshold"])
    assert (decision, reasons[-1]) == ("manual_review", "minor_needs_supervisor")

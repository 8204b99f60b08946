"""The REST API: success, permission denial and bad input for every endpoint."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from registration import selectors, services
from registration.models import (
    AuditEvent,
    ConsentRecord,
    Subscriber,
    SubscriberStatus,
    VerificationPolicy,
    VerificationSession,
)
from registration.state_machine import SessionState

pytestmark = pytest.mark.django_db

SESSIONS_URL = "/api/sessions/"


def _url(session: VerificationSession, action: str = "") -> str:
    return f"{SESSIONS_URL}{session.pk}/{action + '/' if action else ''}"


def _activate(session: VerificationSession) -> None:
    Subscriber.objects.filter(pk=session.subscriber_id).update(status=SubscriberStatus.ACTIVE)


# --- create -----------------------------------------------------------------------------------


def test_clerk_creates_a_registration(
    client_for: Callable[[Any], APIClient], clerk: Any, registration_input: Callable[..., dict[str, Any]]
) -> None:
    data = registration_input(phone_number="138 0013 8000")
    response = client_for(clerk).post(SESSIONS_URL, data, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["state"] == "created"
    assert body["phone_number"] == "+8613800138000"
    assert body["subscriber_status"] == "pending"
    assert "challenge_plan" not in body  # drawn per attempt when the capture starts, never shown here
    assert data["document_number"] not in str(body)  # only the masked number leaves the server
    assert AuditEvent.objects.filter(action="session.created", object_id=body["id"]).count() == 1


def test_anonymous_cannot_create(
    client_for: Callable[[Any], APIClient], registration_input: Callable[..., dict[str, Any]]
) -> None:
    response = client_for(None).post(SESSIONS_URL, registration_input(), format="json")
    assert response.status_code in (401, 403)
    assert VerificationSession.objects.count() == 0


def test_user_without_outlet_cannot_create(
    client_for: Callable[[Any], APIClient], registration_input: Callable[..., dict[str, Any]]
) -> None:
    from tests.factories import UserFactory

    response = client_for(UserFactory()).post(SESSIONS_URL, registration_input(), format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "no_outlet"


@pytest.mark.parametrize(
    ("overrides", "field_or_code"),
    [
        ({"phone_number": "12345"}, "phone_format"),
        ({"document_number": "110105194912310021"}, "id_checksum"),
        ({"document_type": "library_card"}, "document_type"),
        ({"full_name": 42}, "invalid_input"),
        ({"nickname": "x"}, "invalid_input"),
        ({"full_name": "   "}, "invalid_input"),
        ({"birth_date": "not a date"}, "invalid_input"),
    ],
)
def test_bad_registration_input_is_a_clear_400_and_writes_nothing(
    client_for: Callable[[Any], APIClient],
    clerk: Any,
    registration_input: Callable[..., dict[str, Any]],
    overrides: dict[str, Any],
    field_or_code: str,
) -> None:
    response = client_for(clerk).post(SESSIONS_URL, registration_input(**overrides), format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == field_or_code or field_or_code in error["details"]
    assert VerificationSession.objects.count() == 0
    assert Subscriber.objects.count() == 0


def test_malformed_json_is_a_clear_400(client_for: Callable[[Any], APIClient], clerk: Any) -> None:
    response = client_for(clerk).post(SESSIONS_URL, '{"full_name": "x",', content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


def test_duplicate_active_phone_number_is_refused(
    client_for: Callable[[Any], APIClient],
    clerk: Any,
    make_session: Callable[..., VerificationSession],
    registration_input: Callable[..., dict[str, Any]],
) -> None:
    first = make_session()
    _activate(first)
    response = client_for(clerk).post(
        SESSIONS_URL, registration_input(phone_number=first.subscriber.phone_number), format="json"
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "phone_in_use"
    assert VerificationSession.objects.count() == 1


def test_per_id_limit_is_enforced(
    client_for: Callable[[Any], APIClient],
    clerk: Any,
    make_session: Callable[..., VerificationSession],
    registration_input: Callable[..., dict[str, Any]],
    settings: Any,
) -> None:
    settings.SHIMING_MAX_ACTIVE_NUMBERS_PER_ID = 2
    number = registration_input()["document_number"]
    for _ in range(2):
        _activate(make_session(document_number=number))
    response = client_for(clerk).post(SESSIONS_URL, registration_input(document_number=number), format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "id_limit_reached"
    assert VerificationSession.objects.count() == 2


# --- read and list ----------------------------------------------------------------------------


def test_read_own_session_and_not_another_outlets(
    client_for: Callable[[Any], APIClient],
    clerk: Any,
    other_clerk: Any,
    make_session: Callable[..., VerificationSession],
) -> None:
    session = make_session()
    assert client_for(clerk).get(_url(session)).json()["id"] == str(session.pk)
    response = client_for(other_clerk).get(_url(session))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert client_for(None).get(_url(session)).status_code in (401, 403)


def test_list_is_scoped_to_the_outlet_and_filters(
    client_for: Callable[[Any], APIClient],
    clerk: Any,
    other_clerk: Any,
    make_session: Callable[..., VerificationSession],
    registration_input: Callable[..., dict[str, Any]],
) -> None:
    mine = [make_session() for _ in range(3)]
    services.registration_create(clerk=other_clerk, **registration_input())
    services.session_cancel(session_id=mine[0].pk, actor=clerk)
    body = client_for(clerk).get(SESSIONS_URL).json()
    assert body["count"] == 3
    assert {row["id"] for row in body["results"]} == {str(s.pk) for s in mine}
    cancelled = client_for(clerk).get(SESSIONS_URL, {"state": "cancelled"}).json()
    assert [row["id"] for row in cancelled["results"]] == [str(mine[0].pk)]
    phone = mine[1].subscriber.phone_number
    by_phone = client_for(clerk).post(f"{SESSIONS_URL}search/", {"phone_number": phone}, format="json").json()
    assert [row["id"] for row in by_phone["results"]] == [str(mine[1].pk)]
    in_the_address = client_for(clerk).get(SESSIONS_URL, {"phone_number": phone})
    assert in_the_address.status_code == 400
    assert in_the_address.json()["error"]["code"] == "phone_in_address"
    assert client_for(clerk).get(SESSIONS_URL, {"date": "yesterday"}).status_code == 400
    assert client_for(clerk).get(SESSIONS_URL, {"colour": "red"}).status_code == 400


# --- consent, alternative, cancel -------------------------------------------------------------


def test_consent_moves_the_session_and_keeps_the_record(
    client_for: Callable[[Any], APIClient],
    clerk: Any,
    make_session: Callable[..., VerificationSession],
) -> None:
    session = make_session(SessionState.DOCUMENT_CAPTURED)
    response = client_for(clerk).post(
        _url(session, "consent"), {"consent_version": "3", "language": "en"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "consented"
    record = ConsentRecord.objects.get(session=session)
    assert (record.consent_text.version, record.consent_text.language) == ("3", "en")


def test_consent_text_names_the_configured_retention_and_the_record_keeps_it(
    client_for: Callable[[Any], APIClient],
    clerk: Any,
    make_session: Callable[..., VerificationSession],
) -> None:
    """The retention is editable in the admin: the text shown and the consent record follow it."""
    VerificationPolicy.objects.create(pk=1, evidence_retention_hours=24)
    client = client_for(clerk)
    phrases = (("en", "within 24 hours after the transaction ends"), ("zh-hans", "业务办结后24小时内删除"))
    for language, phrase in phrases:
        shown = client.get("/api/consent-text/", {"kind": "face_processing", "language": language}).json()
        assert phrase in shown["body"]
        assert "72" not in shown["body"]
    session = make_session(SessionState.DOCUMENT_CAPTURED)
    consent = {"consent_version": shown["version"], "language": "zh-hans"}
    response = client.post(_url(session, "consent"), consent, format="json")
    assert response.status_code == 200, response.json()
    record = ConsentRecord.objects.get(session=session)
    assert (record.retention_hours, record.shown_body) == (24, shown["body"])


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_consent_text_says_what_a_lawyer_asks_from_the_live_policy(
    client_for: Callable[[Any], APIClient], clerk: Any, settings: Any, language: str
) -> None:
    """Controller and contact, retention, the review's limit, the identity's keep period and the
    screen-light step (only when the policy has it on), all rendered from the configuration."""
    settings.SHIMING_CONTROLLER_NAME = "Example Telecom Co."
    settings.SHIMING_CONTROLLER_CONTACT = "privacy@example.test"
    VerificationPolicy.objects.create(pk=1, review_close_days=9, identity_keep_days=1095, light_challenge=False)
    client = client_for(clerk)

    def body() -> str:
        shown = client.get("/api/consent-text/", {"kind": "face_processing", "language": language}).json()
        assert shown["version"] == "3"
        assert shown["published_at"]
        return str(shown["body"])

    without_light = body()
    periods = ("72 hours", "at most 9 days", "for 3 years") if language == "en" else ("72小时", "9天", "3年")
    for phrase in ("Example Telecom Co.", "privacy@example.test", *periods):
        assert phrase in without_light
    assert "{" not in without_light
    VerificationPolicy.objects.filter(pk=1).update(light_challenge=True)
    with_light = body()
    assert len(with_light) > len(without_light)
    assert ("screen shows a few colours" if language == "en" else "屏幕会依次显示几种颜色") in with_light


def test_consent_to_an_unknown_text_version_is_refused(
    client_for: Callable[[Any], APIClient],
    clerk: Any,
    make_session: Callable[..., VerificationSession],
) -> None:
    session = make_session(SessionState.DOCUMENT_CAPTURED)
    response = client_for(clerk).post(_url(session, "consent"), {"consent_version": "99"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "consent_version"
    assert ConsentRecord.objects.count() == 0


def test_consent_twice_is_an_illegal_transition(
    client_for: Callable[[Any], APIClient],
    clerk: Any,
    consented_session: VerificationSession,
) -> None:
    client = client_for(clerk)
    client.credentials(HTTP_ACCEPT_LANGUAGE="en")
    response = client.post(_url(consented_session, "consent"), {"consent_version": "3"}, format="json")
    assert response.status_code == 409
    assert response.json()["error"] == {
        "code": "illegal_transition",
        "message": "This step is not possible in the session's current state.",
        "details": {"from": "consented", "action": "consent"},
    }


def test_consent_on_another_outlets_session_is_not_found(
    client_for: Callable[[Any], APIClient],
    other_clerk: Any,
    make_session: Callable[..., VerificationSession],
) -> None:
    session = make_session(SessionState.DOCUMENT_CAPTURED)
    response = client_for(other_clerk).post(_url(session, "consent"), {"consent_version": "3"}, format="json")
    assert response.status_code == 404
    session.refresh_from_db()
    assert session.state == "document_captured"


def test_minor_needs_a_guardians_consent(
    client_for: Callable[[Any], APIClient],
    clerk: Any,
    make_session: Callable[..., VerificationSession],
) -> None:
    from datetime import date

    from tests.factories import make_prc_id

    session = make_session(SessionState.DOCUMENT_CAPTURED, document_number=make_prc_id(date(2016, 1, 1)))
    client = client_for(clerk)
    refused = client.post(_url(session, "consent"), {"consent_version": "3"}, format="json")
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "guardian_required"
    assert ConsentRecord.objects.count() == 0
    accepted = client.post(
        _url(session, "consent"),
        {"consent_version": "3", "guardian_name": "李 四", "guardian_document_number": make_prc_id(date(1985, 5, 5))},
        format="json",
    )
    assert accepted.status_code == 200, accepted.json()
    assert sorted(ConsentRecord.objects.values_list("kind", flat=True)) == ["face_processing", "guardian"]


def test_non_biometric_alternative_goes_to_a_supervisor(
    client_for: Callable[[Any], APIClient],
    clerk: Any,
    make_session: Callable[..., VerificationSession],
) -> None:
    session = make_session(SessionState.DOCUMENT_CAPTURED)
    response = client_for(clerk).post(_url(session, "alternative"), {"reason": "declines face scan"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert (body["state"], body["non_biometric"]) == ("manual_review", True)


def test_cancel_and_cancel_again(
    client_for: Callable[[Any], APIClient],
    clerk: Any,
    other_clerk: Any,
    make_session: Callable[..., VerificationSession],
) -> None:
    session = make_session()
    assert client_for(other_clerk).post(_url(session, "cancel"), {}, format="json").status_code == 404
    response = client_for(clerk).post(_url(session, "cancel"), {"reason": "customer left"}, format="json")
    assert response.json()["state"] == "cancelled"
    assert response.json()["subscriber_status"] == "rejected"
    again = client_for(clerk).post(_url(session, "cancel"), {}, format="json")
    assert again.status_code == 409
    assert client_for(clerk).post(_url(session, "cancel"), {"why": "x"}, format="json").status_code == 400


def test_expired_session_refuses_further_steps(
    client_for: Callable[[Any], APIClient],
    clerk: Any,
    make_session: Callable[..., VerificationSession],
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    session = make_session(SessionState.DOCUMENT_CAPTURED)
    VerificationSession.objects.filter(pk=session.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client_for(clerk).post(_url(session, "consent"), {"consent_version": "3"}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "session_expired"
    session.refresh_from_db()
    assert session.state == "expired"
    assert ConsentRecord.objects.count() == 0


# --- supervisor decision ----------------------------------------------------------------------


def test_supervisor_decides_a_manual_review(
    client_for: Callable[[Any], APIClient],
    clerk: Any,
    supervisor: Any,
    make_session: Callable[..., VerificationSession],
) -> None:
    session = services.session_request_alternative(
        session_id=make_session(SessionState.DOCUMENT_CAPTURED).pk, actor=clerk, reason=""
    )
    url = _url(session, "decision")
    denied = client_for(clerk).post(url, {"decision": "approved", "note": "checked"}, format="json")
    assert denied.status_code == 403
    assert denied.json()["error"]["code"] == "supervisor_required"
    assert client_for(supervisor).post(url, {"decision": "maybe", "note": "x"}, format="json").status_code == 400
    assert client_for(supervisor).post(url, {"decision": "approved"}, format="json").status_code == 400
    response = client_for(supervisor).post(
        url, {"decision": "approved", "note": "document checked by hand"}, format="json"
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["state"], body["subscriber_status"], body["decided_by"]) == ("approved", "active", supervisor.username)
    assert AuditEvent.objects.filter(object_id=str(session.pk), action="session.approved", actor=supervisor).exists()


def test_decision_outside_manual_review_is_409(
    client_for: Callable[[Any], APIClient],
    supervisor: Any,
    make_session: Callable[..., VerificationSession],
) -> None:
    session = make_session()
    response = client_for(supervisor).post(
        _url(session, "decision"), {"decision": "approved", "note": "x"}, format="json"
    )
    assert response.status_code == 409


def test_supervisor_approval_still_respects_the_per_id_limit(
    client_for: Callable[[Any], APIClient],
    clerk: Any,
    supervisor: Any,
    make_session: Callable[..., VerificationSession],
    registration_input: Callable[..., dict[str, Any]],
    settings: Any,
) -> None:
    settings.SHIMING_MAX_ACTIVE_NUMBERS_PER_ID = 1
    number = registration_input()["document_number"]
    waiting = services.session_request_alternative(
        session_id=make_session(SessionState.DOCUMENT_CAPTURED, document_number=number).pk, actor=clerk, reason=""
    )
    _activate(make_session(document_number=number))
    response = client_for(supervisor).post(
        _url(waiting, "decision"), {"decision": "approved", "note": "ok"}, format="json"
    )
    assert response.json()["state"] == "rejected"
    assert response.json()["decision_reasons"] == ["id_limit_reached"]


# --- consent text, health, schema ---------------------------------------------------------------


def test_the_api_page_and_pushes_share_one_session_shape(
    client_for: Callable[[Any], APIClient], clerk: Any, consented_session: VerificationSession
) -> None:
    """One shape of a session: what the API answers is what the page starts from and the pushes carry."""
    answer = client_for(clerk).get(f"/api/sessions/{consented_session.pk}/").json()
    session = VerificationSession.objects.get(pk=consented_session.pk)
    assert json.loads(json.dumps(selectors.session_public_payload(session))) == answer


def test_consent_text_is_served_in_the_customers_language(client_for: Callable[[Any], APIClient], clerk: Any) -> None:
    body = client_for(clerk).get("/api/consent-text/", {"language": "en"}).json()
    assert body["version"] == "3"
    assert "refuse" in body["body"]
    assert client_for(None).get("/api/consent-text/").status_code in (401, 403)
    assert client_for(clerk).get("/api/consent-text/", {"kind": "tattoo"}).status_code == 400


def test_health_checks_database_and_redis(client_for: Callable[[Any], APIClient]) -> None:
    response = client_for(None).get(reverse("registration:health"))
    assert response.status_code == 200
    assert response.json() == {"ok": True, "checks": {"database": "ok", "redis": "ok"}}


def test_health_reports_redis_down(client_for: Callable[[Any], APIClient], settings: Any) -> None:
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client_for(None).get(reverse("registration:health"))
    assert response.status_code == 503
    assert response.json()["checks"]["redis"].startswith("error")


def test_openapi_schema_and_docs_are_served(client: Any, clerk: Any) -> None:
    client.force_login(clerk)
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/sessions/{session_id}/consent/" in schema.content
    assert client.get("/api/docs/").status_code == 200


def test_token_auth_for_integrations(clerk: Any, registration_input: Callable[..., dict[str, Any]]) -> None:
    client = APIClient()
    token = client.post("/api/auth/token/", {"username": clerk.username, "password": "correct horse battery"}).json()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token['token']}")
    assert client.post(SESSIONS_URL, registration_input(), format="json").status_code == 201

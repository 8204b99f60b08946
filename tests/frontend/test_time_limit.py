"""The registration's time on the customer's screens: the consent and the live check show the limit,
the consent offers one extension (half the session's time, audited), refused a second time and once
the consent is given; the page that shows the end is the result (tests/frontend/test_customer_mode.py:
in the customer's hands it asks for the tablet back)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.test import Client
from django.utils import timezone

from registration.models import AuditEvent, VerificationSession
from registration.state_machine import SessionState
from registration.verification_policy import effective_policy


def reading(make_session: Callable[..., VerificationSession]) -> VerificationSession:
    return make_session(SessionState.DOCUMENT_CAPTURED, portrait=b"portrait")


def test_the_consent_shows_the_time_left_and_offers_more_once(
    signed_in: Client, make_session: Callable[..., VerificationSession]
) -> None:
    session = reading(make_session)
    html = signed_in.get(f"/sessions/{session.pk}/consent/").content.decode()
    assert 'id="time-left"' in html
    assert f'data-extend-url="/api/sessions/{session.pk}/extend/"' in html
    assert f'data-end-url="/sessions/{session.pk}/result/"' in html
    before = session.expires_at

    extended = signed_in.post(f"/api/sessions/{session.pk}/extend/", content_type="application/json", data={})

    assert extended.status_code == 200, extended.content
    session.refresh_from_db()
    assert session.expires_at - before == timedelta(seconds=effective_policy().session_ttl_seconds // 2)
    again = signed_in.post(f"/api/sessions/{session.pk}/extend/", content_type="application/json", data={})
    assert (again.status_code, again.json()["error"]["code"]) == (409, "extension_used")
    assert again.json()["error"]["message"] == "时间已经延长过一次。"
    assert AuditEvent.objects.filter(action="session_time.extended", object_id=str(session.pk)).count() == 1
    assert "data-extend-url" not in signed_in.get(f"/sessions/{session.pk}/consent/").content.decode()


def test_no_extension_once_the_consent_is_given_or_the_time_is_up(
    signed_in: Client, make_session: Callable[..., VerificationSession]
) -> None:
    consented = make_session(SessionState.CONSENTED, portrait=b"portrait")
    refused = signed_in.post(f"/api/sessions/{consented.pk}/extend/", content_type="application/json", data={})
    assert refused.json()["error"]["code"] == "extension_not_now"
    capture = signed_in.get(f"/sessions/{consented.pk}/capture/").content.decode()
    assert 'id="time-left"' in capture
    assert "data-extend-url" not in capture

    late = reading(make_session)
    VerificationSession.objects.filter(pk=late.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    expired = signed_in.post(f"/api/sessions/{late.pk}/extend/", content_type="application/json", data={})
    assert expired.json()["error"]["code"] == "session_expired"

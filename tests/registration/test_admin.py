"""The admin: the manual-review queue decides through the services; evidence only for supervisors, audited."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from registration import services
from registration.models import AuditEvent, EvidenceKind, VerificationSession
from registration.roles import CLERK
from registration.state_machine import SessionState
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

QUEUE_URL = "/admin/registration/manualreviewsession/"


def _admin_client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def waiting_session(make_session: Callable[..., VerificationSession], clerk: Any) -> VerificationSession:
    return services.session_request_alternative(
        session_id=make_session(SessionState.DOCUMENT_CAPTURED).pk, actor=clerk, reason="no consent"
    )


def test_supervisor_sees_the_queue_and_each_case_opens_its_review_page(
    supervisor: Any, waiting_session: VerificationSession, make_session: Callable[..., VerificationSession]
) -> None:
    """Deciding is done case by case on the review page (tests/frontend/test_review.py), not by a bulk action."""
    not_waiting = make_session()
    client = _admin_client(supervisor)
    page = client.get(QUEUE_URL)
    assert page.status_code == 200
    assert f'href="/review/{waiting_session.pk}/"' in page.content.decode()
    assert str(not_waiting.pk) not in page.content.decode()
    response = client.post(QUEUE_URL, {"action": "approve_sessions", "_selected_action": [str(waiting_session.pk)]})
    waiting_session.refresh_from_db()
    assert waiting_session.state == "manual_review"  # no such action any more
    assert not AuditEvent.objects.filter(object_id=str(waiting_session.pk), action="session.approved").exists()
    assert response.status_code in {200, 302}


def test_search_by_phone_number_and_filter_by_state(supervisor: Any, waiting_session: VerificationSession) -> None:
    client = _admin_client(supervisor)
    found = client.get("/admin/registration/verificationsession/", {"q": waiting_session.subscriber.phone_number})
    assert str(waiting_session.pk) in found.content.decode()
    filtered = client.get("/admin/registration/verificationsession/", {"state__exact": "approved"})
    assert str(waiting_session.pk) not in filtered.content.decode()


def test_evidence_is_shown_to_supervisors_only_and_every_view_is_audited(
    supervisor: Any, outlet: Any, waiting_session: VerificationSession
) -> None:
    services.evidence_store(
        session=waiting_session, kind=EvidenceKind.ID_PORTRAIT, content=b"\xff\xd8jpeg", content_type="image/jpeg"
    )
    url = f"/admin/registration/verificationsession/{waiting_session.pk}/evidence/id_portrait/"
    staff_clerk = UserFactory(role=CLERK, outlet=outlet, is_staff=True)
    assert _admin_client(staff_clerk).get(url).status_code == 403
    response = _admin_client(supervisor).get(url)
    assert response.status_code == 200
    assert b"data:image/jpeg;base64," in response.content
    views = AuditEvent.objects.filter(action="evidence.viewed", object_id=str(waiting_session.pk))
    assert [(event.actor, event.details["purpose"]) for event in views] == [(supervisor, "admin_review")]


def test_the_whole_document_page_is_not_shown_in_the_admin(
    supervisor: Any, waiting_session: VerificationSession
) -> None:
    """Only the review page shows it, to the supervisor who may decide the case."""
    services.evidence_store(
        session=waiting_session, kind=EvidenceKind.DOCUMENT_PHOTO, content=b"\xff\xd8jpeg", content_type="image/jpeg"
    )
    client = _admin_client(supervisor)

    change = client.get(f"/admin/registration/verificationsession/{waiting_session.pk}/change/").content.decode()
    page = client.get(f"/admin/registration/verificationsession/{waiting_session.pk}/evidence/document_photo/")

    assert "evidence/document_photo/" not in change
    assert page.status_code == 404
    assert not AuditEvent.objects.filter(action="evidence.viewed").exists()


def test_supervisor_of_another_outlet_cannot_see_the_session(
    other_outlet: Any, waiting_session: VerificationSession
) -> None:
    from registration.roles import SUPERVISOR

    stranger = UserFactory(role=SUPERVISOR, outlet=other_outlet, is_staff=True)
    client = _admin_client(stranger)
    assert str(waiting_session.pk) not in client.get(QUEUE_URL).content.decode()
    url = f"/admin/registration/verificationsession/{waiting_session.pk}/evidence/id_portrait/"
    assert client.get(url).status_code == 404


def test_audit_log_is_read_only_in_the_admin(supervisor: Any, waiting_session: VerificationSession) -> None:
    client = _admin_client(supervisor)
    event = AuditEvent.objects.filter(object_id=str(waiting_session.pk)).first()
    assert event is not None
    assert client.get("/admin/registration/auditevent/add/").status_code == 403
    assert client.post(f"/admin/registration/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403


def test_clerk_cannot_use_the_admin(clerk: Any) -> None:
    response = _admin_client(clerk).get(QUEUE_URL)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_admin_changes_retention_and_thresholds_and_it_is_audited(
    make_session: Callable[..., VerificationSession], clerk: Any
) -> None:
    from registration.models import VerificationPolicy
    from registration.roles import ADMIN
    from registration.verification_policy import effective_policy

    admin_user = UserFactory(role=ADMIN, is_staff=True, is_superuser=True)
    client = _admin_client(admin_user)
    form = {
        "face_accept_threshold": "0.9",  # the OMZ matcher's cosine similarity: higher is closer
        "face_reject_threshold": "0.5",
        "evidence_retention_hours": "24",
        "max_active_numbers_per_id": "",
        "session_ttl_seconds": "",
        "max_liveness_attempts": "",
    }
    response = client.post("/admin/registration/verificationpolicy/add/", form)
    assert response.status_code == 302
    policy = effective_policy()
    assert (policy.face_accept_threshold, policy.face_reject_threshold) == (0.9, 0.5)
    assert policy.face_thresholds_from == "admin"
    assert VerificationPolicy.objects.get().face_thresholds_matcher == "omz-0095"
    assert policy.evidence_retention_hours == 24
    event = AuditEvent.objects.get(action="policy.updated")
    assert event.actor == admin_user
    assert event.details["changes"]["evidence_retention_hours"] == [None, 24]
    session = services.session_cancel(session_id=make_session().pk, actor=clerk)
    assert session.evidence_purge_after is not None
    assert session.decided_at is not None
    assert round((session.evidence_purge_after - session.decided_at).total_seconds()) == 24 * 3600
    assert VerificationPolicy.objects.count() == 1


def test_supervisor_cannot_change_the_policy(supervisor: Any) -> None:
    response = _admin_client(supervisor).get("/admin/registration/verificationpolicy/add/")
    assert response.status_code == 403


def test_a_refused_policy_save_shows_the_error_and_no_success_message() -> None:
    from django.contrib.messages import get_messages

    from registration.models import VerificationPolicy
    from registration.roles import ADMIN

    client = _admin_client(UserFactory(role=ADMIN, is_staff=True, is_superuser=True))
    form = {
        "face_accept_threshold": "0.4",  # a similarity farther than the reject threshold: refused
        "face_reject_threshold": "0.5",
        "evidence_retention_hours": "24",
        "max_active_numbers_per_id": "",
        "session_ttl_seconds": "",
        "max_liveness_attempts": "",
    }
    response = client.post("/admin/registration/verificationpolicy/add/", form, follow=True)
    shown = [(message.level_tag, str(message)) for message in get_messages(response.wsgi_request)]
    page = response.content.decode()
    assert not [text for level, text in shown if level == "success"], shown
    assert "The approve threshold must be at least as close as the reject threshold." in page
    assert not VerificationPolicy.objects.exists()
    assert not AuditEvent.objects.filter(action="policy.updated").exists()


def test_the_policy_change_page_saves_through_the_service_and_refuses_bad_thresholds() -> None:
    from registration.models import VerificationPolicy
    from registration.roles import ADMIN
    from registration.verification_policy import effective_policy

    client = _admin_client(UserFactory(role=ADMIN, is_staff=True, is_superuser=True))
    form = {
        "face_accept_threshold": "0.9",
        "face_reject_threshold": "0.5",
        "evidence_retention_hours": "",
        "max_active_numbers_per_id": "",
        "session_ttl_seconds": "",
        "max_liveness_attempts": "",
    }
    assert client.post("/admin/registration/verificationpolicy/add/", form).status_code == 302
    change_url = f"/admin/registration/verificationpolicy/{VerificationPolicy.objects.get().pk}/change/"
    refused = client.post(change_url, {**form, "face_accept_threshold": "0.45"})
    assert refused.status_code == 200  # the form again, with the service's error
    assert "The approve threshold must be at least as close as the reject threshold." in refused.content.decode()
    assert effective_policy().face_accept_threshold == 0.9
    assert client.post(change_url, {**form, "face_accept_threshold": "0.8"}).status_code == 302
    assert effective_policy().face_accept_threshold == 0.8
    assert AuditEvent.objects.filter(action="policy.updated").count() == 2

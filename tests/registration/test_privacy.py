"""Data subject rights and retention: export and erasure (command and admin), purge on schedule."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from registration import services
from registration.models import AuditEvent, Evidence, EvidenceKind, IdentityDocument, Subscriber, VerificationSession
from registration.roles import ADMIN
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(
    make_session: Callable[..., VerificationSession], registration_input: Callable[..., dict[str, Any]], clerk: Any
) -> dict[str, Any]:
    number = registration_input()["document_number"]
    active = make_session(document_number=number)
    Subscriber.objects.filter(pk=active.subscriber_id).update(status="active")
    pending = make_session(document_number=number)
    for session in (active, pending):
        services.evidence_store(
            session=session, kind=EvidenceKind.ID_PORTRAIT, content=b"jpeg", content_type="image/jpeg"
        )
    VerificationSession.objects.filter(pk=pending.pk).update(state="document_captured")
    services.consent_record(session_id=pending.pk, actor=clerk, consent_version="3", language="en")
    return {"number": number, "active": active, "pending": pending}


def test_export_lists_everything_held_and_is_audited(person: dict[str, Any]) -> None:
    out = StringIO()
    call_command("subject_data", "export", person["number"], stdout=out)
    export = json.loads(out.getvalue())
    assert export["document"]["number"] == person["number"]
    assert len(export["subscribers"]) == 2
    sessions = {row["id"]: row for row in export["verification_sessions"]}
    assert sessions[str(person["pending"].pk)]["consents"][0]["kind"] == "face_processing"
    assert sessions[str(person["pending"].pk)]["evidence_held"] == ["id_portrait"]
    assert AuditEvent.objects.filter(action="subject.exported").count() == 1


def test_erasure_deletes_evidence_and_keeps_only_what_the_real_name_rules_require(person: dict[str, Any]) -> None:
    call_command("subject_data", "erase", person["number"], "--yes", stdout=StringIO())
    assert not Evidence.objects.exists()
    pending = VerificationSession.objects.get(pk=person["pending"].pk)
    assert pending.state == "cancelled"
    assert pending.subscriber.full_name == "(erased)"
    assert pending.subscriber.phone_number == ""
    active = Subscriber.objects.get(pk=person["active"].subscriber_id)
    assert active.status == "active"
    assert active.full_name != "(erased)"
    event = AuditEvent.objects.get(action="subject.erased")  # one row per outlet holding the person: one here
    assert event.details == {
        "evidence_deleted": 2,
        "subscribers_erased": 1,
        "subscribers_kept_active": 1,
        "document_erased": 0,
        "reason": "subject_request",
        "outlets": [event.outlet.code if event.outlet else "?"],
    }


def test_unknown_subject_is_a_clear_error(registration_input: Callable[..., dict[str, Any]]) -> None:
    with pytest.raises(CommandError, match="No data is held"):
        call_command("subject_data", "export", registration_input()["document_number"])
    with pytest.raises(CommandError, match="check digit"):
        call_command("subject_data", "export", "110105194912310021")


def test_admin_exports_and_erases_through_the_services(person: dict[str, Any]) -> None:
    admin_user = UserFactory.create(role=ADMIN, is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin_user)
    identity = IdentityDocument.objects.get()
    url = "/admin/registration/identitydocument/"
    response = client.post(url, {"action": "export_subjects", "_selected_action": [identity.pk]})
    assert response.status_code == 200
    assert json.loads(response.content)[0]["document"]["number"] == person["number"]
    client.post(url, {"action": "erase_subjects", "_selected_action": [identity.pk]})
    assert not Evidence.objects.exists()
    assert {event.actor for event in AuditEvent.objects.filter(action__startswith="subject.")} == {admin_user}


def test_admin_ends_the_service_of_a_persons_active_numbers(person: dict[str, Any]) -> None:
    admin_user = UserFactory.create(role=ADMIN, is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin_user)
    identity = IdentityDocument.objects.get()
    client.post("/admin/registration/identitydocument/", {"action": "end_service", "_selected_action": [identity.pk]})
    active = Subscriber.objects.get(pk=person["active"].subscriber_id)
    assert active.status == "ended"
    assert active.service_ended_at is not None
    event = AuditEvent.objects.get(action="subscriber.service_ended")
    assert (event.actor, event.object_id) == (admin_user, str(active.pk))


def test_supervisor_cannot_erase(person: dict[str, Any], supervisor: Any) -> None:
    client = Client()
    client.force_login(supervisor)
    identity = IdentityDocument.objects.get()
    client.post(
        "/admin/registration/identitydocument/", {"action": "erase_subjects", "_selected_action": [identity.pk]}
    )
    assert Evidence.objects.count() == 2


def test_purge_command_deletes_only_evidence_past_retention(
    make_session: Callable[..., VerificationSession], clerk: Any
) -> None:
    old, recent, open_session = make_session(), make_session(), make_session()
    for session in (old, recent, open_session):
        services.evidence_store(session=session, kind=EvidenceKind.ID_PORTRAIT, content=b"x", content_type="image/jpeg")
    for session in (old, recent):
        services.session_cancel(session_id=session.pk, actor=clerk)
    VerificationSession.objects.filter(pk=old.pk).update(evidence_purge_after=timezone.now() - timedelta(seconds=1))
    out = StringIO()
    call_command("purge_evidence", stdout=out)
    assert "evidence rows purged: 1" in out.getvalue()
    assert set(Evidence.objects.values_list("session_id", flat=True)) == {recent.pk, open_session.pk}

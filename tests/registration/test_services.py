"""Rules that live in the services: encryption at rest, audit, key rotation, limits under concurrency."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from registration import crypto, services
from registration.errors import Conflict
from registration.models import AuditEvent, Evidence, EvidenceKind, IdentityDocument, VerificationSession

KEY_A = "a:" + "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE="
KEY_B = "b:" + "QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI="


@pytest.mark.django_db
def test_evidence_is_encrypted_at_rest_and_bound_to_its_session(
    new_session: Callable[..., VerificationSession], clerk: Any
) -> None:
    first, second = new_session(), new_session()
    secret = b"\xff\xd8 portrait bytes"
    evidence = services.evidence_store(
        session=first, kind=EvidenceKind.ID_PORTRAIT, content=secret, content_type="image/jpeg"
    )
    stored = bytes(Evidence.objects.get(pk=evidence.pk).ciphertext)
    assert secret not in stored
    assert services.evidence_read(evidence=evidence, actor=clerk, purpose="test") == secret
    assert AuditEvent.objects.filter(action="evidence.viewed", object_id=str(first.pk), actor=clerk).count() == 1
    moved = Evidence.objects.create(
        session=second,
        kind=EvidenceKind.ID_PORTRAIT,
        content_type="image/jpeg",
        key_id=evidence.key_id,
        ciphertext=stored,
    )
    with pytest.raises(crypto.DecryptionFailed):
        services.evidence_read(evidence=moved, actor=clerk, purpose="test")


@pytest.mark.django_db
def test_id_numbers_are_stored_encrypted_with_a_keyed_hash(
    new_session: Callable[..., VerificationSession], registration_input: Callable[..., dict[str, Any]]
) -> None:
    data = registration_input()
    session = new_session(document_number=data["document_number"])
    document = IdentityDocument.objects.get(pk=session.subscriber.document_id)
    assert data["document_number"].encode() not in bytes(document.number_encrypted)
    assert document.number_hash == crypto.id_number_hash("prc_id", data["document_number"])
    assert data["document_number"] not in document.number_hash


@pytest.mark.django_db
def test_key_rotation_reencrypts_everything(
    new_session: Callable[..., VerificationSession], clerk: Any, settings: Any
) -> None:
    settings.SHIMING_EVIDENCE_KEYS = [KEY_A]
    session = new_session()
    services.evidence_store(session=session, kind=EvidenceKind.LIVE_FRAME, content=b"frame", content_type="image/jpeg")
    settings.SHIMING_EVIDENCE_KEYS = [KEY_B, KEY_A]
    call_command("rotate_evidence_key")
    settings.SHIMING_EVIDENCE_KEYS = [KEY_B]  # the old key is gone: everything must still decrypt
    evidence = Evidence.objects.get(session=session)
    assert evidence.key_id == "b"
    assert services.evidence_read(evidence=evidence, actor=clerk, purpose="test") == b"frame"
    assert IdentityDocument.objects.get(pk=session.subscriber.document_id).number_key_id == "b"


@pytest.mark.django_db
def test_audit_log_is_append_only_in_the_database(new_session: Callable[..., VerificationSession]) -> None:
    session = new_session()
    event = AuditEvent.objects.get(object_id=str(session.pk), action="session.created")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="session.forged")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).action == "session.created"


@pytest.mark.django_db(transaction=True)
def test_per_id_limit_holds_when_two_approvals_race(
    photographed_session: Callable[..., VerificationSession],
    registration_input: Callable[..., dict[str, Any]],
    clerk: Any,
    supervisor: Any,
    settings: Any,
) -> None:
    settings.SHIMING_MAX_ACTIVE_NUMBERS_PER_ID = 1
    number = registration_input()["document_number"]
    sessions = [
        services.session_request_alternative(
            session_id=photographed_session(document_number=number).pk,
            actor=clerk,
            reason="",
        )
        for _ in range(2)
    ]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def decide(session: VerificationSession) -> None:
        barrier.wait()
        try:
            outcomes.append(
                services.session_decide(
                    session_id=session.pk, supervisor=supervisor, decision="approved", note="race"
                ).state
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=decide, args=(session,)) for session in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["approved", "rejected"]


@pytest.mark.django_db
def test_nothing_half_written_when_the_limit_is_hit(
    new_session: Callable[..., VerificationSession],
    registration_input: Callable[..., dict[str, Any]],
    clerk: Any,
    settings: Any,
) -> None:
    settings.SHIMING_MAX_ACTIVE_NUMBERS_PER_ID = 0
    with pytest.raises(Conflict):
        new_session()
    assert VerificationSession.objects.count() == 0
    assert IdentityDocument.objects.count() == 0
    assert AuditEvent.objects.count() == 0


@pytest.mark.django_db
def test_capture_attempts_are_rate_limited_per_clerk_and_per_outlet(
    make_session: Callable[..., VerificationSession], clerk: Any, supervisor: Any, settings: Any
) -> None:
    from registration.errors import RateLimited

    settings.SHIMING_CAPTURE_ATTEMPTS_PER_MINUTE_CLERK = 2
    settings.SHIMING_CAPTURE_ATTEMPTS_PER_MINUTE_OUTLET = 3
    sessions = [make_session("consented", portrait=b"\xff\xd8portrait") for _ in range(4)]
    for session in sessions[:2]:
        services.capture_start(session_id=session.pk, actor=clerk)
    with pytest.raises(RateLimited) as by_clerk:
        services.capture_start(session_id=sessions[2].pk, actor=clerk)
    assert by_clerk.value.code == "capture_rate_clerk"
    services.capture_start(session_id=sessions[2].pk, actor=supervisor)  # another account at the outlet
    with pytest.raises(RateLimited) as by_outlet:
        services.capture_start(session_id=sessions[3].pk, actor=supervisor)
    assert by_outlet.value.code == "capture_rate_outlet"
    refused = VerificationSession.objects.get(pk=sessions[3].pk)
    assert (refused.state, refused.attempt_count, refused.challenge_nonce) == ("consented", 0, "")

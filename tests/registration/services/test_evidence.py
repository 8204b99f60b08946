"""Evidence is stored encrypted and bound to its session, its reads are audited, and a key rotation
re-encrypts everything so the old key can go."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command

from registration import crypto, services
from registration.models import AuditEvent, Evidence, EvidenceKind, IdentityDocument, VerificationSession

KEY_A = "a:" + "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE="
KEY_B = "b:" + "QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI="


@pytest.mark.django_db
def test_evidence_is_encrypted_at_rest_and_bound_to_its_session(
    make_session: Callable[..., VerificationSession], clerk: Any
) -> None:
    first, second = make_session(), make_session()
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
def test_key_rotation_reencrypts_everything(
    make_session: Callable[..., VerificationSession], clerk: Any, settings: Any
) -> None:
    settings.SHIMING_EVIDENCE_KEYS = [KEY_A]
    session = make_session()
    services.evidence_store(session=session, kind=EvidenceKind.LIVE_FRAME, content=b"frame", content_type="image/jpeg")
    settings.SHIMING_EVIDENCE_KEYS = [KEY_B, KEY_A]
    call_command("rotate_evidence_key")
    settings.SHIMING_EVIDENCE_KEYS = [KEY_B]  # the old key is gone: everything must still decrypt
    evidence = Evidence.objects.get(session=session)
    assert evidence.key_id == "b"
    assert services.evidence_read(evidence=evidence, actor=clerk, purpose="test") == b"frame"
    assert IdentityDocument.objects.get(pk=session.subscriber.document_id).number_key_id == "b"

"""Evidence: stored encrypted, every read audited, purged when its retention runs out, re-encrypted on
key rotation."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from registration import crypto
from registration.audit import audit
from registration.models import Evidence, EvidenceKind, IdentityDocument, VerificationSession
from registration.selectors import evidence_of_kind
from registration.state_machine import FINAL_STATES
from registration.verification_policy import effective_policy

from .transitions import User

MATCH_ONLY_EVIDENCE = (EvidenceKind.LIVE_FRAMES_EXTRA, EvidenceKind.CHALLENGE_FRAMES)
"""Frames kept for the match alone (the next best frames, the frames sampled through the challenge,
`identity.py`): deleted when it is decided, or when the attempt failed and no match runs."""


def _evidence_aad(session_id: UUID | str, kind: str) -> bytes:
    return f"evidence:{session_id}:{kind}".encode()


def evidence_store(*, session: VerificationSession, kind: str, content: bytes, content_type: str) -> Evidence:
    key_id, ciphertext = crypto.encrypt(content, associated_data=_evidence_aad(session.pk, kind))
    evidence, _ = Evidence.objects.update_or_create(
        session=session,
        kind=kind,
        defaults={"content_type": content_type, "key_id": key_id, "ciphertext": ciphertext},
    )
    return evidence


def evidence_read(*, evidence: Evidence, actor: User | None, purpose: str) -> bytes:
    """Decrypt one piece of evidence; every read is audited with its purpose."""
    content = crypto.decrypt(
        evidence.key_id, bytes(evidence.ciphertext), associated_data=_evidence_aad(evidence.session_id, evidence.kind)
    )
    audit(
        actor=actor,
        action="evidence.viewed",
        target=evidence.session,
        outlet=evidence.session.outlet,
        details={"kind": evidence.kind, "purpose": purpose},
    )
    return content


def evidence_read_kind(*, session: VerificationSession, kind: str, actor: User | None, purpose: str) -> bytes | None:
    """Decrypt the session's evidence of `kind` (audited), or None when there is none."""
    evidence = evidence_of_kind(session, kind)
    return None if evidence is None else evidence_read(evidence=evidence, actor=actor, purpose=purpose)


def evidence_purge(*, now: datetime | None = None) -> int:
    """Delete the evidence of decided sessions whose retention has run out; returns rows deleted.

    A closed session without a purge date (closed outside `session_move`, by an older version or by
    hand) is purged the retention after its last change."""
    now = now or timezone.now()
    undated = Q(evidence_purge_after__isnull=True, updated_at__lte=now - effective_policy().evidence_retention)
    due = VerificationSession.objects.filter(
        Q(evidence_purge_after__lte=now) | undated, state__in=FINAL_STATES, evidence__isnull=False
    )
    deleted = 0
    for session in due.distinct():
        with transaction.atomic():
            kinds = list(Evidence.objects.filter(session=session).values_list("kind", flat=True))
            count, _ = Evidence.objects.filter(session=session).delete()
            if count:
                audit(
                    actor=None,
                    action="evidence.purged",
                    target=session,
                    outlet=session.outlet,
                    details={"kinds": kinds},
                )
            deleted += count
    return deleted


def evidence_reencrypt() -> tuple[int, int]:
    """Re-encrypt everything under the current key (key rotation); returns (evidence rows, ID numbers)."""
    current = crypto.keyring().current_id
    evidence_count = 0
    for evidence_id in Evidence.objects.exclude(key_id=current).values_list("pk", flat=True):
        with transaction.atomic():
            evidence = Evidence.objects.select_for_update().get(pk=evidence_id)
            aad = _evidence_aad(evidence.session_id, evidence.kind)
            plaintext = crypto.decrypt(evidence.key_id, bytes(evidence.ciphertext), associated_data=aad)
            evidence.key_id, evidence.ciphertext = crypto.encrypt(plaintext, associated_data=aad)
            evidence.save(update_fields=["key_id", "ciphertext"])
            evidence_count += 1
    document_count = 0
    documents = IdentityDocument.objects.exclude(number_key_id=current).filter(erased_at__isnull=True)
    for document_id in documents.values_list("pk", flat=True):
        with transaction.atomic():
            document = IdentityDocument.objects.select_for_update().get(pk=document_id)
            aad = f"id:{document.document_type}".encode()
            plaintext = crypto.decrypt(document.number_key_id, bytes(document.number_encrypted), associated_data=aad)
            document.number_key_id, document.number_encrypted = crypto.encrypt(plaintext, associated_data=aad)
            document.save(update_fields=["number_key_id", "number_encrypted"])
            document_count += 1
    audit(
        actor=None,
        action="evidence.key_rotated",
        object_type="registration.evidence",
        object_id="*",
        details={"key_id": current, "evidence": evidence_count, "documents": document_count},
    )
    return evidence_count, document_count

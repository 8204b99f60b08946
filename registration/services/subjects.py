"""Data subject rights: find, export (the right of access) and erase a person's data."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from registration import crypto
from registration.audit import audit
from registration.documents import validate_document
from registration.errors import Forbidden, NotFound
from registration.models import Evidence, IdentityDocument, Outlet, SubscriberStatus, VerificationSession
from registration.roles import ADMIN, has_role
from registration.state_machine import OPEN_STATES

from .transitions import S, User, session_move, today


def subject_find(*, document_type: str, document_number: str) -> IdentityDocument:
    """The identity document a data subject names (by its keyed hash), or NotFound."""
    document = validate_document(document_type, document_number, today=today())
    number_hash = crypto.id_number_hash(document.document_type, document.number)
    identity = IdentityDocument.objects.filter(document_type=document.document_type, number_hash=number_hash).first()
    if identity is None:
        raise NotFound("No data is held for this identity document.", code="subject_not_found")
    return identity


def _identity_number(identity: IdentityDocument) -> str:
    aad = f"id:{identity.document_type}".encode()
    return crypto.decrypt(identity.number_key_id, bytes(identity.number_encrypted), associated_data=aad).decode()


def _require_admin(actor: User | None) -> None:
    """Subject export and erasure span every outlet: an admin's (or the operator's shell, actor None)."""
    if actor is not None and not has_role(actor, ADMIN):
        raise Forbidden("Only an admin can export or erase a person's data.", code="admin_required")


def _audit_in_every_outlet(
    actor: User | None, action: str, identity: IdentityDocument, details: dict[str, Any]
) -> None:
    """One audit row per outlet that holds the subject, so each outlet's own audit log shows it."""
    outlets: list[Outlet | None] = list(
        Outlet.objects.filter(subscribers__document=identity).distinct().order_by("code")
    )
    codes = [outlet.code for outlet in outlets if outlet is not None]
    for outlet in outlets or [None]:
        audit(actor=actor, action=action, target=identity, outlet=outlet, details={**details, "outlets": codes})


def subject_export(*, actor: User | None, identity: IdentityDocument) -> dict[str, Any]:
    """Everything held about the holder of one ID document (the right of access); admins only, audited
    in every outlet that holds the person."""
    _require_admin(actor)
    subscribers = identity.subscribers.select_related("outlet").order_by("created_at")
    sessions = VerificationSession.objects.filter(subscriber__document=identity).order_by("created_at")
    export = {
        "document": {
            "type": identity.document_type,
            "number": _identity_number(identity),
            "birth_date": identity.birth_date.isoformat() if identity.birth_date else None,
        },
        "subscribers": [
            {
                "full_name": sub.full_name,
                "phone_number": sub.phone_number,
                "status": sub.status,
                "outlet": sub.outlet.code,
                "created_at": sub.created_at.isoformat(),
                "activated_at": sub.activated_at.isoformat() if sub.activated_at else None,
            }
            for sub in subscribers
        ],
        "verification_sessions": [
            {
                "id": str(session.pk),
                "state": session.state,
                "created_at": session.created_at.isoformat(),
                "decision": session.decision,
                "decision_reasons": session.decision_reasons,
                "liveness_passed": session.liveness_passed,
                "match_distance": session.match_distance,
                "non_biometric": session.non_biometric,
                "consents": [
                    {
                        "kind": consent.kind,
                        "version": consent.consent_text.version,
                        "language": consent.consent_text.language,
                        "given_at": consent.given_at.isoformat(),
                    }
                    for consent in session.consents.select_related("consent_text")
                ],
                "evidence_held": sorted(session.evidence.values_list("kind", flat=True)),
                "evidence_purge_after": session.evidence_purge_after.isoformat()
                if session.evidence_purge_after
                else None,
            }
            for session in sessions
        ],
    }
    with transaction.atomic():
        _audit_in_every_outlet(actor, "subject.exported", identity, {"sessions": len(export["verification_sessions"])})
    return export


def subject_erase(*, actor: User | None, identity: IdentityDocument) -> dict[str, int]:
    """Erase a person's biometric evidence at once, and their records where no active number needs them.

    The real-name rules oblige the operator to keep the identity of an active number's holder, so
    records behind an active number are kept (their evidence is still deleted). Admins only.
    """
    _require_admin(actor)
    with transaction.atomic():
        identity = IdentityDocument.objects.select_for_update().get(pk=identity.pk)
        sessions = VerificationSession.objects.select_for_update().filter(subscriber__document=identity)
        evidence_deleted, _ = Evidence.objects.filter(session__in=sessions).delete()
        for session in sessions.filter(state__in=OPEN_STATES):
            session_move(session, S.CANCELLED, actor=actor, details={"reason": "subject_erasure"})
        erasable = identity.subscribers.exclude(status=SubscriberStatus.ACTIVE)
        anonymised = 0
        for subscriber in erasable:
            subscriber.full_name = "(erased)"
            subscriber.phone_number = ""
            subscriber.status = SubscriberStatus.REJECTED
            subscriber.save(update_fields=["full_name", "phone_number", "status"])
            anonymised += 1
        kept = identity.subscribers.filter(status=SubscriberStatus.ACTIVE).count()
        result = {
            "evidence_deleted": evidence_deleted,
            "subscribers_erased": anonymised,
            "subscribers_kept_active": kept,
        }
        _audit_in_every_outlet(actor, "subject.erased", identity, dict(result))
    return result

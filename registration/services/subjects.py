"""Data subject rights: find, export (the right of access) and erase a person's data; the end of a
number's service and the erasure of identities the real-name rules no longer require."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from registration import crypto
from registration.audit import audit
from registration.documents import validate_document
from registration.errors import Conflict, Forbidden, NotFound
from registration.models import (
    ConsentRecord,
    Evidence,
    IdentityDocument,
    Outlet,
    Subscriber,
    SubscriberStatus,
    VerificationSession,
)
from registration.roles import ADMIN, has_role
from registration.selectors import identities_of_number
from registration.state_machine import OPEN_STATES
from registration.verification_policy import effective_policy

from .transitions import S, User, session_move, today


def subject_find(*, document_type: str, document_number: str) -> IdentityDocument:
    """The identity document a data subject names (by its keyed hash), or NotFound. One number is one
    identity: a number first registered under another document type is found as the same person."""
    document = validate_document(document_type, document_number, today=today())
    identity = identities_of_number(document.number).first()
    if identity is None:
        raise NotFound("No data is held for this identity document.", code="subject_not_found")
    return identity


def _identity_number(identity: IdentityDocument) -> str:
    if identity.erased_at is not None:  # nothing left to decrypt
        return ""
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


ERASED_NAME = "(erased)"


def _subscriber_required(subscriber: Subscriber, *, now: datetime, keep: timedelta) -> bool:
    """The real-name rules require a holder's identity while the number is active, and for the
    statutory period after its service ends (the policy's `identity_keep_days`)."""
    if subscriber.status == SubscriberStatus.ACTIVE:
        return True
    ended = subscriber.status == SubscriberStatus.ENDED and subscriber.service_ended_at is not None
    return ended and subscriber.service_ended_at > now - keep  # type: ignore[operator]


def _erase_free_text(identity: IdentityDocument) -> None:
    """The notes, reasons and guardian fields of the person's sessions: no law requires them kept."""
    sessions = VerificationSession.objects.filter(subscriber__document=identity)
    sessions.update(alternative_reason="", decision_note="")
    ConsentRecord.objects.filter(session__in=sessions).update(
        guardian_name="", guardian_document_masked="", guardian_document_hash=""
    )


def _erase_subscribers(identity: IdentityDocument, *, now: datetime, keep: timedelta) -> tuple[int, int]:
    """Blank the name and number of every subscriber no rule requires; returns (erased, kept)."""
    erased = kept = 0
    for subscriber in identity.subscribers.select_for_update():
        if _subscriber_required(subscriber, now=now, keep=keep):
            kept += 1
            continue
        if subscriber.full_name == ERASED_NAME and not subscriber.phone_number:
            continue
        subscriber.full_name = ERASED_NAME
        subscriber.phone_number = ""
        if subscriber.status == SubscriberStatus.PENDING:
            subscriber.status = SubscriberStatus.REJECTED
        subscriber.save(update_fields=["full_name", "phone_number", "status"])
        erased += 1
    return erased, kept


def _erase_document(identity: IdentityDocument, *, now: datetime) -> None:
    """The number, its keyed hash (it finds the person again) and its masked form go; the row stays,
    an empty shell the erased subscribers point at."""
    identity.number_hash = f"erased:{identity.pk}"
    identity.number_encrypted = b""
    identity.number_key_id = ""
    identity.number_masked = ""
    identity.erased_at = now
    identity.save(update_fields=["number_hash", "number_encrypted", "number_key_id", "number_masked", "erased_at"])


def _erase(identity: IdentityDocument, *, actor: User | None, now: datetime, reason: str) -> dict[str, int]:
    """Erase what no law requires of a locked identity; keep what the real-name rules require."""
    keep = effective_policy().identity_keep_after_service
    sessions = VerificationSession.objects.select_for_update().filter(subscriber__document=identity)
    evidence_deleted, _ = Evidence.objects.filter(session__in=sessions).delete()
    for session in sessions.filter(state__in=OPEN_STATES):
        session_move(session, S.CANCELLED, actor=actor, details={"reason": "subject_erasure"})
    _erase_free_text(identity)
    erased, kept = _erase_subscribers(identity, now=now, keep=keep)
    identity.birth_date = None
    identity.erasure_requested_at = identity.erasure_requested_at or now
    identity.save(update_fields=["birth_date", "erasure_requested_at"])
    if not kept:
        _erase_document(identity, now=now)
    result = {
        "evidence_deleted": evidence_deleted,
        "subscribers_erased": erased,
        "subscribers_kept_active": kept,
        "document_erased": int(not kept),
    }
    _audit_in_every_outlet(actor, "subject.erased", identity, {**result, "reason": reason})
    return result


def subject_erase(*, actor: User | None, identity: IdentityDocument) -> dict[str, int]:
    """Erase a person at their request (PIPL art. 47): their biometric evidence, birth date, guardian
    fields and free text at once, and their name, phone and document number where no number needs
    them. Behind an active number, or one ended within the statutory period, the holder's name,
    phone and document number stay; the retention sweep erases them when the period ends
    (`subjects_erase_due`). Admins only."""
    _require_admin(actor)
    with transaction.atomic():
        identity = IdentityDocument.objects.select_for_update().get(pk=identity.pk)
        return _erase(identity, actor=actor, now=timezone.now(), reason="subject_request")


def _retention_over(identity: IdentityDocument, *, now: datetime, keep: timedelta) -> bool:
    """Whether nothing keeps this identity any more: no number active or pending, every ended number
    ended and every refused registration opened more than the statutory period ago."""
    for subscriber in identity.subscribers.all():
        if subscriber.status in {SubscriberStatus.ACTIVE, SubscriberStatus.PENDING}:
            return False
        since = subscriber.service_ended_at if subscriber.status == SubscriberStatus.ENDED else subscriber.created_at
        if since is None or since > now - keep:
            return False
    return True


def subjects_erase_due(*, now: datetime | None = None) -> int:
    """Erase everyone whose identity no rule keeps any more: those who asked, once no number needs
    them; holders whose numbers ended, and people whose registrations were refused or abandoned,
    the statutory period after. Returns how many identities were erased."""
    now = now or timezone.now()
    keep = effective_policy().identity_keep_after_service
    candidates = (
        IdentityDocument.objects.filter(erased_at__isnull=True)
        .exclude(subscribers__status__in=[SubscriberStatus.ACTIVE, SubscriberStatus.PENDING])
        .filter(Q(erasure_requested_at__isnull=False) | Q(created_at__lte=now - keep))
        .distinct()
    )
    erased = 0
    for identity_id in list(candidates.values_list("pk", flat=True)):
        with transaction.atomic():
            identity = IdentityDocument.objects.select_for_update().get(pk=identity_id)
            if identity.erased_at is not None:
                continue
            requested = identity.erasure_requested_at is not None
            required = any(_subscriber_required(sub, now=now, keep=keep) for sub in identity.subscribers.all())
            busy = identity.subscribers.filter(status=SubscriberStatus.PENDING).exists()
            if busy or required or not (requested or _retention_over(identity, now=now, keep=keep)):
                continue
            _erase(identity, actor=None, now=now, reason="retention_ended")
            erased += 1
    return erased


def subscriber_end_service(*, actor: User, subscriber_id: int) -> Subscriber:
    """The number's service has ended (the customer left, the number was recycled): from now the
    statutory period runs after which the holder's identity is erased. Admins only, audited."""
    _require_admin(actor)
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().get(pk=subscriber_id)
        if subscriber.status != SubscriberStatus.ACTIVE:
            raise Conflict("Only an active number's service can end.", code="not_active")
        subscriber.status = SubscriberStatus.ENDED
        subscriber.service_ended_at = timezone.now()
        subscriber.save(update_fields=["status", "service_ended_at"])
        audit(actor=actor, action="subscriber.service_ended", target=subscriber, outlet=subscriber.outlet)
    return subscriber

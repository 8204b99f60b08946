"""The customer's separate consent to face processing, a guardian's for a minor, and the
non-biometric alternative."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from registration import crypto
from registration.audit import audit
from registration.documents import (
    DocumentType,
    ValidatedDocument,
    age_on,
    mask_number,
    require_birth_date,
    validate_document,
)
from registration.errors import Conflict, InvalidInput
from registration.models import ConsentRecord, ConsentText, VerificationSession
from registration.selectors import consent_text_body, consent_text_used
from registration.state_machine import check_action
from registration.verification_policy import effective_policy

from .attempts import SPOOF_REVIEW, spoof_signals
from .registrations import needs_guardian_consent
from .transitions import S, User, session_lock, session_move, session_open, today


def consent_record(
    *,
    session_id: UUID | str,
    actor: User,
    consent_version: str,
    language: str,
    guardian_name: str = "",
    guardian_document_type: str = "",
    guardian_document_number: str = "",
    guardian_birth_date: date | None = None,
) -> VerificationSession:
    """Record the customer's separate consent to face processing (and a guardian's, for a minor).

    Given after the handover, on a session whose document photo the clerk took: from here on the
    photo cannot be retaken, and the capture and the face match may run."""
    session_open(session_id)
    with transaction.atomic():
        session = session_lock(session_id)
        check_action("consent", session.state)
        text = _consent_text(ConsentText.Kind.FACE_PROCESSING, consent_version, language)
        ConsentRecord.objects.create(session=session, consent_text=text, kind=text.kind, **_as_shown(text))
        guardian_details: dict[str, Any] = {}
        if needs_guardian_consent(session.subscriber):
            guardian = GuardianInput(
                guardian_name, guardian_document_type or "prc_id", guardian_document_number, guardian_birth_date
            )
            guardian_details = _record_guardian_consent(session, consent_version, language, guardian)
        session_move(
            session,
            S.CONSENTED,
            actor=actor,
            consented_at=timezone.now(),
            details={"consent_version": consent_version, "language": language, **guardian_details},
        )
    return session


def _consent_text(kind: str, version: str, language: str) -> ConsentText:
    text = ConsentText.objects.filter(kind=kind, version=version, language=language, is_current=True).first()
    if text is None:
        raise InvalidInput("That consent text is not the current one: reload the page.", code="consent_version")
    return text


def _as_shown(text: ConsentText) -> dict[str, Any]:
    """What the customer agreed to: the body with the configured retention rendered in, and that retention."""
    hours = effective_policy().evidence_retention_hours
    return {"shown_body": consent_text_body(text, retention_hours=hours), "retention_hours": hours}


@dataclass(frozen=True)
class GuardianInput:
    name: str
    document_type: str
    number: str
    birth_date: date | None


def _guardian_document(session: VerificationSession, guardian: GuardianInput) -> ValidatedDocument:
    """The guardian is identified like a customer (a birth date for a document whose number lacks
    it), is an adult, and is not the minor: another name and another document."""
    if not guardian.name.strip() or not guardian.number.strip():
        raise InvalidInput(
            "The customer is a minor: a guardian's name and ID document are required.", code="guardian_required"
        )
    document = validate_document(guardian.document_type, guardian.number, today=today(), birth_date=guardian.birth_date)
    require_birth_date(document)
    if document.birth_date is None or age_on(document.birth_date, today()) < 18:
        raise InvalidInput("The guardian must be an adult.", code="guardian_minor")
    minor = session.subscriber
    same_name = " ".join(guardian.name.split()).casefold() == minor.full_name.casefold()
    minor_hash = minor.document.number_hash
    same_document = minor_hash in {
        crypto.id_number_hash(document_type, document.number) for document_type in DocumentType.values
    }
    if same_name or same_document:
        raise InvalidInput("The guardian is another person than the minor.", code="guardian_is_minor")
    return document


def _record_guardian_consent(
    session: VerificationSession, version: str, language: str, guardian: GuardianInput
) -> dict[str, Any]:
    document = _guardian_document(session, guardian)
    text = _consent_text(ConsentText.Kind.GUARDIAN, version, language)
    ConsentRecord.objects.create(
        session=session,
        consent_text=text,
        kind=text.kind,
        **_as_shown(text),
        guardian_name=" ".join(guardian.name.split()),
        guardian_document_masked=mask_number(document.number),
        guardian_document_hash=crypto.id_number_hash(document.document_type, document.number),
    )
    return {"guardian_consent": True}


def session_request_alternative(*, session_id: UUID | str, actor: User, reason: str) -> VerificationSession:
    """The customer declines face processing: a supervisor will check the document by hand.

    After an attempt with spoof signals the case still reaches the supervisor, but flagged: the
    live check shows as failed with those reasons, never as "not done"."""
    session_open(session_id)
    with transaction.atomic():
        session = session_lock(session_id)
        check_action("alternative", session.state)  # before the match only: 409 once matching
        barred = spoof_signals(session)
        flagged: dict[str, Any] = {}
        if barred:
            reasons = sorted({*(session.liveness_reasons or []), *barred})
            flagged = {
                "liveness_passed": False,
                "liveness_reasons": reasons,
                "decision_reasons": [SPOOF_REVIEW, *barred],
            }
        session_move(
            session,
            S.MANUAL_REVIEW,
            actor=actor,
            non_biometric=True,
            alternative_reason=reason.strip()[:400],
            # The reason stays on the session (erased with the person), never in the append-only audit.
            details={"non_biometric": True, "reason_chars": len(reason.strip()[:400]), "spoof_signals": barred},
            **flagged,
        )
    return session


CONSENT_TEXT_CONTENT = ("version", "kind", "language", "title", "body")


def consent_text_save(*, actor: User, text: ConsentText, changed: list[str], created: bool) -> ConsentText:
    """Publish or edit a consent text, audited. A text a customer agreed to is immutable: publish a new
    version instead (only whether it is current may still change)."""
    with transaction.atomic():
        if not created and set(changed) & set(CONSENT_TEXT_CONTENT) and consent_text_used(text):
            raise Conflict(
                "Customers have agreed to this text: publish a new version instead of editing it.",
                code="consent_text_in_use",
            )
        text.save()
        audit(
            actor=actor,
            action="consent_text.published" if created else "consent_text.changed",
            target=text,
            details={"version": text.version, "kind": text.kind, "language": text.language, "changed": changed},
        )
    return text

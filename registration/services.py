"""Writes. Each service owns its transaction, enforces the product's rules, audits what it changed,
and schedules side effects (tasks, pushes to screens) on commit."""

from __future__ import annotations

import json
import random
import secrets
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from . import crypto
from .audit import audit
from .documents import age_on, mask_number, normalise_mainland_mobile, validate_document
from .errors import Conflict, Forbidden, InvalidInput, NotFound, RateLimited
from .models import (
    AuditEvent,
    ConsentRecord,
    ConsentText,
    Evidence,
    EvidenceKind,
    IdentityDocument,
    Subscriber,
    SubscriberStatus,
    VerificationPolicy,
    VerificationSession,
)
from .policy import DEFAULTS, effective_policy
from .roles import ADMIN, CLERK, SUPERVISOR, has_role, is_supervisor
from .selectors import staff_outlet
from .state_machine import (
    ALTERNATIVE_FROM,
    CUSTOMER_STATES,
    FINAL_STATES,
    OPEN_STATES,
    SessionState,
    check_transition,
)

User = AbstractBaseUser | AnonymousUser
S = SessionState


# --- helpers ----------------------------------------------------------------------------------


def _today() -> date:
    return timezone.localdate()


def _notify_on_commit(session: VerificationSession) -> None:
    from .realtime import broadcast_session_update
    from .selectors import session_public_payload

    payload = session_public_payload(session)
    transaction.on_commit(
        lambda: broadcast_session_update(session_id=session.id, outlet_id=session.outlet_id, payload=payload)
    )


def _lock_session(session_id: UUID | str) -> VerificationSession:
    try:
        return VerificationSession.objects.select_for_update().select_related("subscriber").get(pk=session_id)
    except VerificationSession.DoesNotExist as exc:
        raise NotFound("No such verification session.") from exc


def _move(
    session: VerificationSession,
    target: str,
    *,
    actor: User | None,
    details: dict[str, Any] | None = None,
    **fields: Any,
) -> None:
    """The single place a session changes state: check, write, audit, push."""
    previous = session.state
    check_transition(previous, target)
    session.state = target
    for name, value in fields.items():
        setattr(session, name, value)
    if target in FINAL_STATES:
        now = timezone.now()
        session.decided_at = session.decided_at or now
        session.evidence_purge_after = now + timedelta(hours=effective_policy().evidence_retention_hours)
    session.save()
    audit(
        actor=actor,
        action=f"session.{target}",
        target=session,
        outlet=session.outlet,
        details={"from": previous, "to": target, **(details or {})},
    )
    _notify_on_commit(session)


def _expire_if_due(session_id: UUID | str) -> None:
    """Expire a customer-facing session whose time is up, committed on its own before the caller's work."""
    with transaction.atomic():
        session = _lock_session(session_id)
        if session.state in CUSTOMER_STATES and session.expires_at <= timezone.now():
            _move(session, S.EXPIRED, actor=None, details={"reason": "session_timeout"})
            _close_subscriber(session)
            expired = True
        else:
            expired = False
    if expired:
        raise Conflict("This verification session has expired: start a new one.", code="session_expired")


def _open_session(session_id: UUID | str) -> VerificationSession:
    """Lock a session for a customer-facing step (call inside a transaction, after `_expire_if_due`)."""
    return _lock_session(session_id)


def _close_subscriber(session: VerificationSession) -> None:
    subscriber = session.subscriber
    if subscriber.status == SubscriberStatus.PENDING:
        subscriber.status = SubscriberStatus.REJECTED
        subscriber.save(update_fields=["status"])


def _require_role(actor: User, *roles: str) -> int:
    """Return the acting user's id, or raise `Forbidden` when they lack every one of `roles`."""
    if actor.pk is None or not has_role(actor, *roles):
        raise Forbidden("Your role does not allow this.", code="role_required")
    return int(actor.pk)


# --- registration -----------------------------------------------------------------------------


def new_challenge_plan(*, previous: list[str] | None) -> list[str]:
    """A random challenge plan, never the same as the clerk's previous one (fixed in tests)."""
    fixed = settings.SHIMING_FIXED_CHALLENGE_PLAN
    if fixed:
        return list(fixed)
    from liveness import ChallengePlan, draw_plan

    last = ChallengePlan.parse(previous) if previous else None
    plan = draw_plan(random.SystemRandom(), step_count=settings.SHIMING_LIVENESS_STEPS, previous=last)
    return plan.codes()


def registration_create(
    *,
    clerk: User,
    full_name: str,
    document_type: str,
    document_number: str,
    phone_number: str,
    birth_date: date | None = None,
) -> VerificationSession:
    """Open a registration: a pending subscriber and a new verification session at the clerk's outlet."""
    clerk_id = _require_role(clerk, CLERK, SUPERVISOR)
    outlet = staff_outlet(clerk)
    if outlet is None:
        raise Forbidden("Your account is not attached to an outlet.", code="no_outlet")
    full_name = " ".join(full_name.split())
    if not full_name:
        raise InvalidInput("The full name is required.", code="full_name")
    document = validate_document(document_type, document_number, today=_today(), birth_date=birth_date)
    phone = normalise_mainland_mobile(phone_number)
    number_hash = crypto.id_number_hash(document.document_type, document.number)

    with transaction.atomic():
        identity = _identity_document_locked(document.document_type, document.number, number_hash, document.birth_date)
        _check_activation_limits(identity=identity, phone_number=phone)
        subscriber = Subscriber.objects.create(
            full_name=full_name, document=identity, phone_number=phone, outlet=outlet
        )
        previous = (
            VerificationSession.objects.filter(clerk_id=clerk_id)
            .order_by("-created_at")
            .values_list("challenge_plan", flat=True)
            .first()
        )
        session = VerificationSession.objects.create(
            subscriber=subscriber,
            outlet=outlet,
            clerk_id=clerk_id,
            challenge_plan=new_challenge_plan(previous=previous),
            expires_at=timezone.now() + timedelta(seconds=effective_policy().session_ttl_seconds),
        )
        audit(
            actor=clerk,
            action="session.created",
            target=session,
            outlet=outlet,
            details={"document_type": document.document_type, "phone_number": mask_number(phone)},
        )
        _notify_on_commit(session)
    return session


def _identity_document_locked(
    document_type: str, number: str, number_hash: str, birth_date: date | None
) -> IdentityDocument:
    """Get or create the document's row and lock it, so the per-ID limit holds under concurrency."""
    key_id, ciphertext = crypto.encrypt(number.encode(), associated_data=f"id:{document_type}".encode())
    try:
        with transaction.atomic():
            IdentityDocument.objects.get_or_create(
                document_type=document_type,
                number_hash=number_hash,
                defaults={
                    "number_encrypted": ciphertext,
                    "number_key_id": key_id,
                    "number_masked": mask_number(number),
                    "birth_date": birth_date,
                },
            )
    except IntegrityError:
        pass  # created concurrently by another registration: lock that one below
    identity = IdentityDocument.objects.select_for_update().get(document_type=document_type, number_hash=number_hash)
    if identity.birth_date is None and birth_date is not None:
        identity.birth_date = birth_date
        identity.save(update_fields=["birth_date"])
    return identity


def _check_activation_limits(*, identity: IdentityDocument, phone_number: str) -> None:
    """The real-name rules; the caller holds the identity document's row lock."""
    active = Subscriber.objects.filter(document=identity, status=SubscriberStatus.ACTIVE)
    limit = effective_policy().max_active_numbers_per_id
    if active.count() >= limit:
        raise Conflict(f"This identity document already holds {limit} active numbers.", code="id_limit_reached")
    if Subscriber.objects.filter(phone_number=phone_number, status=SubscriberStatus.ACTIVE).exists():
        raise Conflict("This phone number is already registered to an active subscriber.", code="phone_in_use")


def subscriber_age(subscriber: Subscriber) -> int | None:
    birth_date = subscriber.document.birth_date
    return age_on(birth_date, _today()) if birth_date else None


def needs_guardian_consent(subscriber: Subscriber) -> bool:
    age = subscriber_age(subscriber)
    return age is not None and age < settings.SHIMING_GUARDIAN_CONSENT_UNDER_AGE


# --- consent and the non-biometric alternative ------------------------------------------------


def consent_record(
    *,
    session_id: UUID | str,
    actor: User,
    consent_version: str,
    language: str,
    guardian_name: str = "",
    guardian_document_type: str = "",
    guardian_document_number: str = "",
) -> VerificationSession:
    """Record the customer's separate consent to face processing (and a guardian's, for a minor)."""
    _expire_if_due(session_id)
    with transaction.atomic():
        session = _open_session(session_id)
        check_transition(session.state, S.CONSENTED)
        text = _consent_text(ConsentText.Kind.FACE_PROCESSING, consent_version, language)
        ConsentRecord.objects.create(session=session, consent_text=text, kind=text.kind)
        guardian_details: dict[str, Any] = {}
        if needs_guardian_consent(session.subscriber):
            guardian_details = _record_guardian_consent(
                session, consent_version, language, guardian_name, guardian_document_type, guardian_document_number
            )
        _move(
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


def _record_guardian_consent(
    session: VerificationSession, version: str, language: str, name: str, document_type: str, number: str
) -> dict[str, Any]:
    if not name.strip() or not number.strip():
        raise InvalidInput(
            "The customer is a minor: a guardian's name and ID document are required.", code="guardian_required"
        )
    document = validate_document(document_type or "prc_id", number, today=_today())
    if document.birth_date and age_on(document.birth_date, _today()) < 18:
        raise InvalidInput("The guardian must be an adult.", code="guardian_minor")
    text = _consent_text(ConsentText.Kind.GUARDIAN, version, language)
    ConsentRecord.objects.create(
        session=session,
        consent_text=text,
        kind=text.kind,
        guardian_name=" ".join(name.split()),
        guardian_document_masked=mask_number(document.number),
        guardian_document_hash=crypto.id_number_hash(document.document_type, document.number),
    )
    return {"guardian_consent": True}


def session_request_alternative(*, session_id: UUID | str, actor: User, reason: str) -> VerificationSession:
    """The customer declines face processing: a supervisor will check the document by hand."""
    _expire_if_due(session_id)
    with transaction.atomic():
        session = _open_session(session_id)
        if session.state not in ALTERNATIVE_FROM:
            check_transition(session.state, S.MANUAL_REVIEW)
        _move(
            session,
            S.MANUAL_REVIEW,
            actor=actor,
            non_biometric=True,
            alternative_reason=reason.strip()[:400],
            details={"non_biometric": True, "reason": reason.strip()[:400]},
        )
    return session


# --- evidence ---------------------------------------------------------------------------------


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


def document_upload(*, session_id: UUID | str, actor: User, data: bytes, source: str) -> VerificationSession:
    """Check an ID document photo (or a chip portrait), crop its portrait and keep only that, encrypted.

    The page itself is never stored: only the portrait crop that the match will use.
    """
    from .face_matching import FaceMatchingError, get_matcher
    from .images import decode_upload, encode_jpeg

    _expire_if_due(session_id)
    with transaction.atomic():
        check_transition(_lock_session(session_id).state, S.DOCUMENT_CAPTURED)
    image = decode_upload(data)  # outside the transaction: detection takes a moment
    try:
        portrait = get_matcher().locate_document_portrait(image.bgr)
    except FaceMatchingError as exc:
        messages = {
            "no_face_found": "No portrait was found on this document photo: retake it flat, sharp and well lit.",
            "several_faces": "Several faces were found: photograph one document alone, without people around it.",
        }
        raise InvalidInput(messages.get(exc.reason_code, str(exc)), code=exc.reason_code) from exc
    with transaction.atomic():
        session = _lock_session(session_id)
        check_transition(session.state, S.DOCUMENT_CAPTURED)
        evidence_store(
            session=session,
            kind=EvidenceKind.ID_PORTRAIT,
            content=encode_jpeg(portrait.image),
            content_type="image/jpeg",
        )
        face = portrait.face
        _move(
            session,
            S.DOCUMENT_CAPTURED,
            actor=actor,
            document_captured_at=timezone.now(),
            details={"source": source, "portrait_box": [face.x, face.y, face.w, face.h]},
        )
    return session


# --- capture ----------------------------------------------------------------------------------


def capture_start(*, session_id: UUID | str, actor: User) -> VerificationSession:
    """Start a liveness attempt: a fresh single-use nonce binds the attempt to one connection."""
    _expire_if_due(session_id)
    with transaction.atomic():
        session = _open_session(session_id)
        check_transition(session.state, S.LIVENESS_RUNNING)
        if session.attempt_count >= effective_policy().max_liveness_attempts:
            raise Conflict("No liveness attempts are left for this session.", code="attempts_exhausted")
        _check_capture_rate(session, actor)
        _move(
            session,
            S.LIVENESS_RUNNING,
            actor=actor,
            attempt_count=session.attempt_count + 1,
            challenge_nonce=secrets.token_urlsafe(24),
            liveness_started_at=timezone.now(),
            details={"attempt": session.attempt_count + 1},
        )
    return session


def _check_capture_rate(session: VerificationSession, actor: User) -> None:
    """Rate limits on capture attempts per clerk and per outlet, counted from the audit log
    (shared by every process, and the attempts are audited anyway)."""
    since = timezone.now() - timedelta(minutes=1)
    started = AuditEvent.objects.filter(action=f"session.{S.LIVENESS_RUNNING}", created_at__gte=since)
    if started.filter(actor_id=actor.pk).count() >= settings.SHIMING_CAPTURE_ATTEMPTS_PER_MINUTE_CLERK:
        raise RateLimited("Too many capture attempts from this account: wait a minute.", code="capture_rate_clerk")
    if started.filter(outlet_id=session.outlet_id).count() >= settings.SHIMING_CAPTURE_ATTEMPTS_PER_MINUTE_OUTLET:
        raise RateLimited("Too many capture attempts at this outlet: wait a minute.", code="capture_rate_outlet")


def capture_finish(
    *,
    session_id: UUID | str,
    nonce: str,
    trace: dict[str, Any],
    best_frame_jpeg: bytes | None,
    live_summary: dict[str, Any],
) -> VerificationSession:
    """Store the attempt's trace and best frame encrypted, then let the workers judge (on commit)."""
    with transaction.atomic():
        session = _lock_session(session_id)
        if session.state != S.LIVENESS_RUNNING or not secrets.compare_digest(session.challenge_nonce, nonce):
            raise Conflict("This capture attempt is no longer current.", code="stale_capture")
        evidence_store(
            session=session,
            kind=EvidenceKind.LIVENESS_TRACE,
            content=json.dumps(trace, separators=(",", ":")).encode(),
            content_type="application/json",
        )
        if best_frame_jpeg:
            evidence_store(
                session=session, kind=EvidenceKind.LIVE_FRAME, content=best_frame_jpeg, content_type="image/jpeg"
            )
        session.challenge_nonce = ""
        session.liveness_finished_at = timezone.now()
        session.liveness_detail = {"live": live_summary}
        session.save(update_fields=["challenge_nonce", "liveness_finished_at", "liveness_detail", "updated_at"])
        audit(
            actor=None,
            action="capture.finished",
            target=session,
            outlet=session.outlet,
            details={"live_passed": live_summary.get("passed"), "frames": len(trace.get("frames", []))},
        )
        _notify_on_commit(session)
        transaction.on_commit(lambda: _enqueue_judgement(str(session.pk)))
    return session


def capture_abort(*, session_id: UUID | str, nonce: str, reason: str) -> VerificationSession | None:
    """The connection ended before the challenge did: the attempt fails and may be retried."""
    with transaction.atomic():
        session = _lock_session(session_id)
        if session.state != S.LIVENESS_RUNNING or not secrets.compare_digest(session.challenge_nonce, nonce):
            return None
        _move(
            session,
            S.LIVENESS_FAILED,
            actor=None,
            challenge_nonce="",
            liveness_passed=False,
            liveness_reasons=[reason],
            liveness_finished_at=timezone.now(),
            details={"reason": reason},
        )
        _reject_if_attempts_exhausted(session)
    return session


def _enqueue_judgement(session_id: str) -> None:
    from celery import chain

    from .tasks import liveness_verdict, match_faces

    chain(liveness_verdict.si(session_id), match_faces.si(session_id)).apply_async()


def _reject_if_attempts_exhausted(session: VerificationSession) -> None:
    if session.state == S.LIVENESS_FAILED and session.attempt_count >= effective_policy().max_liveness_attempts:
        _move(
            session,
            S.REJECTED,
            actor=None,
            decision="rejected",
            decision_reasons=["liveness_attempts_exhausted"],
            details={"reason": "liveness_attempts_exhausted"},
        )
        _close_subscriber(session)


def liveness_verdict_apply(*, session_id: UUID | str, passed: bool, reasons: list[str], detail: dict[str, Any]) -> bool:
    """Write the worker's liveness verdict once; returns False when it was already written."""
    with transaction.atomic():
        session = _lock_session(session_id)
        if session.state != S.LIVENESS_RUNNING:
            return False
        target = S.LIVENESS_PASSED if passed else S.LIVENESS_FAILED
        _move(
            session,
            target,
            actor=None,
            liveness_passed=passed,
            liveness_reasons=reasons,
            liveness_detail={**session.liveness_detail, "verdict": detail},
            details={"reasons": reasons},
        )
        _reject_if_attempts_exhausted(session)
    return True


def matching_begin(*, session_id: UUID | str) -> VerificationSession | None:
    """Move a passed session into matching; returns None when there is nothing to match."""
    with transaction.atomic():
        session = _lock_session(session_id)
        if session.state == S.LIVENESS_PASSED:
            _move(session, S.MATCHING, actor=None, matching_started_at=timezone.now())
        return session if session.state == S.MATCHING else None


def match_apply(
    *,
    session_id: UUID | str,
    decision: str,
    reasons: list[str],
    distance: float | None,
    threshold: float | None,
    model: str,
    detail: dict[str, Any],
) -> bool:
    """Write the matcher's decision once; returns False when the session was already decided."""
    with transaction.atomic():
        session = _lock_session(session_id)
        if session.state != S.MATCHING:
            return False
        session.match_distance = distance
        session.match_threshold = threshold
        session.match_model = model
        session.match_detail = detail
        if decision == "approved":
            _approve(session, actor=None, reasons=reasons)
        else:
            target = S.REJECTED if decision == "rejected" else S.MANUAL_REVIEW
            _move(
                session,
                target,
                actor=None,
                decision=decision,
                decision_reasons=reasons,
                details={"reasons": reasons, "distance": distance},
            )
            if target == S.REJECTED:
                _close_subscriber(session)
    return True


def _approve(session: VerificationSession, *, actor: User | None, reasons: list[str], note: str = "") -> None:
    """Approve and activate the subscriber, re-checking the real-name rules under the document's lock."""
    subscriber = session.subscriber
    identity = IdentityDocument.objects.select_for_update().get(pk=subscriber.document_id)
    try:
        _check_activation_limits(identity=identity, phone_number=subscriber.phone_number)
    except Conflict as exc:
        _move(
            session,
            S.REJECTED,
            actor=actor,
            decision="rejected",
            decision_reasons=[exc.code],
            decided_by_id=actor.pk if actor and actor.is_authenticated else None,
            details={"reasons": [exc.code]},
        )
        _close_subscriber(session)
        return
    subscriber.status = SubscriberStatus.ACTIVE
    subscriber.activated_at = timezone.now()
    subscriber.save(update_fields=["status", "activated_at"])
    _move(
        session,
        S.APPROVED,
        actor=actor,
        decision="approved",
        decision_reasons=reasons,
        decision_note=note,
        decided_by_id=actor.pk if actor and actor.is_authenticated else None,
        details={"reasons": reasons},
    )


# --- supervisor, cancel, expiry -----------------------------------------------------------------


def session_decide(*, session_id: UUID | str, supervisor: User, decision: str, note: str) -> VerificationSession:
    """A supervisor's decision on a session in manual review."""
    if not is_supervisor(supervisor):
        raise Forbidden("Only a supervisor can decide a manual review.", code="supervisor_required")
    if decision not in {"approved", "rejected"}:
        raise InvalidInput("The decision is 'approved' or 'rejected'.", code="decision")
    note = note.strip()
    if not note:
        raise InvalidInput("Say why: the note is kept in the audit log.", code="note_required")
    with transaction.atomic():
        session = _lock_session(session_id)
        check_transition(session.state, decision)
        if decision == "approved":
            _approve(session, actor=supervisor, reasons=["supervisor_approved"], note=note)
        else:
            _move(
                session,
                S.REJECTED,
                actor=supervisor,
                decision="rejected",
                decision_reasons=["supervisor_rejected"],
                decision_note=note,
                decided_by=supervisor,
                details={"note": note},
            )
            _close_subscriber(session)
    return session


def session_cancel(*, session_id: UUID | str, actor: User, reason: str = "") -> VerificationSession:
    with transaction.atomic():
        session = _lock_session(session_id)
        _move(session, S.CANCELLED, actor=actor, details={"reason": reason.strip()[:400]})
        _close_subscriber(session)
    return session


def sessions_expire_stale(*, now: datetime | None = None) -> int:
    """Expire every customer-facing session whose time is up; returns how many."""
    now = now or timezone.now()
    due = VerificationSession.objects.filter(state__in=CUSTOMER_STATES, expires_at__lte=now).values_list(
        "pk", flat=True
    )
    count = 0
    for session_id in list(due):
        with transaction.atomic():
            session = _lock_session(session_id)
            if session.state in CUSTOMER_STATES and session.expires_at <= now:
                _move(session, S.EXPIRED, actor=None, details={"reason": "session_timeout"})
                _close_subscriber(session)
                count += 1
    return count


def evidence_purge(*, now: datetime | None = None) -> int:
    """Delete the evidence of decided sessions whose retention has run out; returns rows deleted."""
    now = now or timezone.now()
    due = VerificationSession.objects.filter(
        state__in=FINAL_STATES, evidence_purge_after__lte=now, evidence__isnull=False
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
    for document_id in IdentityDocument.objects.exclude(number_key_id=current).values_list("pk", flat=True):
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


def policy_update(*, actor: User, values: dict[str, Any]) -> VerificationPolicy:
    """Change the run-time verification policy (admins only); every change is audited."""
    if not has_role(actor, ADMIN):
        raise Forbidden("Only an admin can change the verification policy.", code="admin_required")
    with transaction.atomic():
        policy, _ = VerificationPolicy.objects.select_for_update().get_or_create(pk=1)
        changes: dict[str, Any] = {}
        for field, value in values.items():
            if field not in DEFAULTS:
                raise InvalidInput(f"Unknown policy field {field!r}.", code="policy_field")
            if getattr(policy, field) != value:
                changes[field] = [getattr(policy, field), value]
                setattr(policy, field, value)
        policy.save()
        effective = effective_policy()
        if effective.face_accept_threshold > effective.face_reject_threshold:
            raise InvalidInput("The accept threshold must not be above the reject threshold.", code="thresholds")
        if changes:
            audit(actor=actor, action="policy.updated", target=policy, details={"changes": changes})
    return policy


# --- data subject rights ------------------------------------------------------------------------


def subject_find(*, document_type: str, document_number: str) -> IdentityDocument:
    """The identity document a data subject names (by its keyed hash), or NotFound."""
    document = validate_document(document_type, document_number, today=_today())
    number_hash = crypto.id_number_hash(document.document_type, document.number)
    identity = IdentityDocument.objects.filter(document_type=document.document_type, number_hash=number_hash).first()
    if identity is None:
        raise NotFound("No data is held for this identity document.", code="subject_not_found")
    return identity


def _identity_number(identity: IdentityDocument) -> str:
    aad = f"id:{identity.document_type}".encode()
    return crypto.decrypt(identity.number_key_id, bytes(identity.number_encrypted), associated_data=aad).decode()


def subject_export(*, actor: User | None, identity: IdentityDocument) -> dict[str, Any]:
    """Everything held about the holder of one ID document (the right of access); audited."""
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
        audit(
            actor=actor,
            action="subject.exported",
            target=identity,
            details={"sessions": len(export["verification_sessions"])},
        )
    return export


def subject_erase(*, actor: User | None, identity: IdentityDocument) -> dict[str, int]:
    """Erase a person's biometric evidence at once, and their records where no active number needs them.

    The real-name rules oblige the operator to keep the identity of an active number's holder, so
    records behind an active number are kept (their evidence is still deleted).
    """
    with transaction.atomic():
        identity = IdentityDocument.objects.select_for_update().get(pk=identity.pk)
        sessions = VerificationSession.objects.select_for_update().filter(subscriber__document=identity)
        evidence_deleted, _ = Evidence.objects.filter(session__in=sessions).delete()
        for session in sessions.filter(state__in=OPEN_STATES):
            _move(session, S.CANCELLED, actor=actor, details={"reason": "subject_erasure"})
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
        audit(actor=actor, action="subject.erased", target=identity, details=result)
    return result

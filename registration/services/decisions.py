"""Deciding a session: approval with the real-name re-check, a supervisor's decision, cancellation."""

from __future__ import annotations

from uuid import UUID

from django.db import transaction
from django.utils import timezone

from registration.errors import Conflict, Forbidden, InvalidInput
from registration.models import AuditEvent, EvidenceKind, IdentityDocument, SubscriberStatus, VerificationSession
from registration.roles import is_supervisor
from registration.state_machine import check_action

from .registrations import check_activation_limits
from .transitions import S, User, session_lock, session_move, subscriber_close


def session_approve(
    session: VerificationSession,
    *,
    actor: User | None,
    reasons: list[str],
    note: str = "",
    checked: dict[str, object] | None = None,
) -> None:
    """Approve and activate the subscriber, re-checking the real-name rules under the document's lock."""
    subscriber = session.subscriber
    identity = IdentityDocument.objects.select_for_update().get(pk=subscriber.document_id)
    decided_by_id = actor.pk if actor and actor.is_authenticated else None
    try:
        check_activation_limits(identity=identity, phone_number=subscriber.phone_number)
    except Conflict as exc:
        session_move(
            session,
            S.REJECTED,
            actor=actor,
            decision="rejected",
            decision_reasons=[exc.code],
            decided_by_id=decided_by_id,
            details={"reasons": [exc.code]},
        )
        subscriber_close(session)
        return
    subscriber.status = SubscriberStatus.ACTIVE
    subscriber.activated_at = timezone.now()
    subscriber.save(update_fields=["status", "activated_at"])
    session_move(
        session,
        S.APPROVED,
        actor=actor,
        decision="approved",
        decision_reasons=reasons,
        decision_note=note,
        decided_by_id=decided_by_id,
        details={"reasons": reasons, **({"checked": checked} if checked is not None else {})},
    )


def _hands_on(session: VerificationSession) -> set[int]:
    """Who opened the session or captured its document photo: they cannot decide it (four eyes)."""
    captured_by = AuditEvent.objects.filter(
        object_type=session._meta.label_lower, object_id=str(session.pk), action="session.document_captured"
    ).values_list("actor_id", flat=True)
    return {session.clerk_id, *(actor for actor in captured_by if actor is not None)}


def _what_was_checked(session: VerificationSession) -> dict[str, object]:
    """What the deciding supervisor had in front of them, for the audit log."""
    kinds = set(session.evidence.values_list("kind", flat=True))
    return {
        "document_photo": EvidenceKind.ID_PORTRAIT in kinds,
        "document_page": EvidenceKind.DOCUMENT_PHOTO in kinds,
        "live_frame": EvidenceKind.LIVE_FRAME in kinds,
        "non_biometric": session.non_biometric,
        "liveness_passed": session.liveness_passed,
        "match_distance": session.match_distance,
    }


def four_eyes_bars(session: VerificationSession, supervisor: User) -> bool:
    """Whether the four-eyes rule keeps `supervisor` from deciding this case (the review page says
    so before they start; the decision is refused anyway)."""
    return supervisor.pk in _hands_on(session)


def document_check_allowed(session: VerificationSession, supervisor: User) -> bool:
    """Whether `supervisor` may see the case's whole document (the page photographed, the full
    number): only to decide it, so the case is in manual review and the four-eyes rule lets them.
    The outlet is the caller's scoping (`selectors.session_get_for_user`)."""
    return is_supervisor(supervisor) and session.state == S.MANUAL_REVIEW and not four_eyes_bars(session, supervisor)


def _check_four_eyes(session: VerificationSession, supervisor: User, decision: str, checked: dict[str, object]) -> None:
    if four_eyes_bars(session, supervisor):
        raise Forbidden(
            "You opened this registration or photographed its document: another supervisor must decide it.",
            code="four_eyes",
        )
    if decision == "approved" and not checked["document_photo"]:
        raise Conflict(
            "There is no document photo to check: photograph the document before approving.",
            code="document_photo_required",
        )


def session_decide(*, session_id: UUID | str, supervisor: User, decision: str, note: str) -> VerificationSession:
    """A supervisor's decision on a session in manual review.

    Four eyes: the person who opened the session or captured its document cannot decide it, and an
    approval needs a document photo to have been checked; the audit records what was checked."""
    if not is_supervisor(supervisor):
        raise Forbidden("Only a supervisor can decide a manual review.", code="supervisor_required")
    if decision not in {"approved", "rejected"}:
        raise InvalidInput("The decision is 'approved' or 'rejected'.", code="decision")
    note = note.strip()
    if not note:
        raise InvalidInput("Say why: the note is kept with the decision.", code="note_required")
    with transaction.atomic():
        session = session_lock(session_id)
        check_action("decision", session.state)  # manual review only, never during the match
        checked = _what_was_checked(session)
        _check_four_eyes(session, supervisor, decision, checked)
        if decision == "approved":
            session_approve(session, actor=supervisor, reasons=["supervisor_approved"], note=note, checked=checked)
        else:
            session_move(
                session,
                S.REJECTED,
                actor=supervisor,
                decision="rejected",
                decision_reasons=["supervisor_rejected"],
                decision_note=note,
                decided_by=supervisor,
                details={"note_chars": len(note), "checked": checked},
            )
            subscriber_close(session)
    return session


def session_cancel(*, session_id: UUID | str, actor: User, reason: str = "") -> VerificationSession:
    with transaction.atomic():
        session = session_lock(session_id)
        check_action("cancel", session.state)
        # The reason is free text that may name people: it is not kept (the audit says it was given).
        session_move(session, S.CANCELLED, actor=actor, details={"reason_chars": len(reason.strip())})
        subscriber_close(session)
    return session

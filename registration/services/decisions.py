"""Deciding a session: approval with the real-name re-check, a supervisor's decision, cancellation."""

from __future__ import annotations

from uuid import UUID

from django.db import transaction
from django.utils import timezone

from registration.errors import Conflict, Forbidden, InvalidInput
from registration.models import IdentityDocument, SubscriberStatus, VerificationSession
from registration.roles import is_supervisor
from registration.state_machine import check_transition

from .registrations import check_activation_limits
from .transitions import S, User, session_lock, session_move, subscriber_close


def session_approve(session: VerificationSession, *, actor: User | None, reasons: list[str], note: str = "") -> None:
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
        details={"reasons": reasons},
    )


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
        session = session_lock(session_id)
        check_transition(session.state, decision)
        if decision == "approved":
            session_approve(session, actor=supervisor, reasons=["supervisor_approved"], note=note)
        else:
            session_move(
                session,
                S.REJECTED,
                actor=supervisor,
                decision="rejected",
                decision_reasons=["supervisor_rejected"],
                decision_note=note,
                decided_by=supervisor,
                details={"note": note},
            )
            subscriber_close(session)
    return session


def session_cancel(*, session_id: UUID | str, actor: User, reason: str = "") -> VerificationSession:
    with transaction.atomic():
        session = session_lock(session_id)
        session_move(session, S.CANCELLED, actor=actor, details={"reason": reason.strip()[:400]})
        subscriber_close(session)
    return session

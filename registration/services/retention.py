"""Retention that ends: every open session has a maximum age, and the one sweep that enforces it.

The tablet's steps expire with the session's time (`transitions.sessions_expire_stale`); a session
still waiting for the workers after the policy's wait is closed; a case in manual review is
escalated, then closed undecided. A closed session's evidence is purged once its retention runs out
(`evidence.evidence_purge`), and a person whose identity nothing requires any more is erased
(`subjects.subjects_erase_due`). Every step re-reads under the row's lock and does nothing twice."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from registration.audit import audit
from registration.models import VerificationSession
from registration.state_machine import AWAITING_WORKERS
from registration.verification_policy import effective_policy

from .compliance import filing_threshold_check
from .evidence import evidence_purge
from .subjects import subjects_erase_due
from .transitions import S, notify_on_commit, session_lock, session_move, sessions_expire_stale, subscriber_close


def _close_if_overdue(session_id: UUID, *, states: frozenset[str], opened_before: datetime, reason: str) -> bool:
    with transaction.atomic():
        session = session_lock(session_id)
        if session.state not in states or session.created_at > opened_before:
            return False  # moved on meanwhile
        session_move(session, S.EXPIRED, actor=None, decision_reasons=[reason], details={"reason": reason})
        subscriber_close(session)
    return True


def sessions_close_overdue(*, now: datetime | None = None) -> int:
    """Close (expire) every session left waiting for the workers or for a supervisor past the policy's
    limit; returns how many. Their evidence then gets its purge date like any closed session's."""
    now = now or timezone.now()
    policy = effective_policy()
    limits = (
        (AWAITING_WORKERS, now - policy.judgement_max_age, "judgement_overdue"),
        (frozenset({S.MANUAL_REVIEW}), now - policy.review_close_after, "review_overdue"),
    )
    closed = 0
    for states, opened_before, reason in limits:
        due = VerificationSession.objects.filter(state__in=states, created_at__lte=opened_before)
        for session_id in list(due.values_list("pk", flat=True)):
            closed += _close_if_overdue(session_id, states=states, opened_before=opened_before, reason=reason)
    return closed


def reviews_escalate(*, now: datetime | None = None) -> int:
    """Mark (once) every case waiting for a supervisor longer than the policy allows, audited, so
    the admins see it before it is closed; returns how many."""
    now = now or timezone.now()
    opened_before = now - effective_policy().review_escalate_after
    due = VerificationSession.objects.filter(
        state=S.MANUAL_REVIEW, review_escalated_at__isnull=True, created_at__lte=opened_before
    )
    escalated = 0
    for session_id in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            session = session_lock(session_id)
            if session.state != S.MANUAL_REVIEW or session.review_escalated_at is not None:
                continue
            session.review_escalated_at = now
            session.save(update_fields=["review_escalated_at", "updated_at"])
            audit(actor=None, action="session.review_escalated", target=session, outlet=session.outlet, details={})
            notify_on_commit(session)
            escalated += 1
    return escalated


def retention_enforce(*, now: datetime | None = None) -> dict[str, int]:
    """The periodic retention sweep (the beat task `enforce_retention`): what each step did."""
    now = now or timezone.now()
    return {
        "sessions_expired": sessions_expire_stale(now=now),
        "reviews_escalated": reviews_escalate(now=now),
        "sessions_closed": sessions_close_overdue(now=now),
        "evidence_purged": evidence_purge(now=now),
        "identities_erased": subjects_erase_due(now=now),
        "filing_threshold_crossed": int(filing_threshold_check(now=now)),
    }

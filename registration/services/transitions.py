"""Locking and moving a session: the single place a session changes state, and its expiry."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.utils import timezone

from registration.audit import audit
from registration.errors import Conflict, Forbidden, NotFound
from registration.models import SubscriberStatus, VerificationSession
from registration.realtime import broadcast_session_update
from registration.roles import has_role
from registration.selectors import session_public_payload, session_time_extended
from registration.state_machine import CUSTOMER_STATES, FINAL_STATES, SessionState, check_transition
from registration.verification_policy import effective_policy

from .reference_embedding import reference_embedding_discard

User = AbstractBaseUser | AnonymousUser
S = SessionState


def today() -> date:
    return timezone.localdate()


def notify_on_commit(session: VerificationSession) -> None:
    """Push the session's new state to its screens once the transaction commits."""
    payload = session_public_payload(session)
    transaction.on_commit(
        lambda: broadcast_session_update(session_id=session.id, outlet_id=session.outlet_id, payload=payload)
    )


def session_lock(session_id: UUID | str) -> VerificationSession:
    """Lock a session row (call inside a transaction), or raise NotFound."""
    try:
        return VerificationSession.objects.select_for_update().select_related("subscriber").get(pk=session_id)
    except VerificationSession.DoesNotExist as exc:
        raise NotFound("No such verification session.") from exc


def session_move(
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
        session_id = session.pk
        transaction.on_commit(lambda: reference_embedding_discard(session_id=session_id))
    session.save()
    audit(
        actor=actor,
        action=f"session.{target}",
        target=session,
        outlet=session.outlet,
        details={"from": previous, "to": target, **(details or {})},
    )
    notify_on_commit(session)


def subscriber_close(session: VerificationSession) -> None:
    """A session that ends without approval leaves its pending subscriber rejected."""
    subscriber = session.subscriber
    if subscriber.status == SubscriberStatus.PENDING:
        subscriber.status = SubscriberStatus.REJECTED
        subscriber.save(update_fields=["status"])


def require_role(actor: User, *roles: str) -> int:
    """Return the acting user's id, or raise `Forbidden` when they lack every one of `roles`."""
    if actor.pk is None or not has_role(actor, *roles):
        raise Forbidden("Your role does not allow this.", code="role_required")
    return int(actor.pk)


def session_expire_if_due(session: VerificationSession, *, now: datetime) -> bool:
    """Expire a locked customer-facing session whose time is up; returns whether it expired.

    The one expiry rule, used by the customer-facing steps and by the periodic sweep."""
    if session.state not in CUSTOMER_STATES or session.expires_at > now:
        return False
    session_move(session, S.EXPIRED, actor=None, details={"reason": "session_timeout"})
    subscriber_close(session)
    return True


def session_open(session_id: UUID | str) -> None:
    """Refuse a customer-facing step on an expired session; the expiry is committed on its own first."""
    with transaction.atomic():
        expired = session_expire_if_due(session_lock(session_id), now=timezone.now())
    if expired:
        raise Conflict("This verification session has expired: start a new one.", code="session_expired")


def sessions_expire_stale(*, now: datetime | None = None) -> int:
    """Expire every customer-facing session whose time is up; returns how many."""
    now = now or timezone.now()
    due = VerificationSession.objects.filter(state__in=CUSTOMER_STATES, expires_at__lte=now).values_list(
        "pk", flat=True
    )
    count = 0
    for session_id in list(due):
        with transaction.atomic():
            count += session_expire_if_due(session_lock(session_id), now=now)
    return count


# The one extension of a session's time while the customer reads the consent: half its time again.
EXTENSION_SHARE = 2


def session_extend(*, session_id: UUID | str, actor: User) -> VerificationSession:
    """Give the customer more time, once, while they read the consent (before it is given): the
    session's end moves by half its time. A second extension, or one at another step, is refused."""
    session_open(session_id)
    with transaction.atomic():
        session = session_lock(session_id)
        if session.state != S.DOCUMENT_CAPTURED:
            raise Conflict("More time is given only while the consent is read.", code="extension_not_now")
        if session_time_extended(session):
            raise Conflict("The time was already extended once.", code="extension_used")
        added = timedelta(seconds=effective_policy().session_ttl_seconds // EXTENSION_SHARE)
        session.expires_at += added
        session.save(update_fields=["expires_at", "updated_at"])
        audit(actor=actor, action="session_time.extended", target=session, outlet=session.outlet,
              details={"seconds": int(added.total_seconds())})  # fmt: skip
        notify_on_commit(session)
    return session

"""The one place a session changes state (`session_move`): an allowed move is written, audited
with where it came from and pushed after the commit; an illegal one raises and writes nothing; a
final state starts the evidence's retention. The one expiry rule: a customer-facing session past its
time expires (its pending subscriber rejected), a session waiting for a supervisor does not, the
customer's next step is refused after the expiry is committed, and the sweep expires only what is due."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from registration.errors import Conflict, IllegalTransition
from registration.models import AuditEvent, SubscriberStatus, VerificationSession
from registration.services.transitions import (
    session_expire_if_due,
    session_move,
    session_open,
    sessions_expire_stale,
)
from registration.state_machine import SessionState
from registration.verification_policy import effective_policy

pytestmark = pytest.mark.django_db

Builder = Callable[..., VerificationSession]


def _moves(session: VerificationSession) -> list[dict[str, Any]]:
    events = AuditEvent.objects.filter(object_id=str(session.pk), action__startswith="session.").order_by("pk")
    return [event.details for event in events if "to" in event.details]


def test_an_allowed_move_is_written_audited_and_pushed_after_the_commit(
    make_session: Builder, clerk: Any, django_capture_on_commit_callbacks: Any
) -> None:
    session = make_session(SessionState.CONSENTED)

    with django_capture_on_commit_callbacks() as pushed, transaction.atomic():
        session_move(session, SessionState.LIVENESS_RUNNING, actor=clerk, details={"attempt": 1})

    session.refresh_from_db()
    assert session.state == SessionState.LIVENESS_RUNNING
    assert _moves(session)[-1] == {"from": "consented", "to": "liveness_running", "attempt": 1}
    assert len(pushed) == 1
    assert session.evidence_purge_after is None


def test_an_illegal_move_raises_and_writes_nothing(make_session: Builder, clerk: Any) -> None:
    session = make_session()
    before = _moves(session)

    with pytest.raises(IllegalTransition):
        session_move(session, SessionState.APPROVED, actor=clerk)

    session.refresh_from_db()
    assert session.state == SessionState.CREATED
    assert _moves(session) == before


def test_a_final_state_starts_the_evidences_retention(make_session: Builder, clerk: Any) -> None:
    session = make_session(SessionState.CONSENTED)

    session_move(session, SessionState.CANCELLED, actor=clerk)

    session.refresh_from_db()
    retention = effective_policy().evidence_retention_hours
    assert session.decided_at is not None
    assert session.evidence_purge_after == session.decided_at + timedelta(hours=retention)


def test_a_customer_facing_session_past_its_time_expires_and_its_subscriber_is_rejected(
    make_session: Builder,
) -> None:
    session = make_session(SessionState.CONSENTED)

    assert not session_expire_if_due(session, now=session.expires_at - timedelta(seconds=1))
    assert session_expire_if_due(session, now=session.expires_at)

    session.refresh_from_db()
    assert session.state == SessionState.EXPIRED
    assert session.subscriber.status == SubscriberStatus.REJECTED
    assert _moves(session)[-1] == {"from": "consented", "to": "expired", "reason": "session_timeout"}


def test_a_session_waiting_for_a_supervisor_does_not_expire_with_the_tablets_time(make_session: Builder) -> None:
    session = make_session(SessionState.MANUAL_REVIEW)

    assert not session_expire_if_due(session, now=session.expires_at + timedelta(days=1))
    assert VerificationSession.objects.get(pk=session.pk).state == SessionState.MANUAL_REVIEW


def test_the_next_step_is_refused_once_the_expiry_is_committed(make_session: Builder) -> None:
    session = make_session(SessionState.CONSENTED)
    VerificationSession.objects.filter(pk=session.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    with pytest.raises(Conflict) as refused:
        session_open(session.pk)

    assert refused.value.code == "session_expired"
    assert VerificationSession.objects.get(pk=session.pk).state == SessionState.EXPIRED
    session_open(make_session(SessionState.CONSENTED).pk)  # one still in time opens


def test_the_sweep_expires_only_what_is_due(make_session: Builder) -> None:
    due, in_time = make_session(SessionState.CONSENTED), make_session()
    VerificationSession.objects.filter(pk=due.pk).update(expires_at=timezone.now() - timedelta(minutes=1))

    assert sessions_expire_stale() == 1
    assert VerificationSession.objects.get(pk=due.pk).state == SessionState.EXPIRED
    assert VerificationSession.objects.get(pk=in_time.pk).state == SessionState.CREATED

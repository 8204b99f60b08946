"""Retention that ends: every open state has a maximum age, the sweep (the beat task, run as a real
task and twice) closes what outlived it, and a year walked forward leaves no face data older than
the policy allows."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from registration import services
from registration.models import AuditEvent, Evidence, EvidenceKind, VerificationSession
from registration.state_machine import AWAITING_WORKERS, CUSTOMER_STATES, FINAL_STATES, OPEN_STATES, SessionState
from registration.tasks import enforce_retention
from registration.verification_policy import effective_policy
from tests import factories
from tests.processes import wait_until
from tests.registration.services.conftest import Clock

S = SessionState
# How far the clock moves between two runs of the sweep in the year walk: a coarser beat than the
# deployed 15 minutes, so the bound below allows one step more than the policy's face-data age.
STEP = timedelta(hours=12)


def test_every_open_state_has_a_maximum_age() -> None:
    assert CUSTOMER_STATES | AWAITING_WORKERS | {S.MANUAL_REVIEW} == OPEN_STATES


def _store_face_data(session: VerificationSession) -> None:
    for kind in (EvidenceKind.LIVE_FRAME, EvidenceKind.LIVENESS_TRACE):
        services.evidence_store(session=session, kind=kind, content=b"face", content_type="application/octet-stream")


def _open_one_of_each(clerk: Any) -> list[VerificationSession]:
    """A session in every open state, one cancelled by the clerk, one approved and one rejected by the
    match: each with its document portrait, the open ones past the capture with a frame and trace."""
    sessions = []
    for state in sorted(OPEN_STATES | {S.APPROVED, S.REJECTED}):
        opened_in = S.MATCHING if state in {S.APPROVED, S.REJECTED} else state
        session = factories.make_session(clerk=clerk, state=opened_in, portrait=factories.STAND_IN_PORTRAIT)
        if state not in {S.CREATED, S.DOCUMENT_CAPTURED, S.CONSENTED}:
            _store_face_data(session)
        if state in {S.APPROVED, S.REJECTED}:
            services.match_apply(
                session_id=session.pk, decision=state, reasons=[], distance=0.3, threshold=0.4, model="m", detail={}
            )
        sessions.append(session)
    cancelled = factories.make_session(clerk=clerk, state=S.CONSENTED, portrait=factories.STAND_IN_PORTRAIT)
    services.session_cancel(session_id=cancelled.pk, actor=clerk, reason="the customer left")
    return [*sessions, cancelled]


def _face_data_too_old(now: datetime, bound: timedelta) -> list[tuple[str, str]]:
    old = Evidence.objects.filter(session__created_at__lt=now - bound)
    return [(str(row.session.state), row.kind) for row in old.select_related("session")]


def test_a_year_forward_leaves_no_face_data_older_than_the_policy_allows(clock: Clock, clerk: Any) -> None:
    policy = effective_policy()
    bound = policy.face_data_max_age + STEP
    end = clock.now + timedelta(days=365)
    opened = 0
    while clock.now < end:
        if opened % 30 == 0:  # every 15 days a batch in every state
            _open_one_of_each(clerk)
        enforce_retention.apply().get()
        enforce_retention.apply().get()
        assert _face_data_too_old(clock.now, bound) == []
        clock.now += STEP
        opened += 1
    # Nothing stays open past its state's limit, and every case in review was escalated before it closed.
    stale = VerificationSession.objects.filter(state__in=OPEN_STATES, created_at__lt=clock.now - bound)
    assert not stale.exists()
    closed_reviews = set(
        AuditEvent.objects.filter(action="session.expired", details__reason="review_overdue").values_list(
            "object_id", flat=True
        )
    )
    escalated = set(AuditEvent.objects.filter(action="session.review_escalated").values_list("object_id", flat=True))
    assert len(closed_reviews) >= 20
    assert closed_reviews <= escalated
    assert Evidence.objects.exists()  # the last batch's evidence is still within its retention


def test_each_limit_closes_its_state_once(clock: Clock, clerk: Any) -> None:
    policy = effective_policy()
    waiting = {
        state: factories.make_session(clerk=clerk, state=state) for state in (*AWAITING_WORKERS, S.MANUAL_REVIEW)
    }
    clock.now += policy.judgement_max_age + timedelta(minutes=1)
    assert services.sessions_close_overdue() == 2
    assert services.sessions_close_overdue() == 0
    review = VerificationSession.objects.get(pk=waiting[S.MANUAL_REVIEW].pk)
    assert review.state == S.MANUAL_REVIEW
    clock.now = review.created_at + policy.review_escalate_after + timedelta(minutes=1)
    assert services.reviews_escalate() == 1
    assert services.reviews_escalate() == 0
    clock.now = review.created_at + policy.review_close_after + timedelta(minutes=1)
    assert services.sessions_close_overdue() == 1
    review.refresh_from_db()
    assert review.state == S.EXPIRED
    assert review.subscriber.status == "rejected"
    assert review.evidence_purge_after == clock.now + policy.evidence_retention
    for session in waiting.values():
        session.refresh_from_db()
        assert session.state == S.EXPIRED
        assert session.state in FINAL_STATES


@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_the_retention_sweep_once_however_often_it_is_sent(
    celery_worker_process: Any, clerk: Any
) -> None:
    policy = effective_policy()
    overdue = timezone.now() - policy.review_close_after - timedelta(hours=1)
    sessions = [factories.make_session(clerk=clerk, state=state) for state in (*AWAITING_WORKERS, S.MANUAL_REVIEW)]
    VerificationSession.objects.filter(pk__in=[s.pk for s in sessions]).update(created_at=overdue)
    sent = [enforce_retention.delay(), enforce_retention.delay()]
    log_path: Path = celery_worker_process.log_path

    def both_ran() -> bool:
        log = log_path.read_text(errors="replace")
        return all(f"Task registration.tasks.enforce_retention[{task.id}] succeeded" in log for task in sent)

    assert wait_until(both_ran, timeout=90), log_path.read_text(errors="replace")[-3000:]
    for session in sessions:
        session.refresh_from_db()
        assert session.state == S.EXPIRED
        assert AuditEvent.objects.filter(object_id=str(session.pk), action="session.expired").count() == 1
    escalated = AuditEvent.objects.filter(action="session.review_escalated", object_id=str(sessions[-1].pk))
    assert escalated.count() == 1


def test_a_closed_session_without_a_purge_date_is_purged_after_the_retention(clock: Clock, clerk: Any) -> None:
    session = factories.make_session(clerk=clerk, state=S.REJECTED, portrait=factories.STAND_IN_PORTRAIT)
    assert session.evidence_purge_after is None  # moved there by hand, not by session_move
    clock.now += effective_policy().evidence_retention - timedelta(minutes=1)
    assert services.evidence_purge() == 0
    clock.now += timedelta(minutes=2)
    assert services.evidence_purge() == 1
    assert not Evidence.objects.filter(session=session).exists()

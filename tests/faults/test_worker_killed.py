"""The Celery worker killed with SIGKILL in the middle of `match_faces`: the task is redelivered
(acks_late, task_reject_on_worker_lost, the Redis visibility timeout) and the decision is written
exactly once. The worker runs the real matcher (DeepFace Dlib) on a large real photo."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from celery import Celery

from registration import task_names
from registration.models import AuditEvent, VerificationSession
from registration.state_machine import FINAL_STATES, SessionState
from tests.processes import wait_until
from tests.registration.test_tasks import _session_ready_to_match

from .conftest import fault_injected, sessions_lost
from .services import CeleryWorker

pytestmark = [pytest.mark.faults, pytest.mark.model, pytest.mark.django_db(transaction=True)]

S = SessionState
LARGE_PHOTO = "img49.jpg"  # 4352 x 2903: decoding and detection take a moment
VISIBILITY_TIMEOUT = 5  # seconds before Redis hands an unacknowledged task to another worker


def _state(session: VerificationSession) -> str:
    return str(VerificationSession.objects.values_list("state", flat=True).get(pk=session.pk))


def _kill_while_matching(
    broker: Celery,
    worker: CeleryWorker,
    kill: Callable[[], None],
    make_session: Callable[..., VerificationSession],
    testdata: Path,
) -> VerificationSession:
    """Send the match and kill as soon as the session is `matching`; a try that ends first is repeated."""
    for _ in range(3):
        session = _session_ready_to_match(make_session, testdata, LARGE_PHOTO, LARGE_PHOTO)
        broker.send_task(task_names.MATCH_FACES, args=[str(session.pk)])
        assert wait_until(_leaves(session, S.LIVENESS_PASSED), timeout=60, interval=0.002)
        if _state(session) == S.MATCHING:
            kill()
            fault_injected()
            if _state(session) != S.MATCHING:
                pytest.fail("the decision was written between the poll and the kill: nothing to redeliver")
            return session
        # The match was faster than the poll: that session is decided normally; try again.
        assert wait_until(lambda: _state(session) in FINAL_STATES | {S.MANUAL_REVIEW}, timeout=60)  # noqa: B023
    pytest.fail(f"could not catch the worker in the middle of a match:\n{worker.log()[-2000:]}")


def _leaves(session: VerificationSession, state: str) -> Callable[[], bool]:
    return lambda: _state(session) != state


def _decided_once(session: VerificationSession) -> str:
    session.refresh_from_db()
    decision = session.state
    assert decision in {S.APPROVED, S.REJECTED, S.MANUAL_REVIEW}
    time.sleep(2.0)  # give a duplicate delivery the chance to write a second decision
    events = AuditEvent.objects.filter(object_id=str(session.pk))
    assert events.filter(action=f"session.{decision}").count() == 1
    assert events.filter(action="session.matching").count() == 1
    assert events.filter(action__in=["session.approved", "session.rejected", "session.manual_review"]).count() == 1
    return decision


def test_worker_machine_killed_mid_match_task_is_redelivered_once(
    broker: Celery, start_worker: Callable[..., CeleryWorker], make_session: Callable[..., VerificationSession],
    testdata: Path,
) -> None:  # fmt: skip
    """Main process and pool killed together (a crashed container): Redis redelivers after the visibility timeout."""
    first = start_worker("doomed", queues="face", visibility_timeout=VISIBILITY_TIMEOUT)
    session = _kill_while_matching(broker, first, first.kill_all, make_session, testdata)
    assert first.process is not None
    assert first.process.poll() is not None  # really dead, with the task unacknowledged

    second = start_worker("rescuer", queues="face", visibility_timeout=VISIBILITY_TIMEOUT)
    assert wait_until(lambda: _state(session) != S.MATCHING, timeout=120), second.log()[-3000:]
    decision = _decided_once(session)
    assert decision == S.APPROVED  # the same photo on both sides
    assert second.log().count("match_faces[") >= 1
    assert not sessions_lost([session.pk])


def test_pool_process_killed_mid_match_task_is_requeued_once(
    broker: Celery, start_worker: Callable[..., CeleryWorker], make_session: Callable[..., VerificationSession],
    testdata: Path,
) -> None:  # fmt: skip
    """Only the pool process dies: the worker sees it lost (task_reject_on_worker_lost) and requeues at once."""
    worker = start_worker("survivor", queues="face")

    def kill_pool_process() -> None:
        for child in worker.pool_children():
            child.kill()

    session = _kill_while_matching(broker, worker, kill_pool_process, make_session, testdata)
    assert wait_until(lambda: _state(session) != S.MATCHING, timeout=120), worker.log()[-3000:]
    assert _decided_once(session) == S.APPROVED
    assert "WorkerLostError" in worker.log() or "SIGKILL" in worker.log()
    assert not sessions_lost([session.pk])

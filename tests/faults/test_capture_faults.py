"""Faults during the live challenge: the tablet's browser disconnecting mid-challenge (a real aiortc peer
sending video), and Redis restarting while a capture is open. The attempt ends as liveness_failed with
a retry allowed, nothing is judged, and the session is never left stuck."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
from asgiref.sync import async_to_sync
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from capture.routing import websocket_urlpatterns
from registration import services
from registration.models import AuditEvent, Evidence, EvidenceKind, VerificationSession
from registration.state_machine import SessionState
from tests.peer_registry import fresh_peer_registry
from tests.processes import wait_until

from .conftest import fault_injected, sessions_lost
from .services import RedisServer

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

S = SessionState
ROUTES = URLRouter(websocket_urlpatterns)
DISCONNECT_REASONS = {"disconnected", "connection_closed", "connection_failed", "server_error"}


@pytest.fixture(autouse=True)
def scripted_capture(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """A fresh peer registry, a scripted analysis instead of the face-mesh model, and the verdict chain
    recorded instead of sent (a disconnected attempt must never be judged)."""
    from tests.capture.fakes import FakeAnalysis

    settings.SHIMING_FIXED_CHALLENGE_PLAN = ["blink", "turn_left", "turn_right"]
    monkeypatch.setattr("capture.webrtc.analysis.build_analysis", lambda plan: FakeAnalysis(list(plan)))
    judged: list[str] = []
    monkeypatch.setattr("registration.services.attempts._enqueue_judgement", judged.append)
    with fresh_peer_registry():
        yield judged


@pytest.fixture
def ready_session(clerk: Any, make_session: Callable[..., VerificationSession]) -> VerificationSession:
    session = make_session()
    services.evidence_store(session=session, kind=EvidenceKind.ID_PORTRAIT, content=b"jpeg", content_type="image/jpeg")
    VerificationSession.objects.filter(pk=session.pk).update(state=S.DOCUMENT_CAPTURED)
    services.consent_record(session_id=session.pk, actor=clerk, consent_version="3", language="zh-hans")
    return VerificationSession.objects.get(pk=session.pk)


async def _open(session: VerificationSession, user: Any) -> tuple[WebsocketCommunicator, dict[str, Any]]:
    from tests.capture.fakes import receive

    communicator = WebsocketCommunicator(ROUTES, f"/ws/capture/{session.pk}/")
    communicator.scope["user"] = user
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    return communicator, await receive(communicator)


async def _challenge_then_vanish(session: VerificationSession, user: Any) -> dict[str, Any]:
    """Start the challenge with real video, and vanish (tab closed) once the first prompt arrives."""
    from tests.capture.fakes import receive_until, start_video

    communicator, ready = await _open(session, user)
    assert ready["type"] == "ready"
    browser = await start_video(communicator)
    prompts = await receive_until(communicator, "status")
    await communicator.disconnect()
    await browser.close()
    return prompts[-1]


def _state(session: VerificationSession) -> VerificationSession:
    return VerificationSession.objects.get(pk=session.pk)


def test_browser_disconnecting_mid_challenge_interrupts_the_attempt_and_allows_a_retry(
    scripted_capture: list[str], clerk: Any, ready_session: VerificationSession
) -> None:
    prompt = async_to_sync(_challenge_then_vanish)(ready_session, clerk)
    fault_injected()
    assert prompt["finished"] is False  # it really was mid-challenge

    assert wait_until(lambda: _state(ready_session).state == S.CONSENTED, timeout=10)
    failed = _state(ready_session)
    assert failed.attempt_count == 0  # interrupted, not failed: the attempt is given back
    interrupted = AuditEvent.objects.get(object_id=str(ready_session.pk), action="capture.interrupted")
    assert interrupted.details["reason"] in DISCONNECT_REASONS
    assert failed.challenge_nonce == ""  # the attempt's nonce can never finish a capture now
    assert not Evidence.objects.filter(session=ready_session, kind=EvidenceKind.LIVENESS_TRACE).exists()
    assert scripted_capture == []  # nothing was sent to be judged

    async def retry() -> dict[str, Any]:
        communicator, ready = await _open(ready_session, clerk)
        await communicator.disconnect()
        return ready

    ready = async_to_sync(retry)()
    assert ready["type"] == "ready"
    assert ready["attempt"] == 1
    assert wait_until(lambda: _state(ready_session).state == S.CONSENTED, timeout=10)
    assert not sessions_lost([ready_session.pk])


def test_a_late_finish_of_an_aborted_attempt_is_refused(clerk: Any, ready_session: VerificationSession) -> None:
    """The browser vanished; its attempt's results arriving afterwards cannot resurrect it."""
    started = services.capture_start(session_id=ready_session.pk, actor=clerk)
    services.capture_abort(session_id=started.pk, nonce=started.challenge_nonce, reason="disconnected")
    fault_injected()
    from registration.errors import Conflict

    with pytest.raises(Conflict) as refused:
        services.capture_finish(
            session_id=started.pk, nonce=started.challenge_nonce, trace={"frames": []}, best_frame_jpeg=None,
            live_summary={},
        )  # fmt: skip
    assert refused.value.code == "stale_capture"
    assert services.capture_abort(session_id=started.pk, nonce=started.challenge_nonce, reason="again") is None
    assert _state(ready_session).state == S.CONSENTED  # interrupted: the attempt was given back
    assert not sessions_lost([ready_session.pk])


def test_redis_restarting_during_a_capture_never_leaves_the_session_stuck(
    settings: Any, private_redis: RedisServer, clerk: Any, ready_session: VerificationSession
) -> None:
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": settings.REDIS_CHANNEL_LAYER,
            "CONFIG": {"hosts": [private_redis.url], "prefix": "shiming-faults"},
        }
    }

    async def capture_across_a_restart() -> None:
        communicator, ready = await _open(ready_session, clerk)
        assert ready["type"] == "ready"
        private_redis.restart(down_seconds=1.0)
        # The consumer's channel-layer receive breaks with the restart and ends the consumer (a real
        # server logs it and closes the socket); the test harness re-raises it here.
        with contextlib.suppress(redis.ConnectionError):
            await communicator.disconnect()

    async_to_sync(capture_across_a_restart)()
    fault_injected()
    # Whether the consumer lived through the restart or was ended by it, the attempt is closed and
    # recorded: never left running with a live nonce.
    assert wait_until(lambda: _state(ready_session).state == S.CONSENTED, timeout=15)  # interrupted: given back
    assert _state(ready_session).challenge_nonce == ""

    async def retry() -> dict[str, Any]:
        communicator, ready = await _open(ready_session, clerk)
        await communicator.disconnect()
        return ready

    assert async_to_sync(retry)()["attempt"] == 1
    assert not sessions_lost([ready_session.pk])

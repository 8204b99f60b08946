"""An attempt whose end the server cannot store: the session is never left in the challenge.

When storing the end raises something other than a domain error, the attempt ends as interrupted:
it is given back and the customer tries again (a session left `liveness_running` would wait for its
expiry; the customer did nothing wrong, so it does not count: `services.attempts.INTERRUPTIONS`). Here
PostgreSQL itself refuses the end (a summary value JSON cannot hold), through the real consumer,
aiortc peer and database."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync

from capture.webrtc.analysis import CaptureOutcome
from capture.webrtc.registry import get_registry
from registration.models import Evidence, EvidenceKind, VerificationSession
from registration.state_machine import SessionState
from tests.capture.fakes import FakeAnalysis, receive, start_video

from .test_consumers import connect_ready

S = SessionState


class RefusedEndAnalysis(FakeAnalysis):
    """Completes like FakeAnalysis, with a summary PostgreSQL's JSON refuses (NaN is not JSON)."""

    def outcome(self) -> CaptureOutcome:
        outcome = super().outcome()
        return CaptureOutcome(
            trace=outcome.trace,
            best_frame_jpeg=outcome.best_frame_jpeg,
            live_summary={**outcome.live_summary, "score": float("nan")},
        )


@pytest.fixture
def refused_end(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("capture.webrtc.analysis.build_analysis", lambda plan: RefusedEndAnalysis(list(plan)))


async def run_until_end(session: VerificationSession, user: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """A whole attempt; returns the end message and what the socket got after it."""
    communicator, ready = await connect_ready(session, user)
    assert ready["type"] == "ready"
    browser = await start_video(communicator)
    end = await receive(communicator, wait=20)
    while end["type"] == "status":  # the prompts, up to the end message (before the fix: a bare close)
        end = await receive(communicator, wait=20)
    after = await communicator.receive_output(5)
    await browser.close()
    await communicator.disconnect()
    return end, after


def test_a_refused_end_gives_the_attempt_back_for_a_retry(
    make_session: Callable[..., VerificationSession], clerk: Any, refused_end: None, judgements: list[str]
) -> None:
    session = make_session(SessionState.CONSENTED)

    end, after = async_to_sync(run_until_end)(session, clerk)

    assert end["type"] == "ended"  # before: the socket closed with no end message at all
    assert end["reason"] == "not_saved"
    assert after["type"] == "websocket.close"
    session.refresh_from_db()
    assert session.state == S.CONSENTED  # before: liveness_running until the session expired
    assert session.challenge_nonce == ""
    assert session.attempt_count == 0  # an interruption, not a failure: the attempt is given back
    assert not Evidence.objects.filter(session=session, kind=EvidenceKind.LIVENESS_TRACE).exists()  # nothing half-done
    assert judgements == []
    assert get_registry().active_count == 0


def test_an_end_stored_whose_hand_over_to_the_workers_failed_stays_captured(
    make_session: Callable[..., VerificationSession],
    clerk: Any,
    fake_engine: list[FakeAnalysis],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The broker away at the commit: the attempt is stored, the page is told so, and the periodic
    recovery (tests/registration/test_tasks.py) sends the verdict again."""

    def broker_away(session_id: str) -> None:
        raise ConnectionError("broker away")

    monkeypatch.setattr("registration.services.attempts._enqueue_judgement", broker_away)
    session = make_session(SessionState.CONSENTED)

    end, after = async_to_sync(run_until_end)(session, clerk)

    assert end["type"] == "captured"
    assert after["type"] == "websocket.close"
    session.refresh_from_db()
    assert session.state == S.LIVENESS_RUNNING
    assert session.challenge_nonce == ""
    assert session.liveness_finished_at is not None
    assert Evidence.objects.filter(session=session, kind=EvidenceKind.LIVENESS_TRACE).exists()
    assert get_registry().active_count == 0


def test_the_recovery_never_ends_a_capture_the_peer_still_allows(settings: Any) -> None:
    """`attempt_lost_after` is past the longest attempt a capture peer runs: the offer's wait, then
    the engine's session timeout and the peer's margin from the answer."""
    from capture.consumers import PEER_TIMEOUTS
    from registration.services.attempts import attempt_lost_after

    for timeout in (40.0, 120.0):
        settings.SHIMING_LIVENESS_SESSION_TIMEOUT_SECONDS = timeout
        longest = PEER_TIMEOUTS.offer_seconds + timeout + PEER_TIMEOUTS.margin_seconds
        assert attempt_lost_after().total_seconds() > longest + 60  # a minute to store the end

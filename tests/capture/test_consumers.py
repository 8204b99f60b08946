"""The capture consumer end to end in one process: a real aiortc peer plays the tablet, a scripted
analysis plays the engine, and the services, PostgreSQL and the Redis channel layer are real."""

from __future__ import annotations

import asyncio
import gc
import itertools
import json
import os
import threading
from collections.abc import Callable
from typing import Any

import pytest
from aiortc import RTCPeerConnection
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser

from capture import consumers
from capture.routing import websocket_urlpatterns
from capture.webrtc.peer import PeerTimeouts
from capture.webrtc.registry import get_registry
from registration import services
from registration.models import AuditEvent, Evidence, EvidenceKind, VerificationPolicy, VerificationSession
from registration.state_machine import SessionState
from tests.capture.fakes import BrowserPeer, FakeAnalysis, receive, receive_until, start_video

S = SessionState
application = URLRouter(websocket_urlpatterns)


def capture_socket(session_id: Any, user: Any) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, f"/ws/capture/{session_id}/")
    communicator.scope["user"] = user
    return communicator


async def refresh(session: VerificationSession) -> VerificationSession:
    return await database_sync_to_async(VerificationSession.objects.get)(pk=session.pk)


async def connect_ready(session: VerificationSession, user: Any) -> tuple[WebsocketCommunicator, dict[str, Any]]:
    communicator = capture_socket(session.pk, user)
    connected, _ = await communicator.connect()
    assert connected
    return communicator, await receive(communicator)


async def run_full_capture(session: VerificationSession, user: Any) -> list[dict[str, Any]]:
    communicator, ready = await connect_ready(session, user)
    assert ready["type"] == "ready"
    browser = await start_video(communicator)
    messages = await receive_until(communicator, "captured")
    assert (await communicator.receive_output(5))["type"] == "websocket.close"
    await browser.close()
    await communicator.disconnect()
    return messages


def test_a_full_attempt_stores_the_trace_and_enqueues_the_verdict(
    make_session: Callable[..., VerificationSession],
    clerk: Any,
    fake_engine: list[FakeAnalysis],
    judgements: list[str],
) -> None:
    session = make_session(SessionState.CONSENTED)

    messages = async_to_sync(run_full_capture)(session, clerk)

    statuses = [m for m in messages if m["type"] == "status"]
    session.refresh_from_db()  # the plan is drawn when the capture starts
    assert statuses[0]["step"] == session.challenge_plan[0]
    assert statuses[0]["hint"] == "move_closer"
    assert statuses[-1]["finished"] is True
    assert [m["steps_done"] for m in statuses] == sorted(m["steps_done"] for m in statuses)
    session.refresh_from_db()
    assert session.state == S.LIVENESS_RUNNING  # the worker's verdict comes next
    assert session.challenge_nonce == ""
    assert session.attempt_count == 1
    kinds = set(Evidence.objects.filter(session=session).values_list("kind", flat=True))
    assert {EvidenceKind.LIVENESS_TRACE, EvidenceKind.LIVE_FRAME} <= kinds
    assert judgements == [str(session.pk)]
    analysis = fake_engine[0]
    assert analysis.closed
    assert not any(name == "MainThread" for name in analysis.threads)
    assert all(name.startswith("capture-analysis") for name in analysis.threads)
    assert get_registry().active_count == 0


def test_frames_are_decimated_to_the_engine_budget(
    make_session: Callable[..., VerificationSession],
    clerk: Any,
    fake_engine: list[FakeAnalysis],
    judgements: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(FakeAnalysis, "frames_per_step", 10)
    session = make_session(SessionState.CONSENTED)

    async_to_sync(run_full_capture)(session, clerk)

    times = fake_engine[0].times
    gaps = [b - a for a, b in itertools.pairwise(times)]
    # 30 fps in, 15 fps budget: admitted frames are about 1/15 s apart, never 1/30.
    assert min(gaps) > 1 / 30 + 0.01
    assert sum(gaps) / len(gaps) == pytest.approx(1 / 15, rel=0.35)


def test_disconnecting_mid_challenge_interrupts_the_attempt_and_closes_the_peer(
    make_session: Callable[..., VerificationSession],
    clerk: Any,
    fake_engine: list[FakeAnalysis],
    judgements: list[str],
) -> None:
    session = make_session(SessionState.CONSENTED)

    async def scenario() -> tuple[VerificationSession, Any]:
        communicator, _ = await connect_ready(session, clerk)
        browser = await start_video(communicator)
        assert (await receive(communicator))["type"] == "status"
        peer = get_registry().peers()[0]
        server_pc = peer.pc
        await communicator.disconnect()
        await peer.wait_closed()
        await browser.close()
        return await refresh(session), server_pc

    after, server_pc = async_to_sync(scenario)()

    # interrupted, not failed: the attempt is given back (services.attempts.INTERRUPTIONS), audited
    assert (after.state, after.attempt_count, after.liveness_reasons) == (S.CONSENTED, 0, [])
    interrupted = AuditEvent.objects.get(object_id=str(session.pk), action="capture.interrupted")
    assert interrupted.details["reason"] == "disconnected"
    assert server_pc.connectionState == "closed"
    assert get_registry().active_count == 0
    assert judgements == []
    assert fake_engine[0].closed


def test_refusals_are_explained_before_the_socket_closes(
    make_session: Callable[..., VerificationSession], clerk: Any, other_clerk: Any, fake_engine: list[FakeAnalysis]
) -> None:
    ready = make_session(SessionState.CONSENTED)
    not_ready = make_session(state=S.CREATED)

    async def first_message(session_id: Any, user: Any) -> tuple[dict[str, Any], int]:
        communicator = capture_socket(session_id, user)
        await communicator.connect()
        message = await receive(communicator)
        closed = await communicator.receive_output(5)
        await communicator.disconnect()
        return message, closed["code"]

    anonymous, code = async_to_sync(first_message)(ready.pk, AnonymousUser())
    assert (anonymous["code"], code) == ("not_signed_in", consumers.CLOSE_UNAUTHENTICATED)
    foreign, code = async_to_sync(first_message)(ready.pk, other_clerk)
    assert (foreign["code"], code) == ("not_found", consumers.CLOSE_NOT_FOUND)
    early, code = async_to_sync(first_message)(not_ready.pk, clerk)
    assert early["type"] == "error"
    assert (early["code"], code) == ("illegal_transition", consumers.CLOSE_REFUSED)
    ready.refresh_from_db()
    assert (ready.state, ready.attempt_count) == (S.CONSENTED, 0)


def test_a_second_connection_to_the_same_session_is_refused(
    make_session: Callable[..., VerificationSession], clerk: Any, fake_engine: list[FakeAnalysis]
) -> None:
    session = make_session(SessionState.CONSENTED)

    async def scenario() -> dict[str, Any]:
        first, ready = await connect_ready(session, clerk)
        assert ready["type"] == "ready"
        second = capture_socket(session.pk, clerk)
        await second.connect()
        refusal = await receive(second)
        await second.disconnect()
        await first.disconnect()
        return refusal

    refusal = async_to_sync(scenario)()

    assert refusal["code"] == "capture_in_progress"
    session.refresh_from_db()
    assert session.attempt_count == 0  # the refused second screen started nothing; the first was left
    started = AuditEvent.objects.filter(object_id=str(session.pk), action=f"session.{S.LIVENESS_RUNNING}")
    assert started.count() == 1


def test_ready_tells_the_attempt_limit_of_the_admin_policy(
    make_session: Callable[..., VerificationSession], clerk: Any, fake_engine: list[FakeAnalysis], settings: Any
) -> None:
    """The limit the services enforce (the admin-editable policy) is the one the page is told."""
    settings.SHIMING_MAX_LIVENESS_ATTEMPTS = 3
    VerificationPolicy.objects.create(pk=1, max_liveness_attempts=5)
    session = make_session(SessionState.CONSENTED)

    async def scenario() -> dict[str, Any]:
        communicator, ready = await connect_ready(session, clerk)
        await communicator.disconnect()
        return ready

    ready = async_to_sync(scenario)()

    assert (ready["type"], ready["max_attempts"]) == ("ready", 5)


def test_a_second_server_process_refuses_a_running_challenge(
    make_session: Callable[..., VerificationSession], clerk: Any
) -> None:
    session = make_session(SessionState.CONSENTED)
    services.capture_start(session_id=session.pk, actor=clerk)  # running on another process

    async def scenario() -> dict[str, Any]:
        communicator = capture_socket(session.pk, clerk)
        await communicator.connect()
        message = await receive(communicator)
        await communicator.disconnect()
        return message

    assert async_to_sync(scenario)()["code"] == "capture_in_progress"


def test_beyond_the_limit_the_page_is_told_to_retry(
    make_session: Callable[..., VerificationSession],
    clerk: Any,
    fake_engine: list[FakeAnalysis],
    settings: Any,
) -> None:
    settings.SHIMING_MAX_CAPTURE_SESSIONS = 1
    first_session, second_session = make_session(SessionState.CONSENTED), make_session(SessionState.CONSENTED)

    async def scenario() -> tuple[dict[str, Any], int]:
        first, _ = await connect_ready(first_session, clerk)
        second = capture_socket(second_session.pk, clerk)
        await second.connect()
        message = await receive(second)
        closed = await second.receive_output(5)
        await second.disconnect()
        await first.disconnect()
        return message, closed["code"]

    message, code = async_to_sync(scenario)()

    assert (message["code"], code) == ("busy", consumers.CLOSE_BUSY)
    assert "retry" in message["message"]
    second_session.refresh_from_db()
    assert (second_session.state, second_session.attempt_count) == (S.CONSENTED, 0)


def test_bad_messages_get_an_error_and_never_crash(
    make_session: Callable[..., VerificationSession], clerk: Any, fake_engine: list[FakeAnalysis]
) -> None:
    session = make_session(SessionState.CONSENTED)

    async def scenario() -> list[str]:
        communicator, _ = await connect_ready(session, clerk)
        codes = []
        for raw in ["not json", "[1, 2]", json.dumps({"type": "dance"})]:
            await communicator.send_to(text_data=raw)
            codes.append((await receive(communicator))["code"])
        await communicator.send_to(bytes_data=b"\x00\x01")
        codes.append((await receive(communicator))["code"])
        for sdp in [None, 42, "v=0\r\nnonsense", "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\ngarbage\r\n", "x" * 80000]:
            await communicator.send_json_to({"type": "offer", "sdp": sdp})
            codes.append((await receive(communicator))["code"])
        # Still usable: a real offer is answered after all that.
        browser = BrowserPeer()
        await communicator.send_json_to({"type": "offer", "sdp": await browser.offer_sdp()})
        codes.append((await receive(communicator))["type"])
        await browser.close()
        await communicator.disconnect()
        return codes

    codes = async_to_sync(scenario)()

    assert codes[:4] == ["invalid_message", "invalid_message", "unknown_message", "invalid_message"]
    assert codes[4:9] == ["invalid_offer", "invalid_offer", "invalid_offer", "invalid_offer", "invalid_message"]
    assert codes[9] == "answer"


def test_a_flood_closes_the_connection_and_ends_the_attempt(
    make_session: Callable[..., VerificationSession], clerk: Any, fake_engine: list[FakeAnalysis]
) -> None:
    session = make_session(SessionState.CONSENTED)

    async def scenario() -> tuple[list[dict[str, Any]], int]:
        communicator, _ = await connect_ready(session, clerk)
        for _ in range(consumers.MAX_CAPTURE_MESSAGES + 5):
            await communicator.send_json_to({"type": "ping"})
        messages = []
        while True:
            output = await communicator.receive_output(5)
            if output["type"] == "websocket.close":
                break
            messages.append(json.loads(output["text"]))
        await communicator.disconnect()
        await asyncio.sleep(0.2)
        return messages, output["code"]

    messages, code = async_to_sync(scenario)()

    assert code == consumers.CLOSE_TOO_MANY
    assert messages[-1]["code"] == "too_many_messages"
    session.refresh_from_db()
    assert (session.state, session.liveness_reasons) == (S.LIVENESS_FAILED, ["too_many_messages"])  # not given back
    assert get_registry().active_count == 0


def test_no_offer_in_time_ends_the_attempt(
    make_session: Callable[..., VerificationSession],
    clerk: Any,
    fake_engine: list[FakeAnalysis],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(consumers, "PEER_TIMEOUTS", PeerTimeouts(offer_seconds=0.5))
    session = make_session(SessionState.CONSENTED)

    async def scenario() -> list[dict[str, Any]]:
        communicator, _ = await connect_ready(session, clerk)
        messages = await receive_until(communicator, "ended", wait=5)
        await communicator.disconnect()
        return messages

    assert async_to_sync(scenario)()[-1]["reason"] == "no_offer"
    session.refresh_from_db()
    assert (session.state, session.liveness_reasons) == (S.LIVENESS_FAILED, ["no_offer"])


def test_cancelling_the_session_elsewhere_closes_the_peer(
    make_session: Callable[..., VerificationSession], clerk: Any, fake_engine: list[FakeAnalysis]
) -> None:
    session = make_session(SessionState.CONSENTED)

    async def scenario() -> tuple[list[dict[str, Any]], Any]:
        communicator, _ = await connect_ready(session, clerk)
        browser = await start_video(communicator)
        server_pc = get_registry().peers()[0].pc
        await database_sync_to_async(services.session_cancel)(session_id=session.pk, actor=clerk, reason="left")
        messages = await receive_until(communicator, "ended")
        await browser.close()
        await communicator.disconnect()
        return messages, server_pc

    messages, server_pc = async_to_sync(scenario)()

    assert messages[-1]["reason"] == "session_ended"
    assert server_pc.connectionState == "closed"
    session.refresh_from_db()
    assert session.state == S.CANCELLED


@pytest.mark.slow
def test_server_shutdown_closes_every_peer(
    make_session: Callable[..., VerificationSession], clerk: Any, fake_engine: list[FakeAnalysis]
) -> None:
    sessions = [make_session(SessionState.CONSENTED), make_session(SessionState.CONSENTED)]

    async def scenario() -> list[Any]:
        sockets = []
        for session in sessions:
            communicator, _ = await connect_ready(session, clerk)
            browser = await start_video(communicator)
            sockets.append((communicator, browser))
        pcs = [peer.pc for peer in get_registry().peers()]
        await get_registry().close_all()
        for communicator, browser in sockets:
            await receive_until(communicator, "ended")
            await browser.close()
            await communicator.disconnect()
        return pcs

    pcs = async_to_sync(scenario)()

    assert [pc.connectionState for pc in pcs] == ["closed", "closed"]
    assert get_registry().active_count == 0
    for session in sessions:
        session.refresh_from_db()
        assert (session.state, session.attempt_count) == (S.CONSENTED, 0)  # a restart costs no attempt
        interrupted = AuditEvent.objects.get(object_id=str(session.pk), action="capture.interrupted")
        assert interrupted.details["reason"] == "server_shutdown"


@pytest.mark.slow
def test_twenty_attempts_in_a_row_leave_nothing_behind(
    make_session: Callable[..., VerificationSession],
    clerk: Any,
    fake_engine: list[FakeAnalysis],
    judgements: list[str],
) -> None:
    sessions = [make_session(SessionState.CONSENTED) for _ in range(21)]

    async def scenario() -> tuple[list[str], list[str], int, int]:
        await run_full_capture(sessions[0], clerk)  # warm: the shared threads exist from here on
        await asyncio.sleep(0.5)
        before, tasks_before = _threads_outside_the_pool(), len(asyncio.all_tasks())
        for session in sessions[1:]:
            await run_full_capture(session, clerk)
        # Give closing connections and finishing threads up to 10 s (a loaded CI machine is slow).
        for _ in range(100):
            await asyncio.sleep(0.1)
            gc.collect()
            # `type(...) is`, not isinstance: gc also returns dead weak proxies, which raise on isinstance.
            open_pcs = sum(
                1 for obj in gc.get_objects() if type(obj) is RTCPeerConnection and obj.connectionState != "closed"
            )
            after, tasks_left = _threads_outside_the_pool(), len(asyncio.all_tasks()) - tasks_before
            if len(after) <= len(before) and tasks_left <= 0 and open_pcs == 0:
                break
        return before, after, tasks_left, open_pcs

    before, after, tasks_left, open_pcs = async_to_sync(scenario)()

    pool = [t.name for t in threading.enumerate() if t.name.startswith("capture-analysis")]
    print(f"\n20 attempts: threads outside the analysis pool {len(before)} -> {len(after)}, ", end="")
    print(f"analysis pool {len(pool)} (limit {get_registry().limit}), tasks left {tasks_left}, open pcs {open_pcs}")
    assert len(after) <= len(before), (before, after)
    assert len(pool) <= get_registry().limit
    loop_executor = [t.name for t in threading.enumerate() if t.name.startswith("asyncio_")]
    assert len(loop_executor) <= min(32, (os.cpu_count() or 1) + 4)
    assert tasks_left <= 0
    assert open_pcs == 0
    assert len(judgements) == 21
    assert get_registry().active_count == 0


# Bounded pools that grow on demand and then stay: the capture's analysis pool (up to the capture limit)
# and the event loop's default executor (`asyncio_N`, used by getaddrinfo during ICE; at most
# min(32, cores + 4) threads). A new thread of either is not a leak; a thread of anything else is.
BOUNDED_POOLS = ("capture-analysis", "asyncio_")


def _threads_outside_the_pool() -> list[str]:
    """Live threads, less the bounded pools above."""
    return sorted(t.name for t in threading.enumerate() if not t.name.startswith(BOUNDED_POOLS))

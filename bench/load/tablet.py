"""One tablet's sessions and the run of many: registration, the capture socket and its WebRTC
peer, the customer acting on each prompt, the decision pushed on the session socket; a "busy"
refusal retried after a pause, then the session cancelled."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from dataclasses import dataclass, field
from typing import Any

from bench.load.api import StepFailed, TabletHttp
from bench.load.camera import PAGE_MAX_BITRATE, TABLET_FPS, cap_tablet_bitrate, customer_track, offer_only
from bench.load.sockets import Closed, JsonSocket

DECIDED = {"approved", "rejected", "manual_review"}
TERMINAL = DECIDED | {"liveness_failed", "expired", "cancelled"}


@dataclass
class SessionResult:
    index: int
    url: str
    session_id: str = ""
    outcome: str = "failed"  # decided | liveness_failed | failed
    reason: str = ""
    state: str = ""
    busy_refusals: int = 0
    busy_clean: bool = True  # every refused attempt left the session untouched
    started_at: float = 0.0
    capture_started_at: float | None = None
    capture_ended_at: float | None = None
    last_step_at: float | None = None
    decided_at: float | None = None
    latency_s: float | None = None
    frames_sent: int = 0
    plan: list[str] = field(default_factory=list)
    frames_received: int | None = None
    frames_analysed: int | None = None
    capture_seconds: float = 0.0  # every attempt's, ready -> captured
    attempts: int = 0  # capture attempts that reached "ready"
    max_attempts: int = 1  # what the server's "ready" allows


@dataclass
class Load:
    """What every tablet shares: the card, the clerk, the camera rate, the limits. Each session's
    customer is drawn from `seed` and the session's number (reaction delays; the plan is the
    server's, random as in production)."""

    card: bytes
    username: str
    password: str
    fps: float = TABLET_FPS
    max_bitrate: int = PAGE_MAX_BITRATE
    seed: int = 0
    busy_retries: int = 3
    busy_pause_s: float = 3.0
    decision_timeout_s: float = 90.0
    codec: str = ""
    """The only video codec the tablets offer ("VP8", "H264"); empty: aiortc's whole list (VP8
    first), ordered by the server's answer only for an attempt with a light step."""


class Tablet:
    def __init__(self, url: str, load: Load) -> None:
        self.url = url
        self.load = load
        self.http = TabletHttp(url)
        self.consent_version = ""

    async def sign_in(self) -> None:
        await asyncio.to_thread(self.http.sign_in, self.load.username, self.load.password)
        self.consent_version = await asyncio.to_thread(self.http.consent_version)

    async def run_session(self, index: int) -> SessionResult:
        result = SessionResult(index=index, url=self.url, started_at=time.monotonic())
        try:
            result.session_id = await asyncio.to_thread(self.http.prepare_session, self.load.card, self.consent_version)
            updates = await JsonSocket.open(self.url, f"/ws/sessions/{result.session_id}/", self.http.cookie_header)
            try:
                await self._capture_with_retries(result)
                while result.outcome == "captured":
                    await self._await_decision(updates, result)
                    if result.outcome != "liveness_failed" or result.attempts >= result.max_attempts:
                        break
                    # As a customer on the page: "try again" while the product allows it.
                    result.outcome, result.last_step_at, result.latency_s = "failed", None, None
                    await self._capture_with_retries(result)
            finally:
                await updates.close()
        except StepFailed as exc:
            result.reason = exc.reason
        except (TimeoutError, OSError) as exc:
            result.reason = f"{type(exc).__name__}:{exc}"[:120]
        if result.outcome not in {"decided", "liveness_failed"}:
            result.outcome = "failed"
        if result.session_id:
            with contextlib.suppress(Exception):
                result.state = str((await asyncio.to_thread(self.http.session, result.session_id))["state"])
        return result

    async def _capture_with_retries(self, result: SessionResult) -> None:
        before = ("consented", 0) if not result.attempts else ("liveness_failed", result.attempts)
        for attempt in range(self.load.busy_retries + 1):
            busy = await self._capture(result)
            if not busy:
                return
            result.busy_refusals += 1
            after = await asyncio.to_thread(self.http.session, result.session_id)
            if (after["state"], after["attempt_count"]) != before:
                result.busy_clean = False
            if attempt < self.load.busy_retries:
                await asyncio.sleep(self.load.busy_pause_s * (1 + random.random()))
        await asyncio.to_thread(self.http.cancel, result.session_id)
        result.reason = "busy_retry_exhausted"

    async def _capture(self, result: SessionResult) -> bool:
        """One attempt over the capture socket; True when the server said "busy, retry"."""
        from aiortc import RTCPeerConnection

        cap_tablet_bitrate(self.load.max_bitrate)
        from bench.actors.customer import ENCODED_FOOTAGE, Customer

        sock = await JsonSocket.open(self.url, f"/ws/capture/{result.session_id}/", self.http.cookie_header)
        pc = RTCPeerConnection()
        customer = Customer(
            random.Random(f"{self.load.seed}:{result.index}:{result.busy_refusals}"), source=ENCODED_FOOTAGE
        )
        track = customer_track(customer, self.load.fps)
        try:
            first = await sock.receive(20)
            if isinstance(first, Closed) or first.get("type") != "ready":
                if isinstance(first, dict) and first.get("code") == "busy":
                    return True
                raise StepFailed(f"capture_refused:{_describe(first)}")
            result.capture_started_at = time.monotonic()
            result.attempts += 1
            result.max_attempts = int(first.get("max_attempts") or 1)
            offer_only(pc, pc.addTrack(track), self.load.codec)
            await pc.setLocalDescription(await pc.createOffer())  # aiortc gathers candidates here
            await sock.send({"type": "offer", "sdp": pc.localDescription.sdp})
            await self._follow_capture(sock, pc, result, customer, track)
            return False
        finally:
            result.frames_sent += track.sent
            await pc.close()
            await sock.close()

    async def _follow_capture(
        self, sock: JsonSocket, pc: Any, result: SessionResult, customer: Any, track: Any
    ) -> None:
        from aiortc import RTCSessionDescription

        shown: tuple[int, str] | None = None
        while True:
            message = await sock.receive(90)
            if isinstance(message, Closed):
                raise StepFailed(f"capture_closed:{message.code}")
            kind = message.get("type")
            if kind == "answer":
                await pc.setRemoteDescription(RTCSessionDescription(sdp=message["sdp"], type="answer"))
            elif kind == "status":
                # As capture.js: a new step's prompt is shown and acknowledged; the customer sees it.
                step, index = message.get("step"), message.get("step_index")
                if step and isinstance(index, int) and shown != (index, step):
                    shown = (index, step)
                    _reveal(result, index, step)
                    await sock.send({"type": "prompt_shown", "step_index": index})
                customer.see(step, track.media_time)
                if message.get("finished") and result.last_step_at is None:
                    result.last_step_at = time.monotonic()
            elif kind in {"captured", "ended"}:
                _attempt_ended(result, message.get("frames") or {})
                if kind == "ended":
                    raise StepFailed(f"ended:{message.get('reason')}")
                result.outcome = "captured"
                return
            elif kind == "error":
                raise StepFailed(f"capture_error:{message.get('code')}")

    async def _await_decision(self, updates: JsonSocket, result: SessionResult) -> None:
        deadline = time.monotonic() + self.load.decision_timeout_s
        while True:
            message = await updates.receive(max(0.1, deadline - time.monotonic()))
            if isinstance(message, Closed):
                raise StepFailed(f"session_socket_closed:{message.code}")
            state = (message.get("session") or {}).get("state")
            if state in TERMINAL:
                result.decided_at = time.monotonic()
                if result.last_step_at is not None:
                    result.latency_s = result.decided_at - result.last_step_at
                result.outcome = "decided" if state in DECIDED else "liveness_failed"
                result.reason = str(state)
                return


def _attempt_ended(result: SessionResult, frames: dict[str, Any]) -> None:
    """One capture attempt's end: its seconds and frames added to the session's."""
    result.capture_ended_at = time.monotonic()
    result.capture_seconds += result.capture_ended_at - (result.capture_started_at or result.capture_ended_at)
    if frames.get("received") is not None:
        result.frames_received = (result.frames_received or 0) + int(frames["received"])
    if frames.get("analysed") is not None:
        result.frames_analysed = (result.frames_analysed or 0) + int(frames["analysed"])


def _describe(message: dict[str, Any] | Closed) -> str:
    if isinstance(message, Closed):
        return f"closed:{message.code}"
    return str(message.get("code") or message.get("type"))


@dataclass
class RunPlan:
    urls: list[str]
    tablets: int
    sessions: int
    rate: float  # new sessions per second over all tablets; 0 = as fast as the tablets go
    max_seconds: float


def _reveal(result: SessionResult, index: int, step: str) -> None:
    """Record the plan as its prompts reveal it, one step at a time (`ready` names none)."""
    if index == len(result.plan):
        result.plan.append(step)


async def run_tablets(plan: RunPlan, load: Load, on_result: Any = None) -> tuple[list[SessionResult], float]:
    """Run `plan.sessions` sessions on `plan.tablets` tablets (URLs round-robin); stops by itself."""
    counter = iter(range(plan.sessions))
    results: list[SessionResult] = []
    next_start = [time.monotonic()]
    began = time.monotonic()
    deadline = began + plan.max_seconds

    async def tablet_loop(number: int) -> None:
        tablet = Tablet(plan.urls[number % len(plan.urls)], load)
        try:
            await tablet.sign_in()
        except (StepFailed, OSError) as exc:
            results.append(SessionResult(index=-1, url=tablet.url, reason=f"sign_in:{exc}"))
            return
        for index in counter:
            if plan.rate > 0:
                wait, next_start[0] = next_start[0] - time.monotonic(), max(next_start[0], time.monotonic())
                next_start[0] += 1.0 / plan.rate
                await asyncio.sleep(max(0.0, wait))
            if time.monotonic() > deadline:
                return
            try:
                result = await tablet.run_session(index)
            except Exception as exc:  # noqa: BLE001 - a client bug is one failed session, not a dead tablet
                result = SessionResult(index=index, url=tablet.url, reason=f"client_error:{type(exc).__name__}:{exc}")
            results.append(result)
            if on_result is not None:
                on_result(result)

    tasks = [asyncio.ensure_future(tablet_loop(number)) for number in range(plan.tablets)]
    _, pending = await asyncio.wait(tasks, timeout=plan.max_seconds + 120)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    return sorted(results, key=lambda r: r.index), time.monotonic() - began

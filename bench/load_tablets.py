"""Simulated tablets under load: real WebRTC from aiortc clients against real Daphne servers.

    # against servers you run yourself (their pids for CPU/RSS from /proc):
    .venv/bin/python bench/load_tablets.py --url http://127.0.0.1:8001 --server-pids 1234,5678 \\
        --tablets 2 --sessions 10
    # the script starts N Daphne processes and M Celery workers on `shiming_load` / Redis DB 5,
    # for each layout in turn, and sweeps the number of concurrent tablets:
    .venv/bin/python bench/load_tablets.py --layouts 1x1,2x1,1x2 --tablets 1,2,4 --sessions 12

Each tablet signs in through the login form (session cookie + CSRF, as the pages do), and for each
of its sessions: creates a registration, uploads a document card made from a frame of the
customer's footage, consents (the product's order: the clerk's photo, then the handover), opens
the session socket (the decision is pushed there) and the capture socket, and streams the
prompt-following customer of bench/actors/customer.py as its camera at the engine's frame budget
(15 fps) until the server says the attempt is over. The plan is the server's own random plan; the
tablet acknowledges each prompt (`prompt_shown`) as capture.js does and the customer acts on it
after a human reaction delay. A "busy" refusal is retried after a pause, then the session is
cancelled; every session ends in a decision, a clean failure, or a recorded timeout.

Server CPU is read from /proc for the servers' processes and their children only (the tablets'
own encoding does not count), and reported per capture-second: CPU seconds over the sum of the
captures' durations, i.e. the share of a core one concurrent capture costs (web and workers apart).

Decision latency runs from the first "finished" status (the last challenge step) to the decided
state on the session socket, as capture.js measures it. Frames received and analysed come from the
capture socket's final message. Servers the script starts also answer SIGUSR1 with their open
peer connections, asyncio tasks and threads (see `serve`). Loopback only; bounded; not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import fractions
import json
import math
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

# The engine's frame budget (SHIMING_LIVENESS_FPS): the page asks the camera and the encoder for
# no more (capture.js), so a tablet sends this many frames a second.
TABLET_FPS = 15.0
# The customer's footage turns only ~23-25 real degrees (the estimator reads real degrees:
# tests/liveness/test_landmarks.py), under the default 25-degree threshold, so the servers under
# test run at 20 like the e2e suite, until footage with a deeper turn exists (bench/actors/README.md).
TURN_DEGREES_FOR_THE_FOOTAGE = "20"
DECIDED = {"approved", "rejected", "manual_review"}
TERMINAL = DECIDED | {"liveness_failed", "expired", "cancelled"}
PRODUCTION_CONN_MAX_AGE = "60"  # config/settings/production.py's default DATABASE_CONN_MAX_AGE
WEB_ENV_FILE = PROJECT_ROOT / "docker" / "web.env"  # what docker/entrypoint gives the web process
ALLOCATORS = ("production", "glibc")
LOAD_DATABASE = "shiming_load"
LOAD_REDIS = "redis://127.0.0.1:6379/5"
DEMO_USER, DEMO_PASSWORD = "clerk", "shiming-demo"
CLOSE_BUSY = 4503
VIDEO_CLOCK_RATE = 90000


def testdata_root() -> Path:
    return Path(os.environ.get("SHIMING_TESTDATA", str(PROJECT_ROOT.parent / "shared" / "testdata"))).resolve()


# --- the camera: the prompt-following customer of tests/actors ------------------------------------


PAGE_MAX_BITRATE = 1_000_000  # camera.js FACE_MAX_BITRATE: the page's encoder ceiling


def cap_tablet_bitrate(bitrate: int = PAGE_MAX_BITRATE) -> None:
    """Give aiortc's encoders the page's ceiling (VP8, and H.264 for attempts with a light step
    or with `--codec H264`). aiortc has no `RTCRtpSender.setParameters`; its encoders follow the
    receiver's bandwidth estimate up to a module constant (VP8 1.5, H.264 3 Mbit/s as shipped),
    read on every change, so setting them here limits this process's tablets only."""
    from aiortc.codecs import h264, vpx

    vpx.MAX_BITRATE = bitrate
    h264.MAX_BITRATE = bitrate


def offer_only(pc: Any, sender: Any, codec: str) -> None:
    """Offer only `codec` (and its retransmission) on `sender`'s transceiver; empty: all."""
    if not codec:
        return
    from aiortc import RTCRtpSender

    capabilities = RTCRtpSender.getCapabilities("video").codecs
    wanted = [item for item in capabilities if item.mimeType.lower() in {f"video/{codec.lower()}", "video/rtx"}]
    next(item for item in pc.getTransceivers() if item.sender is sender).setCodecPreferences(wanted)


def customer_track(customer: Any, fps: float) -> Any:
    """A camera track that shows `customer` at `fps` frames a second of media time (what the page
    asks the camera and the encoder for: the engine's budget), and counts what it sent."""
    from aiortc import VideoStreamTrack
    from av import VideoFrame

    class CustomerTrack(VideoStreamTrack):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.sent = 0
            self._began: float | None = None

        @property
        def media_time(self) -> float:
            """Media seconds of the frame last sent: the customer's clock."""
            return max(self.sent - 1, 0) / fps

        async def recv(self) -> VideoFrame:
            if self._began is None:
                self._began = time.monotonic()
            await asyncio.sleep(max(0.0, self._began + self.sent / fps - time.monotonic()))
            frame = VideoFrame.from_ndarray(customer.frame(self.sent / fps), format="bgr24")
            frame.pts = int(self.sent * VIDEO_CLOCK_RATE / fps)
            frame.time_base = fractions.Fraction(1, VIDEO_CLOCK_RATE)
            self.sent += 1
            return frame

    return CustomerTrack()


def make_document_card(folder: Path) -> bytes:
    """An ID card with a frontal frame of the customer's footage as its portrait (the e2e suite's
    own helpers and frame, `same_person_card`)."""
    import cv2

    from bench.actors.card import document_card
    from bench.actors.customer import segment_frames

    frame = folder / "customer_frame.png"
    cv2.imwrite(str(frame), segment_frames("idle")[0])
    return document_card(frame, folder / "card.jpg").read_bytes()


# --- identities -----------------------------------------------------------------------------------


def prc_id() -> str:
    """A random, syntactically valid resident ID number (ISO 7064 MOD 11-2 check digit)."""
    birth = f"{random.randint(1960, 1999)}{random.randint(1, 12):02d}{random.randint(1, 28):02d}"
    first_17 = f"110101{birth}{random.randint(0, 999):03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(digit) * weight for digit, weight in zip(first_17, weights, strict=True))
    return first_17 + "10X98765432"[total % 11]


def phone() -> str:
    return f"+86139{random.randint(0, 99_999_999):08d}"


# --- HTTP: the pages' calls, with requests in a thread ---------------------------------------------


class StepFailed(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TabletHttp:
    """One tablet's signed-in browser session (cookie + CSRF), blocking; call through a thread."""

    def __init__(self, base_url: str) -> None:
        import requests

        self.base_url = base_url.rstrip("/")
        self.http = requests.Session()

    def sign_in(self, username: str, password: str) -> None:
        self.http.get(f"{self.base_url}/login/", timeout=30)
        form = {"username": username, "password": password, "csrfmiddlewaretoken": self.csrf}
        response = self.http.post(f"{self.base_url}/login/", data=form, timeout=30, allow_redirects=False)
        if response.status_code != 302 or "sessionid" not in self.http.cookies:
            raise StepFailed(f"sign_in:{response.status_code}")

    @property
    def csrf(self) -> str:
        return str(self.http.cookies.get("csrftoken", ""))

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.http.cookies.items())

    def call(self, step: str, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        headers = {"Accept": "application/json", "X-CSRFToken": self.csrf}
        response = self.http.request(method, f"{self.base_url}/api/{path}", headers=headers, timeout=60, **kwargs)
        if response.status_code >= 400:
            try:
                code = response.json()["error"]["code"]
            except (ValueError, KeyError, TypeError):
                code = str(response.status_code)
            raise StepFailed(f"{step}:{response.status_code}:{code}")
        return dict(response.json())

    def consent_version(self) -> str:
        return str(self.call("consent_text", "GET", "consent-text/?kind=face_processing&language=zh-hans")["version"])

    def prepare_session(self, card: bytes, consent_version: str) -> str:
        """Registration, document and consent (the product's order): the session is then ready for the challenge."""
        person = {"full_name": "负载 测试", "document_type": "prc_id", "document_number": prc_id()}
        session = self.call("create", "POST", "sessions/", json={**person, "phone_number": phone()})
        session_id = str(session["id"])
        files = {"image": ("card.jpg", card, "image/jpeg")}
        self.call("document", "POST", f"sessions/{session_id}/document/", files=files)
        self.call("consent", "POST", f"sessions/{session_id}/consent/", json={"consent_version": consent_version})
        return session_id

    def session(self, session_id: str) -> dict[str, Any]:
        return self.call("read", "GET", f"sessions/{session_id}/")

    def cancel(self, session_id: str) -> None:
        with contextlib.suppress(StepFailed):
            self.call("cancel", "POST", f"sessions/{session_id}/cancel/", json={"reason": "load test gave up"})


# --- WebSocket: a minimal RFC 6455 client on asyncio streams -------------------------------------
# No client library is installed, and autobahn's asyncio flavour cannot be used in a process where
# Daphne has already chosen Twisted for txaio (the pytest run); text frames are all this needs.


@dataclass(frozen=True)
class Closed:
    code: int | None


class JsonSocket:
    """A WebSocket client whose messages arrive, decoded, on a queue; the close is the last item."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.queue: asyncio.Queue[dict[str, Any] | Closed] = asyncio.Queue()
        self._reader, self._writer = reader, writer
        self._closing = False
        self._reading = asyncio.ensure_future(self._read_frames())

    @classmethod
    async def open(cls, base_url: str, path: str, cookie: str, wait: float = 20.0) -> JsonSocket:
        parts = urlsplit(base_url)
        connecting = asyncio.open_connection(parts.hostname or "127.0.0.1", parts.port or 80)
        reader, writer = await asyncio.wait_for(connecting, wait)
        key = base64.b64encode(os.urandom(16)).decode()
        headers = [
            f"GET {path} HTTP/1.1",
            f"Host: {parts.netloc}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {key}",
            "Sec-WebSocket-Version: 13",
            f"Origin: {parts.scheme}://{parts.netloc}",
            f"Cookie: {cookie}",
        ]
        writer.write(("\r\n".join(headers) + "\r\n\r\n").encode())
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), wait)
        except (asyncio.IncompleteReadError, TimeoutError) as exc:
            writer.close()
            raise StepFailed("socket_refused:no_handshake") from exc
        status = head.split(b"\r\n", 1)[0].decode(errors="replace")
        if " 101 " not in f"{status} ":
            writer.close()
            raise StepFailed(f"socket_refused:{status}")
        return cls(reader, writer)

    def send(self, message: dict[str, Any]) -> None:
        self._send_frame(0x1, json.dumps(message).encode())

    async def receive(self, wait: float) -> dict[str, Any] | Closed:
        return await asyncio.wait_for(self.queue.get(), wait)

    async def close(self) -> None:
        """Send a close frame, wait briefly for the server's, then drop the connection."""
        if not self._reading.done():
            self._send_frame(0x8, (1000).to_bytes(2, "big"))
            self._closing = True
            await asyncio.wait([self._reading], timeout=3)
            self._reading.cancel()
        self._writer.close()

    def _send_frame(self, opcode: int, payload: bytes) -> None:
        if self._writer.is_closing():
            return
        mask = os.urandom(4)
        length = len(payload)
        if length < 126:
            head = bytes([0x80 | opcode, 0x80 | length])
        elif length < 2**16:
            head = bytes([0x80 | opcode, 0x80 | 126]) + length.to_bytes(2, "big")
        else:
            head = bytes([0x80 | opcode, 0x80 | 127]) + length.to_bytes(8, "big")
        masked = bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload))
        self._writer.write(head + mask + masked)

    async def _read_frames(self) -> None:
        code: int | None = None
        message = b""
        try:
            while True:
                first, second = await self._reader.readexactly(2)
                length = second & 0x7F
                if length >= 126:
                    length = int.from_bytes(await self._reader.readexactly(2 if length == 126 else 8), "big")
                mask = await self._reader.readexactly(4) if second & 0x80 else b"\0\0\0\0"
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(await self._reader.readexactly(length)))
                opcode = first & 0x0F
                if opcode == 0x8:
                    code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else None
                    if not self._closing:
                        self._send_frame(0x8, payload[:2])
                    return
                if opcode == 0x9:
                    self._send_frame(0xA, payload)
                elif opcode in (0x0, 0x1):
                    message += payload
                    if first & 0x80:
                        self.queue.put_nowait(json.loads(message))
                        message = b""
        except (asyncio.IncompleteReadError, ConnectionError):
            return
        finally:
            self.queue.put_nowait(Closed(code))


# --- one session ----------------------------------------------------------------------------------


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
        from bench.actors.customer import Customer

        sock = await JsonSocket.open(self.url, f"/ws/capture/{result.session_id}/", self.http.cookie_header)
        pc = RTCPeerConnection()
        customer = Customer(random.Random(f"{self.load.seed}:{result.index}:{result.busy_refusals}"))
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
            sock.send({"type": "offer", "sdp": pc.localDescription.sdp})
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
                    sock.send({"type": "prompt_shown", "step_index": index})
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


# --- the run: tablets, arrivals, bounds -----------------------------------------------------------


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


# --- server processes: /proc sampling and the SIGUSR1 diagnostic ----------------------------------


@dataclass
class Sample:
    t: float
    pid: int
    role: str
    cpu_percent: float
    rss_mib: float
    threads: int


class ProcMonitor:
    """CPU and RSS of the server processes (with their children), read from /proc via psutil."""

    def __init__(self, pids: dict[int, str], interval: float = 1.0) -> None:
        import psutil

        self.interval = interval
        self.processes = {pid: (role, psutil.Process(pid)) for pid, role in pids.items()}
        self.samples: list[Sample] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="proc-monitor")
        self._began = time.monotonic()
        self._cpu: dict[int, float] = {}
        self._cpu_at_start: dict[int, float] = {}
        self.cpu_seconds: dict[int, float] = {}

    def start(self) -> ProcMonitor:
        self._cpu = {pid: self._cpu_seconds(pid) for pid in self.processes}
        self._cpu_at_start = dict(self._cpu)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.cpu_seconds = {pid: self._cpu_seconds(pid) - start for pid, start in self._cpu_at_start.items()}

    def cpu_seconds_total(self, role: str) -> float:
        """CPU seconds (user + system, with children) the processes of `role` used from start to stop."""
        return sum(seconds for pid, seconds in self.cpu_seconds.items() if self.processes[pid][0] == role)

    def _tree(self, pid: int) -> list[Any]:
        import psutil

        process = self.processes[pid][1]
        try:
            return [process, *process.children(recursive=True)]
        except psutil.Error:
            return []

    def _cpu_seconds(self, pid: int) -> float:
        total = 0.0
        for process in self._tree(pid):
            with contextlib.suppress(Exception):
                times = process.cpu_times()
                total += times.user + times.system + times.children_user + times.children_system
        return total

    def rss_mib(self, pid: int) -> float:
        total = 0
        for process in self._tree(pid):
            with contextlib.suppress(Exception):
                total += process.memory_info().rss
        return total / 2**20

    def threads(self, pid: int) -> int:
        with contextlib.suppress(Exception):
            return int(self.processes[pid][1].num_threads())
        return 0

    def _run(self) -> None:
        last = time.monotonic()
        while not self._stop.wait(self.interval):
            now = time.monotonic()
            for pid, (role, _) in self.processes.items():
                cpu = self._cpu_seconds(pid)
                percent = 100.0 * (cpu - self._cpu.get(pid, cpu)) / max(now - last, 1e-6)
                self._cpu[pid] = cpu
                rss, threads = self.rss_mib(pid), self.threads(pid)
                self.samples.append(Sample(round(now - self._began, 1), pid, role, round(percent, 1), rss, threads))
            last = now

    def rss_total(self, role: str) -> float:
        return sum(self.rss_mib(pid) for pid, (r, _) in self.processes.items() if r == role)


def udp_sockets(pid: int) -> int:
    """Open UDP sockets of a process: each live peer connection holds its ICE sockets."""
    import psutil

    with contextlib.suppress(psutil.Error):
        return len(psutil.Process(pid).net_connections(kind="udp"))
    return -1


def diagnostics(pid: int, folder: Path | None, timeout: float = 20.0) -> dict[str, Any]:
    """What a server started by `serve` reports on SIGUSR1; /proc figures for any other server."""
    report: dict[str, Any] = {"pid": pid, "udp_sockets": udp_sockets(pid)}
    with contextlib.suppress(Exception):
        import psutil

        report["proc_threads"] = psutil.Process(pid).num_threads()
    if folder is None:
        return report
    target = folder / f"{pid}.json"
    target.unlink(missing_ok=True)
    os.kill(pid, signal.SIGUSR1)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if target.exists():
            with contextlib.suppress(ValueError):
                report.update(json.loads(target.read_text()))
                return report
        time.sleep(0.1)
    report["diagnostic"] = "no answer"
    return report


def thread_cpu_seconds() -> dict[str, float]:
    """This process's CPU seconds so far by thread group (Python thread names, else the OS name:
    mediapipe names its graph threads); "ended threads" is what threads that exited used (the
    per-connection video decoders, mostly)."""
    import re

    ticks = os.sysconf("SC_CLK_TCK")
    names = {thread.native_id: thread.name for thread in threading.enumerate()}
    groups: dict[str, float] = {}
    for entry in Path("/proc/self/task").iterdir():
        with contextlib.suppress(OSError, ValueError):
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            name = names.get(int(entry.name)) or (entry / "comm").read_text().strip()
            group = re.sub(r"[-_/]\d+([-_]\d+)*$", "", name)
            groups[group] = groups.get(group, 0.0) + (int(fields[11]) + int(fields[12])) / ticks
    times = os.times()
    groups["ended threads"] = times.user + times.system - sum(groups.values())
    return {group: round(seconds, 2) for group, seconds in sorted(groups.items())}


def tracemalloc_depth() -> int:
    """SHIMING_BENCH_TRACEMALLOC: frames each traced allocation keeps (0 or unset: no tracing)."""
    value = os.environ.get("SHIMING_BENCH_TRACEMALLOC", "").strip() or "0"
    if not value.isdigit():
        raise SystemExit(f"SHIMING_BENCH_TRACEMALLOC={value!r}: give a number of frames (0 for no tracing)")
    return int(value)


def serve(port: int) -> None:
    """Run Daphne on `port` with the product's ASGI app, answering SIGUSR1 with a diagnostic file
    in $SHIMING_BENCH_DIAG_DIR: peer connections open, capture slots, asyncio tasks, threads."""
    from daphne.cli import CommandLineInterface
    from daphne.server import twisted_loop

    folder = Path(os.environ["SHIMING_BENCH_DIAG_DIR"])
    # SHIMING_BENCH_TRACEMALLOC=N (a leak hunt, slower): Python allocations traced N frames deep; each
    # diagnostic also counts the live objects by type and dumps a snapshot (to
    # $SHIMING_BENCH_TRACEMALLOC_DIR, else next to the diagnostic files).
    tracing = tracemalloc_depth()
    snapshots = Path(os.environ.get("SHIMING_BENCH_TRACEMALLOC_DIR") or folder)
    reports = [0]
    if tracing:
        import tracemalloc

        tracemalloc.start(tracing)

    def report() -> None:
        import gc

        from aiortc import RTCPeerConnection
        from channels.layers import get_channel_layer

        from capture.webrtc.analysis import EXTRACTORS
        from capture.webrtc.memory import process_allocator
        from capture.webrtc.registry import get_registry

        gc.collect()
        open_pcs = sum(
            1 for obj in gc.get_objects() if type(obj) is RTCPeerConnection and obj.connectionState != "closed"
        )
        names = [t.name for t in threading.enumerate()]
        registry = get_registry()
        payload = {
            "peer_connections_open": open_pcs,
            "capture_slots_reserved": registry.active_count,
            "capture_peers": len(registry.peers()),
            "asyncio_tasks": len(asyncio.all_tasks(twisted_loop)),
            "python_threads": len(names),
            "analysis_pool_threads": sum(name.startswith("capture-analysis") for name in names),
            "other_pool_threads": sum(name.startswith(("ThreadPoolExecutor", "asyncio_")) for name in names),
            "thread_cpu_seconds": thread_cpu_seconds(),
            "channel_buffers": getattr(get_channel_layer(), "buffered_channels", None),
            "extractors_idle": EXTRACTORS.idle,
            "allocator": process_allocator(),
            "allocator_trims": registry.trim.trims,
        }
        if tracing:
            import collections
            import tracemalloc

            payload["python_traced_mib"] = round(tracemalloc.get_traced_memory()[0] / 2**20, 1)
            kinds = collections.Counter(type(obj).__qualname__ for obj in gc.get_objects())
            payload["object_counts"] = dict(kinds.most_common(40))
            reports[0] += 1
            tracemalloc.take_snapshot().dump(str(snapshots / f"{os.getpid()}-{reports[0]}.tracemalloc"))
        tmp = folder / f"{os.getpid()}.tmp"
        tmp.write_text(json.dumps(payload))
        tmp.replace(folder / f"{os.getpid()}.json")

    signal.signal(signal.SIGUSR1, lambda *_: twisted_loop.call_soon_threadsafe(report))
    CommandLineInterface().run(["-b", "127.0.0.1", "-p", str(port), "config.asgi:application"])


# --- starting a stack -----------------------------------------------------------------------------


@dataclass
class Stack:
    web: list[subprocess.Popen[bytes]] = field(default_factory=list)
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    logs: Path = Path()
    diag_dir: Path = Path()

    def pids(self) -> dict[int, str]:
        return {**{p.pid: "web" for p in self.web}, **{p.pid: "worker" for p in self.workers}}

    def stop(self) -> None:
        for process in [*self.web, *self.workers]:
            if process.poll() is None:
                process.terminate()
        for process in [*self.web, *self.workers]:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def stack_env(database_url: str, redis_url: str, max_captures: int, diag_dir: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SHIMING_LIVENESS_TURN_DEGREES": TURN_DEGREES_FOR_THE_FOOTAGE,  # below the default: see its definition
        "SHIMING_MAX_CAPTURE_SESSIONS": str(max_captures),
        "SHIMING_BENCH_DIAG_DIR": str(diag_dir),
        # One clerk opens every session: the per-clerk and per-outlet limits would be the bottleneck.
        "THROTTLE_SESSION_CREATE": "100000/min",
        "THROTTLE_OUTLET_SESSION_CREATE": "100000/min",
        "THROTTLE_DOCUMENT_UPLOAD": "100000/min",
        "THROTTLE_CAPTURE_ATTEMPT": "100000/min",
        "SHIMING_CAPTURE_ATTEMPTS_PER_MINUTE_CLERK": "100000",
        "SHIMING_CAPTURE_ATTEMPTS_PER_MINUTE_OUTLET": "100000",
        # As the production image (docker/Dockerfile), unless the caller sets it: two allocator arenas.
        "MALLOC_ARENA_MAX": os.environ.get("MALLOC_ARENA_MAX", "2"),
        # As production (config/settings/production.py), unless the caller sets it: a process keeps its
        # database connection. The test settings open one per request, and every one of those forks
        # a PostgreSQL backend on the same cores (tests/bench checks the two values agree).
        "DATABASE_CONN_MAX_AGE": os.environ.get("DATABASE_CONN_MAX_AGE", PRODUCTION_CONN_MAX_AGE),
        "PYTHONUNBUFFERED": "1",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "GLOG_minloglevel": "2",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return env


def web_process_env(allocator: str) -> dict[str, str]:
    """The allocator variables of the web servers: docker/web.env's, as docker/entrypoint gives the
    production web process ("production"), or none ("glibc": the bare peer for the memory figures)."""
    if allocator == "glibc":
        return {}
    values: dict[str, str] = {}
    for line in WEB_ENV_FILE.read_text().splitlines():
        text = line.strip()
        if text and not text.startswith("#"):
            key, _, value = text.partition("=")
            values[key.strip()] = value.strip()
    return values


def require_preloadable(web_extra: dict[str, str]) -> None:
    """Stop with one line when the web servers' preloaded allocator is not installed: the loader
    would only warn and run them on glibc, and the figures would be another allocator's."""
    preload = web_extra.get("LD_PRELOAD", "").strip()
    if not preload:
        return
    probe = "import sys; maps = open('/proc/self/maps').read(); print(all(name in maps for name in sys.argv[1:]))"
    names = [Path(name).name for name in preload.replace(":", " ").split()]
    command = [sys.executable, "-c", probe, *names]
    loaded = subprocess.run(command, env={**os.environ, **web_extra}, capture_output=True, text=True, check=False)
    if loaded.stdout.strip() != "True":
        raise SystemExit(
            f"{WEB_ENV_FILE.relative_to(PROJECT_ROOT)} preloads {preload}, which is not installed here"
            " (Debian: apt-get install libjemalloc2); or measure glibc's malloc with --allocator glibc"
        )


def prepare_database(database_url: str, redis_url: str, env: dict[str, str]) -> None:
    """Create the load database if missing, migrate, seed the demo clerk; empty the load Redis DB."""
    import psycopg
    import redis

    name = urlsplit(database_url).path.lstrip("/")
    admin_url = database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url.replace("postgres://", "postgresql://", 1), autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')  # the name is ours, not user input
    for command in (["migrate", "--noinput", "-v", "0"], ["seed_demo"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=PROJECT_ROOT, env=env, check=True)
    client = redis.Redis.from_url(redis_url)
    try:
        client.flushdb()
    finally:
        client.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(predicate: Any, what: str, process: subprocess.Popen[bytes], log: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"{what} did not start:\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.3)


def start_stack(web: int, workers: int, env: dict[str, str], logs: Path, web_extra: dict[str, str]) -> Stack:
    """`web` Daphne processes (own ports, `web_extra` added to their environment: the allocator) and
    `workers` Celery workers (one prefork process each)."""
    import requests

    web_env = {**env, **web_extra}

    stack = Stack(logs=logs, diag_dir=Path(env["SHIMING_BENCH_DIAG_DIR"]))
    try:
        for number in range(workers):
            log = logs / f"worker{number}.log"
            with log.open("wb") as sink:
                command = [sys.executable, "-m", "celery", "-A", "config.celery_app", "worker", "-Q", "default,face"]
                command += ["-c", "1", "--pool", "prefork", "-n", f"load{number}-{os.getpid()}@%h"]
                command += ["--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "INFO"]
                process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT)
            stack.workers.append(process)
        for number in range(web):
            port, log = free_port(), logs / f"web{number}.log"
            with log.open("wb") as sink:
                command = [sys.executable, str(Path(__file__).resolve()), "serve", "--port", str(port)]
                process = subprocess.Popen(
                    command, cwd=PROJECT_ROOT, env=web_env, stdout=sink, stderr=subprocess.STDOUT
                )
            stack.web.append(process)
            stack.urls.append(f"http://127.0.0.1:{port}")
        for process, url in zip(stack.web, stack.urls, strict=True):
            log = logs / f"web{stack.web.index(process)}.log"

            def healthy(url: str = url) -> bool:
                with contextlib.suppress(requests.RequestException):
                    return requests.get(f"{url}/api/health/", timeout=5).status_code == 200
                return False

            wait_for(healthy, f"Daphne at {url}", process, log, 180)
        for number, process in enumerate(stack.workers):
            log = logs / f"worker{number}.log"
            wait_for(lambda log=log: "ready." in log.read_text(errors="replace"), "worker", process, log, 240)
    except BaseException:
        stack.stop()
        raise
    return stack


# --- figures --------------------------------------------------------------------------------------


def percentile(values: Sequence[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))]


def summarize(results: list[SessionResult], wall_s: float, monitor: ProcMonitor | None) -> dict[str, Any]:
    latencies = [r.latency_s for r in results if r.latency_s is not None]
    analysed = [r.frames_analysed for r in results if r.frames_analysed is not None]
    received = [r.frames_received for r in results if r.frames_received is not None]
    capture_s = sum(r.capture_seconds for r in results)
    reasons: dict[str, int] = {}
    for result in results:
        if result.outcome == "failed":
            reasons[result.reason] = reasons.get(result.reason, 0) + 1
    summary: dict[str, Any] = {
        "sessions": len(results),
        "decided": sum(r.outcome == "decided" for r in results),
        "liveness_failed": sum(r.outcome == "liveness_failed" for r in results),
        "retried": sum(r.attempts > 1 for r in results),
        "failed": sum(r.outcome == "failed" for r in results),
        "failure_reasons": reasons,
        "decisions": _count(r.reason for r in results if r.outcome != "failed"),
        "busy_refusals": sum(r.busy_refusals for r in results),
        "busy_refusals_clean": all(r.busy_clean for r in results),
        "left_running": sum(r.state in {"liveness_running", "matching", "liveness_passed"} for r in results),
        "wall_s": round(wall_s, 1),
        "latency_p50_s": _round(percentile(latencies, 0.5)),
        "latency_p95_s": _round(percentile(latencies, 0.95)),
        "latency_max_s": _round(max(latencies) if latencies else None),
        "frames_analysed_per_session": _round(sum(analysed) / len(analysed) if analysed else None),
        "frames_dropped_by_budget_per_session": _round(
            (sum(received) - sum(analysed)) / len(analysed) if analysed and len(received) == len(analysed) else None
        ),
        "frames_analysed_per_s": _round(sum(analysed) / wall_s if wall_s else None),
        "mean_concurrent_captures": _round(capture_s / wall_s if wall_s else None),
        "client_frames_sent": sum(r.frames_sent for r in results),
    }
    if monitor is not None:
        summary["server"] = _server_summary(monitor.samples)
        summary["capture_s"] = round(capture_s, 1)
        for role in ("web", "worker"):
            cpu = monitor.cpu_seconds_total(role)
            summary[f"{role}_cpu_s"] = round(cpu, 1)
            # The share of a core one concurrent capture costs (the target: web <= 0.2).
            summary[f"{role}_cpu_per_capture"] = _round(cpu / capture_s if capture_s else None)
    return summary


def _server_summary(samples: list[Sample]) -> dict[str, Any]:
    by_pid: dict[int, list[Sample]] = {}
    for sample in samples:
        by_pid.setdefault(sample.pid, []).append(sample)
    summary = {}
    for pid, rows in by_pid.items():
        cpu = [row.cpu_percent for row in rows[1:]] or [0.0]
        summary[str(pid)] = {
            "role": rows[0].role,
            "cpu_mean_percent": round(sum(cpu) / len(cpu), 1),
            "cpu_max_percent": max(cpu),
            "rss_first_mib": round(rows[0].rss_mib),
            "rss_last_mib": round(rows[-1].rss_mib),
            "rss_max_mib": round(max(row.rss_mib for row in rows)),
            "threads_last": rows[-1].threads,
        }
    return summary


def _count(items: Iterator[str] | Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    return counts


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def print_table(rows: list[dict[str, Any]]) -> None:
    columns = [
        ("layout", "layout"),
        ("tablets", "tablets"),
        ("sessions", "n"),
        ("decided", "decided"),
        ("liveness_failed", "live_fail"),
        ("retried", "retried"),
        ("failed", "failed"),
        ("busy_refusals", "busy"),
        ("latency_p50_s", "p50_s"),
        ("latency_p95_s", "p95_s"),
        ("latency_max_s", "max_s"),
        ("frames_analysed_per_session", "fr/sess"),
        ("frames_dropped_by_budget_per_session", "drop/sess"),
        ("frames_analysed_per_s", "fr/s"),
        ("mean_concurrent_captures", "conc"),
        ("web_cpu_percent", "web_cpu%"),
        ("web_cpu_per_capture", "web/capt"),
        ("worker_cpu_per_capture", "wrk/capt"),
        ("worker_cpu_percent", "wrk_cpu%"),
        ("web_rss_mib", "web_rss"),
        ("client_cpu_percent", "tab_cpu%"),
        ("uptime_load1", "load1"),
    ]
    print(" ".join(f"{title:>9}" for _, title in columns))
    for row in rows:
        print(" ".join(f"{_cell(row.get(key)):>9}" for key, _ in columns))
    for row in rows:
        if row.get("failure_reasons"):
            print(f"  {row['layout']} tablets={row['tablets']} failures: {row['failure_reasons']}")


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}" if value < 100 else f"{value:.0f}"
    return str(value)


def flat_row(layout: str, tablets: int, summary: dict[str, Any], load1: float) -> dict[str, Any]:
    row = {"layout": layout, "tablets": tablets, "uptime_load1": load1, **summary}
    server = summary.get("server", {})
    for role in ("web", "worker"):
        entries = [entry for entry in server.values() if entry["role"] == role]
        row[f"{role}_cpu_percent"] = round(sum(entry["cpu_mean_percent"] for entry in entries), 1) if entries else None
        row[f"{role}_rss_mib"] = sum(entry["rss_last_mib"] for entry in entries) if entries else None
    return row


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


# --- command line ---------------------------------------------------------------------------------


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", action="append", default=[], help="target server (repeat: tablets round-robin)")
    parser.add_argument("--server-pids", default="", help="pids of servers you started (CPU/RSS from /proc)")
    parser.add_argument("--layouts", default="", help="start the servers: WEBxWORKERS list, e.g. 1x1,2x1,1x2")
    parser.add_argument("--tablets", default="2", help="concurrent tablets; a list sweeps: 1,2,4")
    parser.add_argument("--sessions", type=int, default=10, help="sessions per tablet count")
    parser.add_argument("--rate", type=float, default=0.0, help="new sessions per second (0: no pacing)")
    parser.add_argument("--fps", type=float, default=TABLET_FPS, help="frames a second each tablet sends")
    parser.add_argument("--seed", type=int, default=0, help="the customers' reaction delays")
    parser.add_argument("--max-bitrate", type=int, default=PAGE_MAX_BITRATE, help="tablet encoder ceiling, bit/s")
    parser.add_argument("--codec", default="", choices=["", "VP8", "H264"], help="the only codec tablets offer")
    parser.add_argument("--max-seconds", type=float, default=900, help="bound of each run")
    parser.add_argument("--max-captures", type=int, default=3, help="SHIMING_MAX_CAPTURE_SESSIONS of started servers")
    parser.add_argument(
        "--allocator",
        default="production",
        choices=ALLOCATORS,
        help="the started web servers' malloc: docker/web.env's, as in production, or glibc's",
    )
    parser.add_argument("--warmup", type=int, default=1, help="sessions run first and not counted")
    parser.add_argument("--busy-retries", type=int, default=3)
    parser.add_argument("--username", default=DEMO_USER)
    parser.add_argument("--password", default=DEMO_PASSWORD)
    parser.add_argument("--database-url", default=f"postgres://postgres@127.0.0.1:5432/{LOAD_DATABASE}")
    parser.add_argument("--redis-url", default=LOAD_REDIS)
    parser.add_argument("--leak-check", type=int, default=0, help="RSS after this many sessions vs after the run")
    parser.add_argument("--settle-seconds", type=float, default=30, help="idle time before the after-run RSS")
    parser.add_argument("--json", type=Path, default=None, help="write every figure here")
    return parser.parse_args(argv)


def main(argv: Sequence[str]) -> int:
    if argv[:1] == ["serve"]:
        serve(int(argv[argv.index("--port") + 1]))
        return 0
    args = parse_args(argv)
    tracemalloc_depth()  # a bad value stops here, before any server starts
    web_extra = web_process_env(args.allocator) if args.layouts else {}
    require_preloadable(web_extra)  # so does a missing allocator
    # Stopped with a signal (kill, a time limit): end as on Ctrl-C, through the `finally` that stops the
    # servers and workers this run started. Left running, a stopped run's workers took the next
    # run's tasks (docs/capacity.md, the caveat of the first 1,000-session run).
    signal.signal(signal.SIGTERM, _interrupt)
    if not args.layouts and not args.url:
        raise SystemExit("give --url (servers you run) or --layouts (servers this script starts)")
    for url in args.url:
        if urlsplit(url).hostname not in {"127.0.0.1", "localhost", "::1"}:
            raise SystemExit(f"loopback only: {url}")
    from bench.actors.customer import CLIP, footage

    frames = footage(testdata_root())
    with tempfile.TemporaryDirectory(prefix="shiming-load-") as scratch:
        card = make_document_card(Path(scratch))
        load = Load(
            card,
            args.username,
            args.password,
            args.fps,
            args.max_bitrate,
            args.seed,
            busy_retries=args.busy_retries,
            codec=args.codec,
        )
        offered = args.codec or "any (VP8 first; H.264 first for a light step)"
        print(f"customer {CLIP} ({len(frames)} frames) at {args.fps:g} fps, <= {args.max_bitrate // 1000} kbit/s")
        print(f"video codec offered: {offered}")
        print(f"machine: {os.cpu_count()} cores")
        report = run_layouts(args, load, Path(scratch), web_extra) if args.layouts else run_external(args, load)
    print_table(report["rows"])
    for extra in ("leak_check", "idle", "web_thread_cpu_s"):
        if extra in report:
            print(f"{extra}: {json.dumps(report[extra])}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=str))
        print(f"figures written to {args.json}")
    return 0


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def tablet_counts(args: argparse.Namespace) -> list[int]:
    return [int(value) for value in args.tablets.split(",") if value]


def run_external(args: argparse.Namespace, load: Load) -> dict[str, Any]:
    pids = {int(pid): "web" for pid in args.server_pids.split(",") if pid}
    return sweep(args, load, args.url, pids, None, "external")


def run_layouts(args: argparse.Namespace, load: Load, scratch: Path, web_extra: dict[str, str]) -> dict[str, Any]:
    report: dict[str, Any] = {"rows": [], "layouts": {}}
    for layout in args.layouts.split(","):
        web, workers = (int(part) for part in layout.lower().split("x"))
        logs = Path(tempfile.mkdtemp(prefix=f"shiming-load-{layout}-"))
        diag = scratch / f"diag-{layout}"
        diag.mkdir()
        env = stack_env(args.database_url, args.redis_url, args.max_captures, diag)
        prepare_database(args.database_url, args.redis_url, env)
        print(f"layout {layout}: starting {web} Daphne and {workers} Celery worker(s); logs in {logs}")
        stack = start_stack(web, workers, env, logs, web_extra)
        try:
            part = sweep(args, load, stack.urls, stack.pids(), diag, layout)
        finally:
            stack.stop()
        report["rows"] += part.pop("rows")
        report["layouts"][layout] = part
        for key in ("leak_check", "idle", "web_thread_cpu_s"):
            if key in part:
                report[key] = part[key]
    return report


def sweep(
    args: argparse.Namespace, load: Load, urls: list[str], pids: dict[int, str], diag: Path | None, layout: str
) -> dict[str, Any]:
    report: dict[str, Any] = {"rows": [], "runs": []}
    web_pids = [pid for pid, role in pids.items() if role == "web"]
    if args.warmup:
        # One warm-up tablet per server: every process loads its models before the measured runs.
        warm = RunPlan(urls, len(urls), args.warmup * len(urls), 0, args.max_seconds)
        warm_results, _ = asyncio.run(run_tablets(warm, load))
        print(f"warm-up: {[(r.outcome, r.reason) for r in warm_results]}", flush=True)
        time.sleep(3)
    report["idle_before"] = [diagnostics(pid, diag) for pid in web_pids]
    for tablets in tablet_counts(args):
        monitor = ProcMonitor(pids).start() if pids else None
        plan = RunPlan(urls, tablets, args.sessions, args.rate, args.max_seconds)
        rss_marks: dict[str, float] = {}

        load1 = load_average()
        print(f"{layout}: {tablets} tablet(s), {args.sessions} sessions; uptime load1 {load1}", flush=True)
        client_cpu = time.process_time()
        results, wall = asyncio.run(run_tablets(plan, load, on_result=_rss_marker(args.leak_check, monitor, rss_marks)))
        client_cpu = time.process_time() - client_cpu
        if monitor is not None:
            monitor.stop()
        summary = summarize(results, wall, monitor)
        summary["client_cpu_percent"] = round(100 * client_cpu / wall, 1)  # the tablets share the cores
        row = flat_row(layout, tablets, summary, load1)
        report["rows"].append(row)
        report["runs"].append(
            {"tablets": tablets, "summary": summary, "sessions": [asdict(r) for r in results], "rss": rss_marks}
        )
        if args.leak_check and monitor is not None:
            rss_marks["just_after_run_mib"] = monitor.rss_total("web")
            time.sleep(args.settle_seconds)  # idle: let the last captures' buffers go back
            rss_marks["after_run_mib"] = monitor.rss_total("web")
            first = rss_marks.get(f"after_{args.leak_check}_sessions_mib")
            if first:
                rss_marks["after_run_vs_first_percent"] = round(100 * (rss_marks["after_run_mib"] / first - 1), 1)
            report["leak_check"] = {"layout": layout, "tablets": tablets, **rss_marks}
            if monitor.samples:
                report["runs"][-1]["samples"] = [asdict(s) for s in monitor.samples]
    report["idle_after"] = settle(web_pids, diag, report["idle_before"])
    report["idle"] = {"before": report["idle_before"], "after": report["idle_after"]}
    pairs = zip(report["idle_before"], report["idle_after"], strict=True)
    report["web_thread_cpu_s"] = [_thread_cpu_delta(before, after) for before, after in pairs]
    return report


def _thread_cpu_delta(before: dict[str, Any], after: dict[str, Any]) -> dict[str, float]:
    """CPU seconds by thread group of one web process between two diagnostics (the measured runs)."""
    first, last = before.get("thread_cpu_seconds") or {}, after.get("thread_cpu_seconds") or {}
    return {group: round(last[group] - first.get(group, 0.0), 1) for group in last}


def _rss_marker(after: int, monitor: ProcMonitor | None, marks: dict[str, float]) -> Any:
    count = [0]

    def on_result(result: SessionResult) -> None:
        count[0] += 1
        if monitor is None or not after:
            return
        if count[0] == after:
            marks[f"after_{after}_sessions_mib"] = monitor.rss_total("web")
        if count[0] % after == 0:  # the trend: a leak climbs from block to block, a cache does not
            marks[f"at_{count[0]}_sessions_mib"] = monitor.rss_total("web")

    return on_result


def settle(
    pids: list[int], diag: Path | None, before: list[dict[str, Any]], seconds: float = 20
) -> list[dict[str, Any]]:
    """Diagnostics once the servers are idle again (waits up to `seconds` for the counts to fall)."""
    deadline = time.monotonic() + seconds
    while True:
        after = [diagnostics(pid, diag) for pid in pids]
        idle = all(
            entry.get("peer_connections_open", 0) == 0
            and entry.get("capture_slots_reserved", 0) == 0
            and entry.get("asyncio_tasks", 0) <= base.get("asyncio_tasks", 0)
            for entry, base in zip(after, before, strict=True)
        )
        if idle or time.monotonic() > deadline:
            return after
        time.sleep(2)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

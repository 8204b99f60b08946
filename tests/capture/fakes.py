"""Test doubles for the capture plumbing: a scripted analysis and a browser-like aiortc client."""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

import cv2
import numpy as np
from aiortc import RTCPeerConnection, RTCSessionDescription, VideoStreamTrack
from av import VideoFrame

from capture.webrtc.analysis import CaptureOutcome, ChallengeStatus


class FakeAnalysis:
    """Completes one step every `frames_per_step` frames; records the threads it ran on."""

    fps_budget = 15.0
    step_timeout_seconds = 8.0
    session_timeout_seconds = 40.0
    frames_per_step = 4

    def __init__(self, plan: list[str]) -> None:
        self.plan = plan
        self.times: list[float] = []
        self.threads: set[str] = set()
        self.last_frame: np.ndarray | None = None
        self.closed = False
        self.prompts_shown: list[int] = []

    def prompt_shown(self, step_index: int) -> None:
        self.prompts_shown.append(step_index)

    def process(self, rgb: np.ndarray, t: float) -> ChallengeStatus:
        self.threads.add(threading.current_thread().name)
        self.times.append(t)
        self.last_frame = rgb
        done = min(len(self.times) // self.frames_per_step, len(self.plan))
        finished = done == len(self.plan)
        return ChallengeStatus(
            step_index=done,
            step=None if finished else self.plan[done],
            steps_done=done,
            step_seconds_left=None if finished else 8.0,
            hint="move_closer" if len(self.times) == 1 else None,
            finished=finished,
            passed=True if finished else None,
        )

    def outcome(self) -> CaptureOutcome:
        jpeg = b""
        if self.last_frame is not None:
            ok, encoded = cv2.imencode(".jpg", cv2.cvtColor(self.last_frame, cv2.COLOR_RGB2BGR))
            jpeg = encoded.tobytes() if ok else b""
        return CaptureOutcome(
            trace={"frames": [{"t": t} for t in self.times], "plan": self.plan},
            best_frame_jpeg=jpeg or None,
            live_summary={"passed": True, "frames": len(self.times)},
        )

    def close(self) -> None:
        self.closed = True


class PatternTrack(VideoStreamTrack):
    """A 30 fps synthetic camera (a moving gradient), like Chromium's fake device."""

    def __init__(self) -> None:
        super().__init__()
        self._counter = 0

    async def recv(self) -> VideoFrame:
        pts, time_base = await self.next_timestamp()
        image = np.zeros((240, 320, 3), dtype=np.uint8)
        image[:, :, 1] = (np.arange(320, dtype=np.uint16)[None, :] + self._counter) % 256
        self._counter += 4
        frame = VideoFrame.from_ndarray(image, format="bgr24")
        frame.pts, frame.time_base = pts, time_base
        return frame


class BrowserPeer:
    """The tablet's side: an offer with its candidates gathered, then the answer."""

    def __init__(self) -> None:
        self.pc = RTCPeerConnection()
        self.pc.addTrack(PatternTrack())

    async def offer_sdp(self) -> str:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return self.pc.localDescription.sdp

    async def accept_answer(self, sdp: str) -> None:
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))

    async def close(self) -> None:
        await self.pc.close()


async def receive(communicator: Any, wait: float = 10.0) -> dict[str, Any]:
    """The next JSON message from the server (fails the test on a close or a timeout)."""
    message = await communicator.receive_output(wait)
    assert message["type"] == "websocket.send", message
    return json.loads(message["text"])


async def start_video(communicator: Any) -> BrowserPeer:
    """The tablet offers its video on an open capture socket and takes the server's answer."""
    browser = BrowserPeer()
    await communicator.send_json_to({"type": "offer", "sdp": await browser.offer_sdp()})
    answer = await receive(communicator)
    assert answer["type"] == "answer", answer
    await browser.accept_answer(answer["sdp"])
    return browser


async def receive_until(communicator: Any, wanted: str, wait: float = 20.0) -> list[dict[str, Any]]:
    """Messages up to and including the first of type `wanted`."""
    seen: list[dict[str, Any]] = []
    deadline = asyncio.get_running_loop().time() + wait
    while True:
        left = deadline - asyncio.get_running_loop().time()
        message = await receive(communicator, wait=max(left, 0.1))
        seen.append(message)
        if message["type"] == wanted:
            return seen

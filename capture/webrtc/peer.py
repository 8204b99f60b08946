"""One capture attempt's WebRTC peer: answers the tablet's offer, pumps its video into the
analysis, watches the clock, and closes the peer connection whatever way the attempt ends."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCRtpReceiver, RTCSessionDescription
from aiortc.mediastreams import MediaStreamTrack
from aiortc.rtcrtpparameters import RTCRtpCodecCapability

from liveness import ChallengeStep

from . import analysis as analysis_module
from .analysis import CaptureOutcome, ChallengeAnalysis, ChallengeStatus
from .bitrate import face_video_bitrate, with_bitrate
from .candidates import CandidateRefused, answer_filtered, local_networks, offer_filtered
from .frames import FramePump

logger = logging.getLogger(__name__)

MAX_SDP_BYTES = 64 * 1024

LIGHT_STEP_VIDEO_CODECS = ("video/H264", "video/VP8")
"""The answer's order for an attempt with a screen-light step: H.264 first where the tablet offers
it, VP8 otherwise. The light step's small colour changes survive H.264's compression and not VP8's
(bench/light_codec.py: a screen-lit customer passes 8-10 of 10 at 0.5-2.5 Mbit/s through H.264,
1-6 of 10 through VP8; live, 8 of 9 against 0 of 6). Every other attempt leaves the order to the
tablet's offer (VP8 first in Chrome's): with H.264 first, Chromium's file-fed test camera sent a
first frame stamped 4 s before its second (its encoder skipping frames after a large first key
frame; the injection guard allows such a hole up to a bound: docs/light-step.md, "The early first
frame")."""


def answered_video_codec(sdp: str) -> str | None:
    """The video codec an answer lists first (the one the tablet sends), e.g. "H264"."""
    lines = sdp.splitlines()
    video = next((line.split()[3:] for line in lines if line.startswith("m=video ")), [])
    if not video:
        return None
    prefix = f"a=rtpmap:{video[0]} "
    rtpmap = next((line[len(prefix) :] for line in lines if line.startswith(prefix)), "")
    return rtpmap.split("/")[0] or None


def video_codec_preferences(plan: Sequence[str]) -> list[RTCRtpCodecCapability]:
    """For a plan with a light step, aiortc's video codecs in `LIGHT_STEP_VIDEO_CODECS` order (the
    rest, retransmission, after); otherwise none: the order of the tablet's offer."""
    if ChallengeStep.LIGHT.value not in plan:
        return []
    capabilities = RTCRtpReceiver.getCapabilities("video")
    codecs = capabilities.codecs if capabilities else []
    rank = {name.lower(): index for index, name in enumerate(LIGHT_STEP_VIDEO_CODECS)}
    return sorted(codecs, key=lambda codec: rank.get(codec.mimeType.lower(), len(rank)))


class OfferRejected(Exception):
    """The offer cannot be answered; `code` is stable, the message is for the page."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class PeerEnd:
    """How an attempt ended. `outcome` is set when the challenge itself ended (`reason` "finished")."""

    reason: str
    outcome: CaptureOutcome | None = None


@dataclass(frozen=True, slots=True)
class PeerTimeouts:
    offer_seconds: float = 10.0  # the page opens the camera first, then the socket: the offer follows at once
    first_frame_seconds: float = 15.0
    stall_seconds: float = 5.0
    margin_seconds: float = 10.0  # beyond the engine's own session timeout


Send = Callable[[dict[str, Any]], Awaitable[None]]
OnEnd = Callable[[PeerEnd], Awaitable[None]]
AnalysisFactory = Callable[[Sequence[str]], ChallengeAnalysis]


def ice_servers_from_settings(entries: Sequence[dict[str, Any]]) -> list[RTCIceServer]:
    """RTCIceServer objects from SHIMING_ICE_SERVERS entries ({"urls", "username", "credential"})."""
    return [
        RTCIceServer(urls=entry["urls"], username=entry.get("username"), credential=entry.get("credential"))
        for entry in entries
    ]


def check_offer_sdp(sdp: Any) -> str:
    """Shape checks before aiortc parses the offer: text, bounded, one session with video."""
    if not isinstance(sdp, str) or not sdp.strip():
        raise OfferRejected("invalid_offer", "The offer has no SDP text.")
    if len(sdp.encode()) > MAX_SDP_BYTES:
        raise OfferRejected("invalid_offer", "The offer is too large.")
    if not sdp.startswith("v=0") or "\nm=video " not in sdp:
        raise OfferRejected("invalid_offer", "The offer is not an SDP offer with a video track.")
    return sdp


class CapturePeer:
    """The server end of one capture attempt. Every public method runs on the event loop."""

    def __init__(
        self,
        *,
        plan: Sequence[str],
        ice_servers: Sequence[dict[str, Any]],
        executor: Executor,
        send: Send,
        on_end: OnEnd,
        analysis_factory: AnalysisFactory | None = None,
        timeouts: PeerTimeouts | None = None,
        label: str = "",
        ice_local_networks: Sequence[str] = (),
        video_kbps: int | None = None,
    ) -> None:
        self.label = label
        self._local_networks = local_networks(ice_local_networks)
        self._bitrate = face_video_bitrate(video_kbps) if video_kbps else None
        self._plan = list(plan)
        self._ice_servers = ice_servers_from_settings(ice_servers)
        self._executor = executor
        self._send = send
        self._on_end = on_end
        self._analysis_factory = analysis_factory or analysis_module.build_analysis
        self._timeouts = timeouts or PeerTimeouts()
        self._analysis: asyncio.Future[ChallengeAnalysis] | None = None
        self._pc: RTCPeerConnection | None = None
        self._pump: FramePump | None = None
        self._pump_task: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._started_at = time.monotonic()
        self._answered_at: float | None = None
        self._ended = asyncio.Event()
        self._closing = False
        self._last_message: tuple[Any, ...] | None = None
        self.finished_at: float | None = None  # monotonic time the last step ended

    @property
    def pc(self) -> RTCPeerConnection | None:
        return self._pc

    @property
    def frame_counts(self) -> dict[str, int]:
        """Frames received from the tablet and admitted to the analysis (the rest were dropped by the budget)."""
        pump = self._pump
        return {"received": pump.frames_received, "analysed": pump.frames_admitted} if pump else {}

    def start(self) -> None:
        """Load the analysis (in the pool) and start the watchdog."""
        loop = asyncio.get_running_loop()
        self._analysis = asyncio.ensure_future(loop.run_in_executor(self._executor, self._analysis_factory, self._plan))
        self._spawn(self._watchdog())

    async def accept_offer(self, sdp: Any) -> str:
        """Answer the tablet's offer (its candidates gathered) with ours, all candidates included."""
        if self._closing:
            raise OfferRejected("capture_closed", "This capture attempt has ended.")
        if self._pc is not None:
            raise OfferRejected("offer_already_received", "This capture attempt already has an offer.")
        try:
            offer = offer_filtered(check_offer_sdp(sdp), self._local_networks)
        except CandidateRefused as exc:
            raise OfferRejected("invalid_offer", "The offer's ICE attributes are out of bounds.") from exc
        pc = RTCPeerConnection(RTCConfiguration(iceServers=self._ice_servers))
        self._pc = pc
        pc.on("track", self._on_track)
        pc.on("connectionstatechange", self._on_connection_state)
        preferences = video_codec_preferences(self._plan)
        if preferences:  # the offer's video is matched to this transceiver: the answer lists them in this order
            pc.addTransceiver("video", direction="recvonly").setCodecPreferences(preferences)
        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
            await pc.setLocalDescription(await pc.createAnswer())
        except Exception as exc:  # aiortc's SDP parser raises many types on bad input
            self._pc = None
            await pc.close()
            logger.info("offer refused: %s", exc)
            raise OfferRejected("invalid_offer", "The offer could not be used: send a new one.") from exc
        self._answered_at = time.monotonic()
        logger.info("capture %s: video %s", self.label, answered_video_codec(pc.localDescription.sdp))
        answer = answer_filtered(pc.localDescription.sdp, self._local_networks)
        return with_bitrate(answer, self._bitrate) if self._bitrate else answer

    def prompt_shown(self, step_index: int) -> None:
        """The page says it displayed the prompt of step `step_index` (the engine bounds when that can be)."""
        analysis = self._analysis
        if self._closing or analysis is None or not analysis.done() or analysis.exception():
            return
        analysis.result().prompt_shown(step_index)

    async def close(self, reason: str) -> None:
        """End the attempt (idempotent): stop the pump, close the peer connection, report the end."""
        if self._closing:
            await self._ended.wait()
            return
        self._closing = True
        try:
            await self._stop_media()
            outcome = await self._outcome() if reason == "finished" else None
            await self._release_analysis()
            logger.info("capture %s ended: %s; peer connection closed", self.label, reason)
            await self._on_end(PeerEnd(reason=reason, outcome=outcome))
        finally:
            self._cancel_tasks()
            self._ended.set()

    async def wait_closed(self) -> None:
        await self._ended.wait()

    # --- media ---------------------------------------------------------------------------------

    def _on_track(self, track: MediaStreamTrack) -> None:
        if track.kind != "video" or self._pump_task is not None or self._closing:
            return
        self._pump_task = asyncio.ensure_future(self._pump_track(track))

    async def _pump_track(self, track: MediaStreamTrack) -> None:
        assert self._analysis is not None  # noqa: S101 - start() ran before any offer
        try:
            analysis = await self._analysis
        except Exception:
            logger.exception("the liveness analysis could not be loaded")
            self._spawn(self.close("analysis_unavailable"))
            return
        self._pump = FramePump(track, analysis, self._executor, self._on_status)
        await self._pump.run()

    async def _on_status(self, status: ChallengeStatus) -> None:
        if self._closing:
            return
        key = (status.step_index, status.step, status.hint, status.finished, _whole(status.step_seconds_left))
        if key != self._last_message:
            self._last_message = key
            await self._send(status.to_message())
        if status.finished:
            self.finished_at = time.monotonic()
            # Not awaited here: closing waits for the pump, and the pump is waiting for this call.
            self._spawn(self.close("finished"))

    async def _on_connection_state(self) -> None:
        if self._pc is not None and self._pc.connectionState in {"failed", "closed"} and not self._closing:
            self._spawn(self.close(f"connection_{self._pc.connectionState}"))

    async def _stop_media(self) -> None:
        pc, self._pc = self._pc, None
        if pc is not None:
            await pc.close()  # ends the remote track, so the pump's recv() returns
        if self._pump_task is not None and self._pump_task is not asyncio.current_task():
            # The analysis is not thread-safe: let the frame in flight finish before reading the outcome.
            done, _ = await asyncio.wait([self._pump_task], timeout=5.0)
            if not done:
                self._pump_task.cancel()

    async def _outcome(self) -> CaptureOutcome | None:
        if self._analysis is None or not self._analysis.done() or self._analysis.exception():
            return None
        analysis = self._analysis.result()
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, analysis.outcome)

    async def _release_analysis(self) -> None:
        if self._analysis is None:
            return
        try:
            analysis = await self._analysis
        except Exception:  # noqa: BLE001 - nothing to release when loading failed
            return
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, analysis.close)

    # --- clock ---------------------------------------------------------------------------------

    async def _watchdog(self) -> None:
        while not self._closing:
            await asyncio.sleep(0.5)
            reason = self._overdue(time.monotonic())
            if reason is not None:
                self._spawn(self.close(reason))
                return

    def _overdue(self, now: float) -> str | None:
        limits = self._timeouts
        if self._answered_at is None:
            return "no_offer" if now - self._started_at > limits.offer_seconds else None
        last_frame = self._pump.last_frame_at if self._pump else None
        if last_frame is None:
            return "no_video" if now - self._answered_at > limits.first_frame_seconds else None
        if now - last_frame > limits.stall_seconds:
            return "video_stalled"
        budget = limits.margin_seconds
        if self._analysis is not None and self._analysis.done() and not self._analysis.exception():
            budget += self._analysis.result().session_timeout_seconds
        return "capture_timeout" if now - self._answered_at > budget else None

    # --- tasks ---------------------------------------------------------------------------------

    def _spawn(self, coroutine: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _cancel_tasks(self) -> None:
        current = asyncio.current_task()
        for task in list(self._tasks):
            if task is not current:
                task.cancel()


def _whole(seconds: float | None) -> int | None:
    return None if seconds is None else int(seconds + 0.999)

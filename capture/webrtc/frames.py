"""The frame pump: reads the customer's video track, drops frames down to the engine's budget
(`liveness.FrameBudget`, the one admission rule, on the frames' media time), and runs the
analysis of each admitted frame in the thread pool, one frame at a time, on the pixels the
extractor takes, converted once (`analysis_pixels`)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor

import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import VideoFrame

from liveness import FrameBudget

from .analysis import ChallengeAnalysis, ChallengeStatus

logger = logging.getLogger(__name__)

StatusCallback = Callable[[ChallengeStatus], Awaitable[None]]


class FramePump:
    """Feeds one attempt's analysis from one remote video track.

    The track is read continuously (aiortc queues every decoded frame, so an unread track grows
    without bound). A frame that arrives while the previous one is analysed waits in a single
    slot, replaced by any newer one, and is offered as soon as the analysis is free: with the
    camera at the budget's rate (the page asks for no more), a frame late by a few milliseconds
    is analysed late instead of lost. Every frame offered goes through the budget on its own media
    time; the rest are dropped. The analysis is built not to apply the budget a second time.
    """

    def __init__(
        self,
        track: MediaStreamTrack,
        analysis: ChallengeAnalysis,
        executor: Executor,
        on_status: StatusCallback,
    ) -> None:
        self._track = track
        self._analysis = analysis
        self._executor = executor
        self._on_status = on_status
        self._budget = FrameBudget(analysis.fps_budget)
        self._first_time: float | None = None
        self._job: asyncio.Task[ChallengeStatus | None] | None = None
        self._waiting: tuple[VideoFrame, float] | None = None
        self.frames_received = 0
        self.frames_admitted = 0
        self.last_frame_at: float | None = None  # monotonic clock, for the stall watchdog

    async def run(self) -> None:
        """Pump until the track ends or the task is cancelled."""
        try:
            while True:
                frame = await self._track.recv()
                self.frames_received += 1
                self.last_frame_at = time.monotonic()
                if isinstance(frame, VideoFrame):
                    self._receive(frame)
        except MediaStreamError:
            logger.debug("video track ended after %d frames", self.frames_received)
        finally:
            self._waiting = None
            if self._job is not None and not self._job.done():
                await asyncio.wait([self._job])

    def _receive(self, frame: VideoFrame) -> None:
        media_time = frame.time if frame.time is not None else time.monotonic()
        if self._first_time is None:
            self._first_time = media_time
        t = media_time - self._first_time
        if self._job is not None and not self._job.done():
            self._waiting = (frame, t)  # a frame already waiting is dropped: the newest is offered
            return
        self._offer(frame, t)

    def _offer(self, frame: VideoFrame, t: float) -> None:
        if not self._budget.admit(t):
            return
        self.frames_admitted += 1
        self._job = asyncio.create_task(self._analyse(frame, t))

    async def _analyse(self, frame: VideoFrame, t: float) -> ChallengeStatus | None:
        loop = asyncio.get_running_loop()
        status = await loop.run_in_executor(self._executor, _process_frame, self._analysis, frame, t)
        await self._on_status(status)
        waiting, self._waiting = self._waiting, None
        if waiting is not None:
            self._offer(*waiting)
        return status


ANALYSIS_MAX_WIDTH = 640
"""The picture the page asks for (camera.js `FACE_WIDTH`) and the quality checks were set on; a
larger frame (a camera that ignored the constraint) is scaled down to it in the same pass."""


def analysis_pixels(frame: VideoFrame) -> np.ndarray:
    """The frame as the extractor takes it, made once: RGB (mediapipe's order; no BGR copy), at
    most `ANALYSIS_MAX_WIDTH` wide, in one libswscale pass from the decoder's YUV."""
    width, height = frame.width, frame.height
    if width > ANALYSIS_MAX_WIDTH:
        width, height = ANALYSIS_MAX_WIDTH, max(2, round(height * ANALYSIS_MAX_WIDTH / width / 2) * 2)
        return frame.to_ndarray(format="rgb24", width=width, height=height)
    return frame.to_ndarray(format="rgb24")


def _process_frame(analysis: ChallengeAnalysis, frame: VideoFrame, t: float) -> ChallengeStatus:
    """In a worker thread: convert the frame to RGB pixels and analyse it."""
    return analysis.process(analysis_pixels(frame), t)

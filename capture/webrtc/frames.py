"""The frame pump: reads the customer's video track, drops frames down to the engine's budget
(`liveness.FrameBudget`, the one admission rule, on the frames' media time), and runs the
analysis of each admitted frame in the thread pool, one frame at a time."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor

from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import VideoFrame

from liveness import FrameBudget

from .analysis import ChallengeAnalysis, ChallengeStatus

logger = logging.getLogger(__name__)

StatusCallback = Callable[[ChallengeStatus], Awaitable[None]]


class FramePump:
    """Feeds one attempt's analysis from one remote video track.

    The track is read continuously (aiortc queues every decoded frame, so an unread track grows
    without bound). A frame is admitted when the previous frame's analysis has finished and the
    budget admits its media time; every other frame is dropped. The analysis is built not to
    apply the budget a second time.
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
                    self._maybe_admit(frame)
        except MediaStreamError:
            logger.debug("video track ended after %d frames", self.frames_received)
        finally:
            if self._job is not None and not self._job.done():
                await asyncio.wait([self._job])

    def _maybe_admit(self, frame: VideoFrame) -> None:
        media_time = frame.time if frame.time is not None else time.monotonic()
        if self._first_time is None:
            self._first_time = media_time
        t = media_time - self._first_time
        # A frame that arrives while the last one is still analysed is dropped before the budget
        # sees it, so it does not take the slot of the next frame.
        if (self._job is not None and not self._job.done()) or not self._budget.admit(t):
            return
        self.frames_admitted += 1
        self._job = asyncio.create_task(self._analyse(frame, t))

    async def _analyse(self, frame: VideoFrame, t: float) -> ChallengeStatus | None:
        loop = asyncio.get_running_loop()
        status = await loop.run_in_executor(self._executor, _process_frame, self._analysis, frame, t)
        await self._on_status(status)
        return status


def _process_frame(analysis: ChallengeAnalysis, frame: VideoFrame, t: float) -> ChallengeStatus:
    """In a worker thread: convert the frame to RGB pixels and analyse it."""
    return analysis.process(frame.to_ndarray(format="rgb24"), t)

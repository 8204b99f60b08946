"""The frame pump: reads the customer's video track, drops frames down to the engine's budget,
and runs the analysis of each admitted frame in the thread pool, one frame at a time."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor

from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import VideoFrame

from .analysis import ChallengeAnalysis, ChallengeStatus

logger = logging.getLogger(__name__)

StatusCallback = Callable[[ChallengeStatus], Awaitable[None]]


class FramePump:
    """Feeds one attempt's analysis from one remote video track.

    The track is read continuously (aiortc queues every decoded frame, so an unread track grows
    without bound). A frame is admitted when its media time reaches the next slot of the budget
    and the previous frame's analysis has finished; every other frame is dropped.
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
        self._interval = 1.0 / analysis.fps_budget
        self._first_time: float | None = None
        self._next_slot = 0.0
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
        # A quarter-interval of tolerance absorbs timestamp jitter around the slot.
        if t < self._next_slot - self._interval / 4 or (self._job is not None and not self._job.done()):
            return
        # Slots stay on the budget's grid; a late frame moves the grid so the rate never exceeds it.
        self._next_slot += self._interval
        if self._next_slot < t + self._interval / 2:
            self._next_slot = t + self._interval
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

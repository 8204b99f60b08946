"""The frame pump on a real aiortc-style track of PyAV frames: a frame that arrives while the
previous one is analysed is offered when the analysis is free (the newest only), the budget still
decides on media time, and the analysis gets each frame once, as RGB at most 640 wide."""

from __future__ import annotations

import asyncio
import fractions
import itertools
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from aiortc.mediastreams import MediaStreamError
from av import VideoFrame

from capture.webrtc.analysis import ChallengeStatus
from capture.webrtc.frames import FramePump, analysis_pixels

CLOCK = 90000


def video_frame(index: int, fps: float, width: int = 640, height: int = 480) -> VideoFrame:
    pixels = np.full((height, width, 3), index % 256, dtype=np.uint8)
    frame = VideoFrame.from_ndarray(pixels, format="rgb24").reformat(format="yuv420p")  # as a decoder gives
    frame.pts = round(index * CLOCK / fps)
    frame.time_base = fractions.Fraction(1, CLOCK)
    return frame


class Track:
    """Frames `gaps` seconds apart in wall time (the network's delivery), then the end."""

    kind = "video"

    def __init__(self, frames: list[VideoFrame], gap: float) -> None:
        self._frames = list(frames)
        self._gap = gap

    async def recv(self) -> VideoFrame:
        if not self._frames:
            raise MediaStreamError
        await asyncio.sleep(self._gap)
        return self._frames.pop(0)


class SlowAnalysis:
    """Takes `seconds` per frame (a busy core; `first_seconds` for the first), records what it got."""

    fps_budget = 15.0
    step_timeout_seconds = 8.0
    session_timeout_seconds = 40.0

    def __init__(self, seconds: float, first_seconds: float | None = None) -> None:
        self.seconds = seconds
        self.first_seconds = seconds if first_seconds is None else first_seconds
        self.seen: list[tuple[float, tuple[int, ...], int]] = []
        self._release = threading.Event()

    def process(self, rgb: np.ndarray, t: float) -> ChallengeStatus:
        self._release.wait(self.seconds if self.seen else self.first_seconds)
        self.seen.append((round(t, 3), rgb.shape, int(rgb[0, 0, 0])))
        return ChallengeStatus(0, None, 0, None, None)


async def pump(frames: list[VideoFrame], gap: float, analysis: SlowAnalysis) -> FramePump:
    async def on_status(status: ChallengeStatus) -> None:
        return None

    with ThreadPoolExecutor(max_workers=1) as executor:
        frame_pump = FramePump(Track(frames, gap), analysis, executor, on_status)  # type: ignore[arg-type]
        await frame_pump.run()
    return frame_pump


def test_a_frame_arriving_during_the_analysis_is_analysed_after_it_not_dropped() -> None:
    # A 15 fps camera; one analysis (the first) takes longer than a frame interval, the rest keep
    # up. Refused while the analysis was busy, the second frame would be lost; it waits instead.
    analysis = SlowAnalysis(seconds=0.01, first_seconds=0.1)
    frames = [video_frame(index, 15.0) for index in range(8)]

    result = asyncio.run(pump(frames, 1 / 15, analysis))

    assert result.frames_received == 8
    assert [t for t, _, _ in analysis.seen] == [round(index / 15, 3) for index in range(8)]
    assert result.frames_admitted == 8


def test_only_the_newest_waiting_frame_is_kept_and_the_budget_still_applies() -> None:
    analysis = SlowAnalysis(seconds=0.25)
    frames = [video_frame(index, 30.0) for index in range(12)]  # 30 fps for a 15 fps budget

    result = asyncio.run(pump(frames, 1 / 30, analysis))

    times = [t for t, _, _ in analysis.seen]
    assert times[0] == 0.0
    assert len(times) < 12 / 2  # the slow analysis takes fewer than the budget's share
    assert all(later - earlier >= 0.75 / 15 for earlier, later in itertools.pairwise(times))
    assert result.frames_admitted == len(times)


def test_the_analysis_gets_rgb_at_most_640_wide_converted_from_the_decoders_frame() -> None:
    large = video_frame(7, 15.0, width=1280, height=720)

    pixels = analysis_pixels(large)

    assert pixels.shape == (360, 640, 3)
    assert pixels.dtype == np.uint8
    assert abs(int(pixels[0, 0, 0]) - 7) <= 3  # the grey level survives YUV and back
    assert analysis_pixels(video_frame(7, 15.0)).shape == (480, 640, 3)

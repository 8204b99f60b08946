"""The capture's face-mesh extractors are pooled: reused from one capture to the next, reset in
between, so nothing of one customer's stream reaches the next one's analysis."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest

from capture.webrtc.analysis import ExtractorPool, LivenessSessionAnalysis
from liveness import FrameBudget, LivenessConfig
from tests.processes import wait_until

pytestmark = pytest.mark.model

PLAN = ["blink", "blink", "blink"]


@pytest.fixture(scope="module")
def rgb_frames(testdata: Path) -> list[np.ndarray]:
    """The first 3 s of a shared clip at 640x480, RGB as the decoder gives them, at 15 fps."""
    capture = cv2.VideoCapture(str(testdata / "liveness_video" / "liveportrait_d12.mp4"))
    frames: list[np.ndarray] = []
    while len(frames) < 75:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(np.ascontiguousarray(cv2.cvtColor(cv2.resize(frame, (640, 480)), cv2.COLOR_BGR2RGB)))
    capture.release()
    return frames


class MediaClock:
    """Frames arrive exactly at their media time (the test runs faster than real time)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def analysis(pool: ExtractorPool, config: LivenessConfig, clock: MediaClock) -> LivenessSessionAnalysis:
    return LivenessSessionAnalysis(PLAN, config, pool, clock=clock)


def run(capture: LivenessSessionAnalysis, clock: MediaClock, frames: list[np.ndarray]) -> list[dict[str, object]]:
    """The clip at 25 fps, admitted as the frame pump does; the per-frame features of the trace."""
    budget = FrameBudget(capture.fps_budget)
    for index, frame in enumerate(frames):
        clock.now = index / 25.0
        if budget.admit(clock.now):
            capture.process(frame, clock.now)
    return list(capture.outcome().trace["frames"])


def test_a_capture_reuses_the_last_captures_extractor_and_gets_the_same_trace(rgb_frames: list[np.ndarray]) -> None:
    # No prompt (and so no verdict) within the 3 s: every frame of the clip reaches the trace.
    pool, config = (
        ExtractorPool(),
        LivenessConfig(gap_min_seconds=5.0, gap_max_seconds=5.0, still_gaps_forbid_blinks=False),
    )
    clock = MediaClock()
    first = analysis(pool, config, clock)
    extractor = first._extractor
    reference = run(first, clock, rgb_frames)
    assert pool.idle == 1  # given back at the end

    # Another customer's stream goes through it next, and is cut short mid-capture.
    other = analysis(pool, config, MediaClock())
    assert other._extractor is extractor
    for index, frame in enumerate(rgb_frames[:20]):
        other.process(np.ascontiguousarray(frame[:, ::-1]), index / 25.0)
    other.close()

    again = analysis(pool, config, clock)
    assert again._extractor is extractor
    assert len(reference) == 45  # 3 s at the 15 fps budget
    assert run(again, clock, rgb_frames) == reference  # no tracking state or previous frame carried over


def test_the_trace_carries_the_configuration_the_capture_ran_with(rgb_frames: list[np.ndarray]) -> None:
    """The worker judges with the stored configuration, so the capture must store the one it used."""
    config = dataclasses.replace(LivenessConfig(), turn_yaw_degrees=15.0)
    clock = MediaClock()
    capture = analysis(ExtractorPool(), config, clock)
    run(capture, clock, rgb_frames[:15])
    trace = capture.outcome().trace
    assert trace["config"] == config.to_dict()
    assert LivenessConfig.from_dict(trace["config"]) == config


def test_concurrent_captures_get_their_own_extractors_and_the_pool_keeps_them(rgb_frames: list[np.ndarray]) -> None:
    pool, config = ExtractorPool(), LivenessConfig()
    captures = [LivenessSessionAnalysis(PLAN, config, pool) for _ in range(3)]
    assert len({id(capture._extractor) for capture in captures}) == 3
    for capture in captures:
        capture.close()
        capture.close()  # closing twice gives the extractor back once
    assert pool.idle == 3
    ended = captures[0]
    assert ended.process(rgb_frames[0], 10.0).finished is False  # an ended capture analyses nothing more
    assert pool.idle == 3


def test_new_thresholds_retire_the_old_extractors(rgb_frames: list[np.ndarray]) -> None:
    pool, config = ExtractorPool(), LivenessConfig()
    old = LivenessSessionAnalysis(PLAN, config, pool)
    old_extractor = old._extractor
    old.close()
    changed = dataclasses.replace(config, min_face_fraction=0.25)
    new = LivenessSessionAnalysis(PLAN, changed, pool)
    assert new._extractor is not old_extractor
    new.close()
    assert pool.idle == 1


def test_the_first_capture_builds_one_extractor_per_allowed_capture_ahead() -> None:
    """The process reaches its working size at its first capture (one extractor per capture it may
    run), so the later captures of a busy minute take ready extractors and build none."""
    pool, config = ExtractorPool(size=lambda: 3), LivenessConfig()
    first = LivenessSessionAnalysis(PLAN, config, pool)
    assert wait_until(lambda: pool.idle == 2, timeout=60)
    assert wait_until(lambda: not any(t.name == "capture-extractor-fill" for t in threading.enumerate()))
    assert pool.idle == 2  # never beyond the limit
    ahead = {id(extractor) for extractor in pool._idle}
    later = [LivenessSessionAnalysis(PLAN, config, pool) for _ in range(2)]
    lent = {id(capture._extractor) for capture in (first, *later)}
    assert len(lent) == 3  # one per capture at once
    assert lent - {id(first._extractor)} == ahead
    for capture in (first, *later):
        capture.close()
    assert pool.idle == 3

"""The session wrapper with a fake extractor: the frame budget applied before any extraction, the
best frames kept, and the trace it exports (with its configuration) replaying to the same verdict."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from liveness import ChallengePlan, FrameFeatures, LivenessConfig, recompute_verdict
from liveness.session import LivenessSession
from liveness.trace import TRACE_VERSION, frames_from_dict, trace_minimised

from .synthetic import FaceStream, blink_ear

CONFIG = LivenessConfig()


class FakeExtractor:
    """Plays a scripted stream of features instead of looking at pixels."""

    def __init__(self, color: str = "bgr") -> None:
        self.stream = FaceStream()
        self.calls = 0
        self.color = color

    def reset(self, *, light: bool = False) -> None:
        self.stream = FaceStream()

    def extract(self, frame: np.ndarray, t: float) -> FrameFeatures:
        self.calls += 1
        return self.stream.frame(t, ear=blink_ear(t, at=1.6), digest=f"{int(frame[0, 0, 0]):02x}{self.calls:014x}")

    def close(self) -> None:
        """Nothing to release."""


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def run_fake_session(
    camera_fps: float = 30.0, seconds: float = 3.0, color: str = "bgr"
) -> tuple[LivenessSession, FakeExtractor, int]:
    extractor, clock = FakeExtractor(color), Clock()
    plan = ChallengePlan.parse("blink").with_gaps([0.0])  # the scripted blink at 1.6 s follows the prompt
    session = LivenessSession(plan, CONFIG, clock=clock, extractor=extractor)  # type: ignore[arg-type]
    dropped = 0
    for index in range(int(camera_fps * seconds)):
        clock.now = 100.0 + index / camera_fps
        frame = np.full((48, 64, 3), index % 251, dtype=np.uint8)
        frame[:, :, 2] = 255  # the last channel: red in BGR, blue in RGB
        if session.offer(frame, timestamp=50.0 + index / camera_fps) is None:
            dropped += 1
    return session, extractor, dropped


def test_session_drops_frames_over_budget_without_extracting_them() -> None:
    _, extractor, dropped = run_fake_session(camera_fps=30.0, seconds=1.0)
    assert extractor.calls == 15
    assert dropped == 15


def test_session_stops_extracting_once_decided() -> None:
    session, extractor, _ = run_fake_session(camera_fps=30.0, seconds=4.0)
    assert session.finished
    assert extractor.calls < 40


def test_session_passes_keeps_a_best_frame_and_its_trace_replays() -> None:
    session, _, _ = run_fake_session()
    result = session.result()
    assert result.verdict.passed, result.verdict.reasons
    assert result.best_frame is not None
    assert result.best_frame.image.shape == (48, 64, 3)
    trace = json.loads(json.dumps(session.export_trace()))  # what the database gives back
    assert trace["plan"] == ["blink"]
    assert all("rx" in frame and "d" in frame for frame in trace["frames"])
    assert trace["gaps"] == [0.0]
    replayed = recompute_verdict(trace, ChallengePlan.parse("blink"), CONFIG)  # the gaps come from the trace
    assert replayed == result.verdict


@pytest.mark.parametrize(("color", "saturated_in_bgr"), [("bgr", 2), ("rgb", 0)])
def test_best_frame_is_bgr_whatever_order_the_session_takes(color: str, saturated_in_bgr: int) -> None:
    """The matcher and the JPEG encoder take BGR; the capture feeds the session RGB."""
    session, _, _ = run_fake_session(color=color)
    best = session.result().best_frame
    assert best is not None
    assert (best.image[:, :, saturated_in_bgr] == 255).all()
    assert (best.image[:, :, 2 - saturated_in_bgr] != 255).any()


def test_trace_carries_the_configuration_the_capture_ran_with() -> None:
    """The verdict task judges with `trace["config"]`: the session must write it."""
    extractor, clock = FakeExtractor(), Clock()
    config = LivenessConfig(turn_yaw_degrees=31.0, step_timeout_seconds=6.5)
    session = LivenessSession(ChallengePlan.parse("blink"), config, clock=clock, extractor=extractor)  # type: ignore[arg-type]
    for index in range(30):
        clock.now = 100.0 + index / 15
        session.offer(np.full((48, 64, 3), index, dtype=np.uint8), timestamp=index / 15)
    trace = json.loads(json.dumps(session.export_trace()))
    assert LivenessConfig.from_dict(trace["config"]) == config


def test_an_unbudgeted_session_analyses_every_frame_it_is_given() -> None:
    """The capture's frame pump admits by `FrameBudget`; the session must not drop a second time."""
    extractor, clock = FakeExtractor(), Clock()
    session = LivenessSession(
        ChallengePlan.parse("blink"),
        CONFIG,
        clock=clock,
        extractor=extractor,  # type: ignore[arg-type]
        budgeted=False,
    )
    for index in range(20):  # 20 fps with jitter: over the 15 fps budget
        t = index / 20 + (0.01 if index % 2 else 0.0)
        clock.now = 100.0 + t
        assert session.offer(np.full((48, 64, 3), index, dtype=np.uint8), timestamp=t) is not None
    assert extractor.calls == 20


def test_best_frames_are_qualified_spread_in_time_and_ranked_with_the_best_first() -> None:
    session, _, _ = run_fake_session(seconds=3.0)
    best = session.result().best_frame

    frames = session.best_frames(3)

    assert best is not None
    assert 1 <= len(frames) <= 3
    assert frames[0].t == best.t  # the best frame leads
    times = sorted(frame.t for frame in frames)
    assert all(later - earlier >= 0.5 for earlier, later in itertools.pairwise(times))
    scores = [frame.sharpness * (1.0 - abs(frame.yaw) / 45.0) for frame in frames]
    assert scores == sorted(scores, reverse=True)
    assert session.best_frames(1) == frames[:1]
    assert session.best_frames(0) == ()


def test_a_minimised_trace_drops_the_face_geometry_and_refuses_to_replay() -> None:
    frame = {"t": 0.0, "rx": 0.0, "n": 1, "q": "ok", "el": 0.3, "a": [[1, 2]], "f": [], "sig": [0.1], "d": "ab"}
    minimised = trace_minimised({"version": TRACE_VERSION, "plan": ["blink"], "frames": [frame]})
    assert minimised["frames"] == [{"t": 0.0, "rx": 0.0, "n": 1, "q": "ok", "el": 0.3}]
    with pytest.raises(ValueError, match="minimised"):
        frames_from_dict(minimised)

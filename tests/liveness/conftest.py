"""Fixtures for the liveness tests: the shared landmark extractor and the real clips' runs."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from bench.blink_evidence import annotated_blinks
from liveness import ChallengePlan, LivenessConfig, LivenessVerdict
from liveness.extractor import LandmarkExtractor
from liveness.session import LivenessSession

# Fixed gaps, so a clip's run is the same on every test run (a live session draws them).
CLIP_PLAN = ChallengePlan.parse("blink,turn_left,turn_right").with_gaps((1.0, 1.0, 1.0))


@dataclass(frozen=True)
class ClipRun:
    """One real clip played through a session (frame budget on, clock = media time)."""

    name: str
    verdict: LivenessVerdict
    trace: dict[str, Any]
    blinks: list[tuple[float, float]]  # annotated (start, duration)


class MediaClock:
    """The clock of a recorded clip: reads the time of the frame being offered."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="session")
def extractor() -> Iterator[LandmarkExtractor]:
    """One face-mesh extractor for the whole run (model loading is slow); sessions reset it."""
    with LandmarkExtractor(LivenessConfig()) as shared:
        yield shared


def play(path: Path, extractor: LandmarkExtractor, plan: ChallengePlan, config: LivenessConfig) -> LivenessSession:
    """Offer every frame of a clip to a new session, as if from the camera."""
    clock = MediaClock()
    session = LivenessSession(plan, config, clock=clock, extractor=extractor, keep_observing=True)
    capture = cv2.VideoCapture(str(path))
    fps = capture.get(cv2.CAP_PROP_FPS)
    index = 0
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        clock.now = index / fps
        session.offer(np.asarray(frame, dtype=np.uint8), clock.now)
        index += 1
    capture.release()
    return session


@pytest.fixture(scope="session")
def clip_runs(testdata: Path, extractor: LandmarkExtractor) -> dict[str, ClipRun]:
    """Every annotated clip played once with the default configuration."""
    runs = {}
    for name, blinks in annotated_blinks(testdata).items():
        session = play(testdata / "liveness_video" / name, extractor, CLIP_PLAN, LivenessConfig())
        runs[name] = ClipRun(name, session.result().verdict, session.export_trace(), blinks)
    return runs

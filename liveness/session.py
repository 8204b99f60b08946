"""A live session: frames in (pixels + timestamps), UI updates out, verdict and best frame at
the end. The only part of the package that sees pixels; it never writes them anywhere."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from .budget import FrameBudget
from .config import LivenessConfig
from .engine import ChallengeEngine
from .extractor import ColorOrder, LandmarkExtractor
from .features import FrameFeatures, Quality
from .plan import ChallengePlan
from .results import LivenessUpdate, LivenessVerdict, Phase
from .trace import TraceFrame, trace_to_dict

Frame = npt.NDArray[np.uint8]
Clock = Callable[[], float]

_BEST_FRAME_MAX_ANGLE = 12.0


@dataclass(frozen=True, slots=True)
class BestFrame:
    """The sharpest frontal frame with open eyes, for face matching (memory only).

    `image` is a BGR copy (converted when the session takes RGB frames), as OpenCV and the
    face matcher expect."""

    image: Frame
    t: float
    sharpness: float
    yaw: float
    pitch: float


@dataclass(frozen=True, slots=True)
class LivenessResult:
    """The end of a session: the verdict and the best frame (None if none qualified)."""

    verdict: LivenessVerdict
    best_frame: BestFrame | None


class LivenessSession:
    """One customer's liveness capture.

    Feed every decoded camera frame to `offer(frame, timestamp)`; frames over the budget are
    dropped at once (None is returned), the others go through the extractor and the engine
    and give a `LivenessUpdate` for the page. `result()` ends the session. `export_trace()`
    gives the JSON-ready trace that `recompute_verdict` replays.

    `clock` is injected (monotonic seconds); `timestamp` is the frame's media time in seconds
    (e.g. `frame.time` of an aiortc VideoFrame), or None to use the clock. Frames are BGR
    uint8 (H, W, 3) unless `color="rgb"`; a pooled `extractor` passed in keeps its own colour
    order, is reset for this stream and is not closed by the session. `budgeted=False` when the
    caller already admits frames by `FrameBudget` (then `offer` never returns None for budget).
    """

    def __init__(
        self,
        plan: ChallengePlan,
        config: LivenessConfig | None = None,
        *,
        clock: Clock = time.monotonic,
        extractor: LandmarkExtractor | None = None,
        color: ColorOrder = "bgr",
        keep_observing: bool = False,
        budgeted: bool = True,
    ) -> None:
        self.plan = plan
        self.config = config or LivenessConfig()
        self._clock = clock
        self._owns_extractor = extractor is None
        self._extractor = extractor or LandmarkExtractor(self.config, color=color)
        if extractor is not None:
            extractor.reset()  # a pooled extractor must not carry the last customer's stream
        self._engine = ChallengeEngine(plan, self.config)
        # A caller that admits frames itself by the same `FrameBudget` (the capture's frame pump)
        # passes budgeted=False, so the rule is applied once.
        self._budget = FrameBudget(self.config.fps_budget) if budgeted else None
        self._keep_observing = keep_observing
        self._trace: list[TraceFrame] = []
        self._origin: tuple[float, float] | None = None
        self._best: BestFrame | None = None
        self._last_update: LivenessUpdate | None = None

    @property
    def finished(self) -> bool:
        """True once the verdict is decided."""
        return self._engine.verdict is not None

    @property
    def last_update(self) -> LivenessUpdate | None:
        """The most recent update."""
        return self._last_update

    def offer(self, frame: Frame, timestamp: float | None = None) -> LivenessUpdate | None:
        """Take one camera frame; None when the frame budget drops it."""
        now = self._clock()
        media_time = now if timestamp is None else timestamp
        if self._origin is None:
            self._origin = (media_time, now)
        t = media_time - self._origin[0]
        if (self.finished and not self._keep_observing) or (self._budget is not None and not self._budget.admit(t)):
            return None
        features = self._extractor.extract(frame, round(t, 4))
        received_at = round(now - self._origin[1], 4)
        self._trace.append(TraceFrame(features, received_at))
        update = self._engine.process(features, received_at)
        if update.restarted:
            self._best = None
        if update.phase in (Phase.CALIBRATING, Phase.CHALLENGE):
            self._consider_best(frame, features)
        self._last_update = update
        return update

    def result(self) -> LivenessResult:
        """End the session: the verdict and the best frame. Releases an owned extractor."""
        verdict = self._engine.finish()
        if self._owns_extractor:
            self._extractor.close()
            self._owns_extractor = False
        return LivenessResult(verdict, self._best)

    def export_trace(self) -> dict[str, Any]:
        """The JSON-ready trace of the frames processed so far."""
        return trace_to_dict(self._trace, self.plan, self.config)

    def _consider_best(self, frame: Frame, features: FrameFeatures) -> None:
        calibration = self._engine.calibration
        if features.quality is not Quality.OK or calibration is None:
            return
        yaw, pitch = self._engine.relative_pose(features)
        eyes_open = min(
            features.ear_left / max(calibration.ear_left, 1e-6), features.ear_right / max(calibration.ear_right, 1e-6)
        )
        if (
            abs(yaw) > _BEST_FRAME_MAX_ANGLE
            or abs(pitch) > _BEST_FRAME_MAX_ANGLE
            or eyes_open < self.config.blink_open_ratio
        ):
            return
        score = features.sharpness * (1.0 - abs(yaw) / 45.0)
        best = self._best
        if best is None or score > best.sharpness * (1.0 - abs(best.yaw) / 45.0):
            image = frame.copy() if self._extractor.color == "bgr" else cv2.cvtColor(frame, cv2.COLOR_RGB2BGR)
            self._best = BestFrame(np.asarray(image, dtype=np.uint8), features.t, features.sharpness, yaw, pitch)

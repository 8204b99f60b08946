"""A live session: frames in (pixels + timestamps), UI updates out, verdict and best frame at
the end. The only part of the package that sees pixels; it never writes them anywhere."""

from __future__ import annotations

import random
import secrets
import threading
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
from .light import draw_sequence
from .plan import ChallengePlan, ChallengeStep
from .results import LivenessUpdate, LivenessVerdict
from .samples import ChallengeSamples
from .steps import draw_gaps
from .trace import PromptShown, TraceFrame, trace_to_dict

Frame = npt.NDArray[np.uint8]
Clock = Callable[[], float]

_BEST_FRAME_MAX_ANGLE = 12.0
_EXTRA_FRAMES_KEPT = 3  # candidates for best_frames(n): sharp, frontal, eyes open
_EXTRA_FRAMES_MIN_GAP = 0.5  # seconds between two kept frames: different moments, not near-copies


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
        rng: random.Random | None = None,
    ) -> None:
        self.config = config or LivenessConfig()
        if not plan.gaps:  # the server draws the hold-still gaps; the trace keeps them
            plan = plan.with_gaps(draw_gaps(rng or random.SystemRandom(), len(plan.steps), self.config))
        if ChallengeStep.LIGHT in plan.steps and not plan.light:  # drawn here too, revealed when prompted
            plan = plan.with_light(draw_sequence(rng or secrets.SystemRandom(), self.config.light))
        self.plan = plan
        self._clock = clock
        self._owns_extractor = extractor is None
        self._extractor = extractor or LandmarkExtractor(self.config, color=color)
        # A pooled extractor must not carry the last customer's stream; colours only for a light step.
        self._extractor.reset(light=ChallengeStep.LIGHT in plan.steps)
        self._engine = ChallengeEngine(plan, self.config)
        # A caller that admits frames itself by the same `FrameBudget` (the capture's frame pump)
        # passes budgeted=False, so the rule is applied once.
        self._budget = FrameBudget(self.config.fps_budget) if budgeted else None
        self._keep_observing = keep_observing
        self._trace: list[TraceFrame] = []
        self._prompts: list[PromptShown] = []
        self._pending_prompts: list[tuple[int, float]] = []
        self._prompts_lock = threading.Lock()  # prompt_shown comes from the event loop
        self._origin: tuple[float, float] | None = None
        self._best: BestFrame | None = None
        self._candidates: list[BestFrame] = []
        self._samples = ChallengeSamples(rng=rng)
        self._last_update: LivenessUpdate | None = None

    @property
    def finished(self) -> bool:
        """True once the verdict is decided."""
        return self._engine.verdict is not None

    @property
    def last_update(self) -> LivenessUpdate | None:
        """The most recent update."""
        return self._last_update

    def prompt_shown(self, step_index: int, at: float | None = None) -> None:
        """The page displayed step `step_index`'s prompt at clock time `at` (now if None).

        Thread-safe: it is queued and given to the engine before the next frame, and recorded
        in the trace with that frame's index so the replay is exact."""
        now = self._clock() if at is None else at
        with self._prompts_lock:
            self._pending_prompts.append((step_index, now))

    def offer(self, frame: Frame, timestamp: float | None = None) -> LivenessUpdate | None:
        """Take one camera frame; None when the frame budget drops it."""
        now = self._clock()
        media_time = now if timestamp is None else timestamp
        if self._origin is None:
            self._origin = (media_time, now)
        t = media_time - self._origin[0]
        if (self.finished and not self._keep_observing) or (self._budget is not None and not self._budget.admit(t)):
            return None
        self._apply_prompts()
        features = self._extractor.extract(frame, round(t, 4))
        received_at = round(now - self._origin[1], 4)
        self._trace.append(TraceFrame(features, received_at))
        judged_before = self.finished
        update = self._engine.process(features, received_at)
        if update.restarted:
            self._best = None
            self._candidates = []
        if self._engine.answering:  # never a calibration frame: the face the match sees answered a step
            self._consider_best(frame, features)
        if features.has_face and not judged_before:  # calibration included: one face throughout (samples.py)
            pose = self._engine.relative_pose(features)
            self._samples.consider(frame, features, pose, rgb=self._extractor.color != "bgr")
        self._last_update = update
        return update

    def result(self) -> LivenessResult:
        """End the session: the verdict and the best frame. Releases an owned extractor."""
        verdict = self._engine.finish()
        if self._owns_extractor:
            self._extractor.close()
            self._owns_extractor = False
        return LivenessResult(verdict, self._best)

    def best_frames(self, n: int) -> tuple[BestFrame, ...]:
        """Up to ``n`` (at most 3) sharp, frontal, eyes-open frames at least 0.5 s apart, best first.

        The same qualification as the best frame; for matching with several live frames. Like the
        best frame, they are taken only while a prompted step is being answered.
        """
        ranked = sorted(self._candidates, key=_frame_score, reverse=True)
        return tuple(ranked[: max(0, n)])

    def challenge_samples(self) -> tuple[bytes, ...]:
        """JPEGs of frames drawn at random through the whole challenge, for the worker's check that
        they and the matched frames show one person (`liveness.samples`)."""
        return self._samples.jpegs()

    def export_trace(self) -> dict[str, Any]:
        """The JSON-ready trace of the frames processed so far."""
        return trace_to_dict(self._trace, self.plan, self.config, self._prompts)

    def _apply_prompts(self) -> None:
        with self._prompts_lock:
            pending, self._pending_prompts = self._pending_prompts, []
        assert self._origin is not None  # noqa: S101 - set by the first offer
        for step_index, at in pending:
            shown = PromptShown(len(self._trace), step_index, round(at - self._origin[1], 4))
            self._prompts.append(shown)
            self._engine.prompt_shown(shown.step_index, shown.at)

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
        improves_best = best is None or score > _frame_score(best)
        if not improves_best and not self._is_candidate(features.t, score):
            return
        image = frame.copy() if self._extractor.color == "bgr" else cv2.cvtColor(frame, cv2.COLOR_RGB2BGR)
        kept = BestFrame(np.asarray(image, dtype=np.uint8), features.t, features.sharpness, yaw, pitch)
        if improves_best:
            self._best = kept
        self._keep_candidate(kept)

    def _is_candidate(self, t: float, score: float) -> bool:
        """Would a frame at ``t`` with ``score`` enter the kept frames?"""
        near = [c for c in self._candidates if abs(c.t - t) < _EXTRA_FRAMES_MIN_GAP]
        if near:
            return all(score > _frame_score(c) for c in near)
        return len(self._candidates) < _EXTRA_FRAMES_KEPT or score > min(map(_frame_score, self._candidates))

    def _keep_candidate(self, frame: BestFrame) -> None:
        others = [c for c in self._candidates if abs(c.t - frame.t) >= _EXTRA_FRAMES_MIN_GAP]
        self._candidates = sorted([*others, frame], key=_frame_score, reverse=True)[:_EXTRA_FRAMES_KEPT]


def _frame_score(frame: BestFrame) -> float:
    """Sharpness, discounted for a turned head: the best frame's ranking."""
    return frame.sharpness * (1.0 - abs(frame.yaw) / 45.0)

"""The adapter between the frame pump and the liveness engine (`liveness`).

This is the only module that knows the engine's API. The pump sees `ChallengeAnalysis`: feed it
decoded frames (in a worker thread, never on the event loop), read back what the page should show,
and at the end collect the trace and the best frame for `services.capture_finish`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import cv2
import numpy as np

from liveness import ChallengePlan, ChallengeStep, LivenessConfig, LivenessUpdate, Phase
from liveness.engine import HOLD_STILL
from registration.images import encode_jpeg
from registration.liveness_settings import plan_config

from .native_stderr import filtered_native_stderr

# Importing mediapipe takes seconds (it loads TensorFlow). Done lazily on the first capture, in a
# pool thread, it holds import locks the event loop then waits for; so the ASGI process pays it
# once at start-up, when this module is imported through the WebSocket routes (without
# TensorFlow's GPU-less start-up lines on the terminal).
with filtered_native_stderr():
    import mediapipe  # noqa: F401

# One OpenCV thread: the process already analyses its captures in parallel, one pool thread each.
# With OpenCV's own pool (one worker a core) each small call of a frame's analysis was split again,
# and the worker busy-waited (sched_yield) between calls: 0.017 of a core per capture spent spinning
# under load (docs/capacity.md, "Where the web process's time goes").
cv2.setNumThreads(1)

if TYPE_CHECKING:
    from liveness.extractor import LandmarkExtractor

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ChallengeStatus:
    """What the customer's page shows after a frame: the current step, its time left, a hint."""

    step_index: int
    step: str | None
    steps_done: int
    step_seconds_left: float | None
    hint: str | None
    finished: bool = False
    passed: bool | None = None
    reason: str | None = None
    light: tuple[str, ...] = ()
    """A light step's colours ('#rrggbb'), only once its prompt is sent; each held `light_seconds`."""
    light_seconds: float = 0.0
    turn: float | None = None
    """During a turn prompt: how far the head is turned the way asked (0 to 1, 1 far enough)."""

    def to_message(self) -> dict[str, Any]:
        light = {"light": list(self.light), "light_seconds": self.light_seconds} if self.light else {}
        turn = {} if self.turn is None else {"turn": self.turn}
        return {
            "type": "status",
            "step_index": self.step_index,
            "step": self.step,
            "steps_done": self.steps_done,
            "seconds_left": None if self.step_seconds_left is None else round(self.step_seconds_left, 1),
            "hint": self.hint,
            "finished": self.finished,
            "passed": self.passed,
            "reason": self.reason,
            **light,
            **turn,
        }


MATCH_FRAMES = 3  # live frames the match compares (best of): the best frame and the next two


@dataclass(frozen=True, slots=True)
class CaptureOutcome:
    """Everything `services.capture_finish` stores: the trace, the best frame (JPEG) and a summary."""

    trace: dict[str, Any]
    best_frame_jpeg: bytes | None
    live_summary: dict[str, Any] = field(default_factory=dict)
    extra_frames_jpeg: tuple[bytes, ...] = ()  # the next best frames, for the match only
    challenge_frames_jpeg: tuple[bytes, ...] = ()  # sampled through the challenge: one face with the match's

    def frames(self) -> dict[str, Any]:
        """The frames as `services.capture_finish` takes them (keyword arguments)."""
        return {
            "best_frame_jpeg": self.best_frame_jpeg,
            "extra_frames_jpeg": self.extra_frames_jpeg,
            "challenge_frames_jpeg": self.challenge_frames_jpeg,
        }


class ChallengeAnalysis(Protocol):
    """One attempt's analysis. Not thread-safe: the pump calls it from one worker at a time."""

    fps_budget: float
    """Frames per second the pump admits (by `liveness.FrameBudget`); the analysis does not drop any."""
    step_timeout_seconds: float
    session_timeout_seconds: float

    def process(self, rgb: np.ndarray, t: float) -> ChallengeStatus:
        """Analyse one frame (RGB, unmirrored) at media time `t` seconds; CPU-bound."""
        ...

    def prompt_shown(self, step_index: int) -> None:
        """The page displayed step `step_index`'s prompt (now). Thread-safe: called on the event loop."""
        ...

    def outcome(self) -> CaptureOutcome:
        """The trace and best frame so far (call once the challenge has ended or was cut short)."""
        ...

    def close(self) -> None:
        """Release the landmark model."""
        ...


class ExtractorPool:
    """Face-mesh extractors kept from one capture to the next, one per capture running at once.

    Building an extractor loads two mediapipe graphs (~0.1 s of CPU and about 35 MB, allocated
    and freed in whichever pool thread runs it): done per capture, the web process's memory
    crept up by a fifth over 200 captures. A capture takes an extractor for its whole length
    (its frames may run on different pool threads, one at a time) and gives it back reset, so
    no tracking state or previous frame passes from one customer to the next. Only extractors
    built with the current thresholds are kept.

    With a `size` (the process's capture limit), the first capture also starts building the rest in
    the background, up to one per capture the process may run: the process reaches its working size
    at its first capture, not hours later at its first busy minute (a memory limit is then met or
    missed at once, and any growth after that is a leak).
    """

    def __init__(self, size: Callable[[], int] | None = None) -> None:
        self._lock = threading.Lock()
        self._config: LivenessConfig | None = None
        self._idle: list[LandmarkExtractor] = []
        self._size = size
        self._built = 0  # extractors made with the current thresholds (idle or lent)
        self._filling = False

    def acquire(self, config: LivenessConfig) -> LandmarkExtractor:
        stale: list[LandmarkExtractor] = []
        with self._lock:
            if config != self._config:
                stale, self._idle, self._config, self._built = self._idle, [], config, 0
            extractor = self._idle.pop() if self._idle else None
            if extractor is None:
                self._built += 1
            fill = self._size is not None and not self._filling and self._built < self._size()
            self._filling = self._filling or fill
        for old in stale:
            old.close()
        if fill:
            threading.Thread(target=self._fill, args=(config,), name="capture-extractor-fill", daemon=True).start()
        if extractor is not None:
            return extractor
        try:
            return _built(config)
        except Exception:
            with self._lock:
                self._built -= config == self._config
            raise

    def release(self, config: LivenessConfig, extractor: LandmarkExtractor) -> None:
        with filtered_native_stderr():
            extractor.reset()  # restarts the face-mesh graph
            _started(extractor)
        self._keep(config, extractor)

    @property
    def idle(self) -> int:
        """Extractors waiting for a capture."""
        with self._lock:
            return len(self._idle)

    def _keep(self, config: LivenessConfig, extractor: LandmarkExtractor) -> None:
        with self._lock:
            if config == self._config:
                self._idle.append(extractor)
                return
        extractor.close()

    def _fill(self, config: LivenessConfig) -> None:
        """Build extractors until there is one per capture allowed (stops if the thresholds change)."""
        assert self._size is not None  # noqa: S101 - only started with a size
        try:
            while True:
                with self._lock:
                    if config != self._config or self._built >= self._size():
                        return
                    self._built += 1
                try:
                    extractor = _built(config)
                except Exception:  # the capture that needs one builds its own (and fails loudly)
                    logger.exception("the face-mesh extractors could not be built ahead")
                    with self._lock:
                        self._built -= 1
                    return
                self._keep(config, extractor)
        finally:
            with self._lock:
                self._filling = False


def _built(config: LivenessConfig) -> LandmarkExtractor:
    from liveness.extractor import LandmarkExtractor

    with filtered_native_stderr():
        # RGB straight from the decoder: what mediapipe takes, one colour conversion fewer.
        return _started(LandmarkExtractor(config, color="rgb"))


def _capture_limit() -> int:
    """The captures this process may run at once (the peer registry's limit)."""
    from django.conf import settings

    return max(1, int(settings.SHIMING_MAX_CAPTURE_SESSIONS))


EXTRACTORS = ExtractorPool(size=_capture_limit)
_BLANK = np.zeros((48, 64, 3), dtype=np.uint8)


def _started(extractor: LandmarkExtractor) -> LandmarkExtractor:
    """Run one blank frame through a freshly started graph: its TensorFlow Lite calculators open (and
    print their start-up lines, which `filtered_native_stderr` drops) now, not during a customer's
    capture. A frame without a face leaves no tracking state behind."""
    extractor.extract(_BLANK, 0.0)
    return extractor


class LivenessSessionAnalysis:
    """`ChallengeAnalysis` on the engine's `LivenessSession` (landmarks + challenge + trace)."""

    def __init__(
        self,
        plan: Sequence[str],
        config: LivenessConfig,
        pool: ExtractorPool = EXTRACTORS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        from liveness.session import LivenessSession

        self._config = config
        self._pool = pool
        self._extractor: LandmarkExtractor | None = pool.acquire(config)
        self._session = LivenessSession(
            ChallengePlan.parse(list(plan)), config, clock=clock, extractor=self._extractor, budgeted=False
        )
        self._step_count = len(plan)
        self._result: Any = None
        self.fps_budget = config.fps_budget
        self.step_timeout_seconds = config.step_timeout_seconds
        self.session_timeout_seconds = config.session_timeout_seconds

    def process(self, rgb: np.ndarray, t: float) -> ChallengeStatus:
        if self._result is not None:  # ended: the extractor already serves another capture
            update = self._session.last_update
            return ChallengeStatus(0, None, 0, None, None) if update is None else status_from_update(update)
        update = self._session.offer(rgb, timestamp=t)  # the pump admitted it: never dropped here
        if update is None:
            return ChallengeStatus(0, None, 0, None, None)
        return status_from_update(update)

    def prompt_shown(self, step_index: int) -> None:
        if self._result is None:
            self._session.prompt_shown(step_index)

    def outcome(self) -> CaptureOutcome:
        result = self._finish()
        verdict = result.verdict.to_dict()
        return CaptureOutcome(
            trace=self._session.export_trace(),
            best_frame_jpeg=encode_jpeg(result.best_frame.image) if result.best_frame is not None else None,
            live_summary={"passed": result.verdict.passed, **verdict},
            extra_frames_jpeg=tuple(encode_jpeg(frame.image) for frame in self._session.best_frames(MATCH_FRAMES)[1:]),
            challenge_frames_jpeg=self._session.challenge_samples(),
        )

    def close(self) -> None:
        self._finish()

    def _finish(self) -> Any:
        if self._result is None:
            try:
                self._result = self._session.result()
            finally:
                extractor, self._extractor = self._extractor, None
                if extractor is not None:
                    self._pool.release(self._config, extractor)
        return self._result


TURN_PROMPTS = frozenset({ChallengeStep.TURN_LEFT, ChallengeStep.TURN_RIGHT})
WAIT_FOR_PROMPT = "wait_for_prompt"
"""The page's hint during a hold-still gap: an action now would be too early."""


def status_from_update(update: LivenessUpdate) -> ChallengeStatus:
    """The page's view of one engine update."""
    finished = update.phase in (Phase.PASSED, Phase.FAILED)
    holding = update.prompt == HOLD_STILL  # the gap before a prompt: no step shown, so nothing to acknowledge
    in_challenge = update.phase is Phase.CHALLENGE and not holding
    return ChallengeStatus(
        step_index=update.step_index,
        step=update.prompt if in_challenge else None,
        steps_done=update.steps_completed,
        step_seconds_left=None if finished or holding else max(0.0, update.seconds_remaining),
        hint=None if finished else update.quality_hint or (WAIT_FOR_PROMPT if holding else None),
        finished=finished,
        passed=(update.phase is Phase.PASSED) if finished else None,
        light=update.light if in_challenge else (),
        light_seconds=update.light_seconds,
        turn=round(update.turn, 2) if in_challenge and update.prompt in TURN_PROMPTS else None,
    )


def build_analysis(plan: Sequence[str]) -> ChallengeAnalysis:
    """A new analysis for one attempt at `plan` (CPU: loads the landmark model; call in a worker)."""
    return LivenessSessionAnalysis(plan, plan_config(list(plan)))

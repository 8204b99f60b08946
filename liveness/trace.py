"""The compact per-frame trace of a session, and the verdict recomputed from it.

The trace holds, per admitted frame, the `FrameFeatures` (numbers only, no pixels) and the
clock time the frame arrived; the configuration the capture ran with; the hold-still gaps the
server drew; and each "prompt displayed" word of the page with the frame it came before. It
is biometric data: store it with the session's evidence and delete it with that evidence; once the
verdict is written only `trace_minimised` of it is kept.
`recompute_verdict` replays it through a fresh engine, which gives exactly the verdict the
live engine gave (this is what the Celery task calls).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .config import LivenessConfig
from .engine import ChallengeEngine
from .features import FrameFeatures
from .plan import ChallengePlan
from .results import LivenessVerdict

TRACE_VERSION = 1
# Per-frame keys that describe the face itself rather than the challenge's timeline: landmark
# positions and their optical flow, the 3-D proportions of the face, the pixels' digest and the
# skin and backdrop colours. Only the verdict needs them; `trace_minimised` drops them after it.
FACE_GEOMETRY_KEYS = frozenset({"a", "f", "sig", "d", "sk", "bg"})


@dataclass(frozen=True, slots=True)
class TraceFrame:
    """One admitted frame as the engine saw it."""

    features: FrameFeatures
    received_at: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: the features' keys plus `rx` (arrival time on the clock)."""
        return {**self.features.to_dict(), "rx": self.received_at}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TraceFrame:
        """Inverse of `to_dict`."""
        return cls(FrameFeatures.from_dict(data), float(data["rx"]))


@dataclass(frozen=True, slots=True)
class PromptShown:
    """The page displayed step `step_index`'s prompt at server time `at`; the engine heard it
    just before frame `before_frame` (an index into the trace's frames)."""

    before_frame: int
    step_index: int
    at: float

    def to_list(self) -> list[float | int]:
        """JSON-ready: [before_frame, step_index, at]."""
        return [self.before_frame, self.step_index, self.at]


def trace_to_dict(
    frames: list[TraceFrame], plan: ChallengePlan, config: LivenessConfig, prompts: list[PromptShown] | None = None
) -> dict[str, Any]:
    """The JSON-ready trace: version, plan codes (for reference), the configuration the capture
    ran with (`LivenessConfig.to_dict`, which the verdict task judges with), the gaps, the light
    sequence (when the plan has a light step), the page's prompt acknowledgements and the frames."""
    return {
        "version": TRACE_VERSION,
        "plan": plan.codes(),
        "config": config.to_dict(),
        "gaps": list(plan.gaps),
        **({"light": list(plan.light)} if plan.light else {}),
        "prompts": [prompt.to_list() for prompt in prompts or ()],
        "frames": [frame.to_dict() for frame in frames],
    }


def trace_minimised(trace: dict[str, Any]) -> dict[str, Any]:
    """The trace kept once its verdict is written: the plan, configuration, prompts and each frame's
    timing, quality, eye openness and head angles, without the face's geometry (`FACE_GEOMETRY_KEYS`).
    It no longer replays: the verdict it gave is stored beside it."""
    frames = [
        {key: value for key, value in frame.items() if key not in FACE_GEOMETRY_KEYS} for frame in trace["frames"]
    ]
    return {**trace, "minimised": True, "frames": frames}


def frames_from_dict(trace: dict[str, Any]) -> list[TraceFrame]:
    """The frames of a trace dict; ValueError for an unknown version or a minimised trace."""
    if trace.get("version") != TRACE_VERSION:
        raise ValueError(f"unsupported liveness trace version {trace.get('version')!r}")
    if trace.get("minimised"):
        raise ValueError("a minimised liveness trace does not replay")
    return [TraceFrame.from_dict(item) for item in trace["frames"]]


def prompts_from_dict(trace: dict[str, Any]) -> list[PromptShown]:
    """The page's prompt acknowledgements of a trace (none in a trace without them)."""
    return [PromptShown(int(item[0]), int(item[1]), float(item[2])) for item in trace.get("prompts", ())]


def replay(
    frames: list[TraceFrame], plan: ChallengePlan, config: LivenessConfig, prompts: list[PromptShown] | None = None
) -> ChallengeEngine:
    """A fresh engine fed every frame of the trace, each acknowledgement before its frame (not finished)."""
    engine = ChallengeEngine(plan, config)
    pending = sorted(prompts or (), key=lambda prompt: prompt.before_frame)
    for index, frame in enumerate(frames):
        while pending and pending[0].before_frame <= index:
            shown = pending.pop(0)
            engine.prompt_shown(shown.step_index, shown.at)
        engine.process(frame.features, frame.received_at)
    return engine


def recompute_verdict(trace: dict[str, Any], plan: ChallengePlan, config: LivenessConfig) -> LivenessVerdict:
    """The verdict of a stored trace, for the given plan and configuration.

    A plan read back from its codes takes the gaps and the light sequence the capture drew
    from the trace."""
    if not plan.gaps and trace.get("gaps"):
        plan = plan.with_gaps(trace["gaps"])
    if not plan.light and trace.get("light"):
        plan = plan.with_light(trace["light"])
    return replay(frames_from_dict(trace), plan, config, prompts_from_dict(trace)).finish()

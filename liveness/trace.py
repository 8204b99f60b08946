"""The compact per-frame trace of a session, and the verdict recomputed from it.

The trace holds, per admitted frame, the `FrameFeatures` (numbers only, no pixels) and the
clock time the frame arrived. It is biometric data: store it with the session's evidence and
delete it with that evidence. `recompute_verdict` replays it through a fresh engine, which
gives exactly the verdict the live engine gave (this is what the Celery task calls).
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


def trace_to_dict(frames: list[TraceFrame], plan: ChallengePlan, config: LivenessConfig) -> dict[str, Any]:
    """The JSON-ready trace: version, plan codes (for reference), the configuration the capture
    ran with (`LivenessConfig.to_dict`, which the verdict task judges with) and the frames."""
    return {
        "version": TRACE_VERSION,
        "plan": plan.codes(),
        "config": config.to_dict(),
        "frames": [frame.to_dict() for frame in frames],
    }


def frames_from_dict(trace: dict[str, Any]) -> list[TraceFrame]:
    """The frames of a trace dict; ValueError for an unknown version."""
    if trace.get("version") != TRACE_VERSION:
        raise ValueError(f"unsupported liveness trace version {trace.get('version')!r}")
    return [TraceFrame.from_dict(item) for item in trace["frames"]]


def replay(frames: list[TraceFrame], plan: ChallengePlan, config: LivenessConfig) -> ChallengeEngine:
    """A fresh engine fed every frame of the trace (not finished)."""
    engine = ChallengeEngine(plan, config)
    for frame in frames:
        engine.process(frame.features, frame.received_at)
    return engine


def recompute_verdict(trace: dict[str, Any], plan: ChallengePlan, config: LivenessConfig) -> LivenessVerdict:
    """The verdict of a stored trace, for the given plan and configuration."""
    return replay(frames_from_dict(trace), plan, config).finish()

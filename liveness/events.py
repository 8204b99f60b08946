"""Events the detectors report: a blink or a head turn, with its start and end times."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class EventType(StrEnum):
    """What the person did. Turn directions are the person's own (see `plan.ChallengeStep`)."""

    BLINK = "blink"
    TURN_LEFT = "turn_left"
    TURN_RIGHT = "turn_right"


@dataclass(frozen=True, slots=True)
class LivenessEvent:
    """One blink or turn, `t_start`/`t_end` in media seconds; `peak` is the deepest eye-ratio
    fraction of baseline (blink) or the largest yaw from frontal in degrees (turn)."""

    type: EventType
    t_start: float
    t_end: float
    peak: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form with the stable keys `type`, `t_start`, `t_end`."""
        return {
            "type": self.type.value,
            "t_start": round(self.t_start, 3),
            "t_end": round(self.t_end, 3),
            "peak": round(self.peak, 3),
        }

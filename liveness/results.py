"""What the engine hands out: per-frame updates for the page and the final verdict."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from .events import LivenessEvent
from .plan import ChallengeStep


class Phase(StrEnum):
    """Where the session is."""

    CALIBRATING = "calibrating"
    CHALLENGE = "challenge"
    PASSED = "passed"
    FAILED = "failed"


class Reason(StrEnum):
    """Why a session failed (or what it noticed). Stable codes: stored and shown to staff."""

    NO_BLINK = "no_blink"
    NO_TURN = "no_turn"
    TURN_TOO_SMALL = "turn_too_small"
    TURN_NOT_BACK = "turn_not_back"
    STEP_TIMEOUT = "step_timeout"
    SESSION_TIMEOUT = "session_timeout"
    CALIBRATION_FAILED = "calibration_failed"
    PLANAR_MOTION = "planar_motion"
    IDENTITY_JUMP = "identity_jump"
    FACE_LOST = "face_lost"
    SUSPECTED_INJECTION = "suspected_injection"
    REPEATED_FRAMES = "repeated_frames"
    IMPOSSIBLE_TIMESTAMPS = "impossible_timestamps"
    INCOMPLETE = "incomplete"
    WRONG_ACTION = "wrong_action"
    TOO_EARLY = "too_early"
    TOO_LATE = "too_late"
    LIGHT_MISMATCH = "light_mismatch"


REASON_DESCRIPTIONS: dict[Reason, str] = {
    Reason.NO_BLINK: "no blink was seen when one was needed",
    Reason.NO_TURN: "the head turn asked for was not seen",
    Reason.TURN_TOO_SMALL: "after the prompt the head turned the way asked, short of turn_yaw_degrees",
    Reason.TURN_NOT_BACK: "after the prompt the head turned the way asked past turn_yaw_degrees, not back in time",
    Reason.STEP_TIMEOUT: "a step was not answered within its limit (reaction window + the action's length)",
    Reason.SESSION_TIMEOUT: "the whole challenge took too long",
    Reason.CALIBRATION_FAILED: "no steady frontal face at the start",
    Reason.PLANAR_MOTION: "the face moved like a flat picture",
    Reason.IDENTITY_JUMP: "the face in view changed after a step was prompted (or too often before)",
    Reason.FACE_LOST: "the face was out of sight for too long after a step was prompted",
    Reason.SUSPECTED_INJECTION: "the video does not behave like a live camera",
    Reason.REPEATED_FRAMES: "the same frame came again and again",
    Reason.IMPOSSIBLE_TIMESTAMPS: "frame times ran backwards or ahead of the clock",
    Reason.INCOMPLETE: "the stream ended before the challenge did",
    Reason.WRONG_ACTION: "a turn when a blink was asked, or a turn the wrong way",
    Reason.TOO_EARLY: "a turn began before the prompt was shown (or sooner than a person reacts)",
    Reason.TOO_LATE: "the action asked for began after the reaction window",
    Reason.LIGHT_MISMATCH: "the face's colour did not follow the colours the screen showed",
}
"""One line per reason code, for developers' tools (the pages have their own translated text)."""


@dataclass(frozen=True, slots=True)
class StepResult:
    """One prompted step: when its prompt counted as shown and when the matching action ended
    (server clock, seconds since the session's first frame)."""

    step: ChallengeStep
    prompted_at: float
    completed_at: float | None

    @property
    def passed(self) -> bool:
        """True once the action was seen after the prompt."""
        return self.completed_at is not None

    @property
    def duration(self) -> float | None:
        """Seconds from prompt to completion."""
        return None if self.completed_at is None else self.completed_at - self.prompted_at

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        duration = self.duration
        return {
            "step": self.step.value,
            "prompted_at": round(self.prompted_at, 3),
            "completed_at": None if self.completed_at is None else round(self.completed_at, 3),
            "duration": None if duration is None else round(duration, 3),
            "passed": self.passed,
        }


@dataclass(frozen=True, slots=True)
class Calibration:
    """What the calibration learnt about this person: open-eye level and frontal pose."""

    ear_left: float
    ear_right: float
    yaw: float
    pitch: float
    signature: tuple[float, ...]
    completed_at: float


@dataclass(frozen=True, slots=True)
class LivenessVerdict:
    """The outcome of a session. `events` lists every blink and turn seen, also outside steps."""

    passed: bool
    reasons: tuple[Reason, ...]
    steps: tuple[StepResult, ...]
    events: tuple[LivenessEvent, ...]
    restarts: int
    decided_at: float | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form with the stable keys `verdict`, `reasons`, `events`, `steps`."""
        return {
            "verdict": "passed" if self.passed else "failed",
            "reasons": [reason.value for reason in self.reasons],
            "events": [event.to_dict() for event in self.events],
            "steps": [step.to_dict() for step in self.steps],
            "restarts": self.restarts,
            "decided_at": None if self.decided_at is None else round(self.decided_at, 3),
        }


@dataclass(frozen=True, slots=True)
class LivenessUpdate:
    """What the page shows after one frame.

    `prompt` is a code: "look_at_camera" during calibration, "hold_still" during a step's gap
    (no prompt shown yet), the step code once the prompt is sent, "passed" or "failed" at the end.
    `quality_hint` is None or one of "look_at_camera", "one_person_only", "move_closer",
    "more_light", "less_light", "hold_still". `seconds_remaining` counts down the time left to
    begin the asked action (the gap's rest while holding still; calibration's time before).
    `light` holds the colours ('#rrggbb') of a light step once its prompt is sent (empty
    otherwise: the sequence is not revealed before), each shown for `light_seconds`. `turn` is
    how far the head is turned the way a turn prompt asks (`steps.turn_progress`: 0 to 1, 1 far
    enough; 0 for any other prompt).
    """

    phase: Phase
    prompt: str
    step_index: int
    step_count: int
    steps_completed: int
    quality_hint: str | None
    seconds_remaining: float
    restarted: bool = False
    light: tuple[str, ...] = ()
    light_seconds: float = 0.0
    turn: float = 0.0

    @property
    def progress(self) -> float:
        """Fraction of the steps completed."""
        return self.steps_completed / self.step_count if self.step_count else 0.0

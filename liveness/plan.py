"""The challenge plan: which actions the customer is asked for, in which order."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class ChallengeStep(StrEnum):
    """One prompted action. Directions are the customer's own: `turn_left` means turning to
    their own left, which moves the nose toward the right of the unmirrored camera image."""

    BLINK = "blink"
    TURN_LEFT = "turn_left"
    TURN_RIGHT = "turn_right"
    LIGHT = "light"
    """Hold still while the screen shows a colour sequence (`liveness.light`)."""


_TURNS = (ChallengeStep.TURN_LEFT, ChallengeStep.TURN_RIGHT)
ACTIONS = (ChallengeStep.BLINK, *_TURNS)
"""The steps that ask for a movement (every step but the light)."""


@dataclass(frozen=True, slots=True)
class ChallengePlan:
    """An ordered, non-empty sequence of steps, and the hold-still gap (seconds) before each.

    The gaps are drawn by the server when the capture starts (`steps.draw_gaps`) and stored in
    the trace; a plan read back from its codes has none until `with_gaps` gives it the trace's.
    An engine run on a plan without gaps uses `gap_min_seconds` before every step. `light` is
    the colour sequence (palette codes) of a light step, drawn by the server like the gaps.
    """

    steps: tuple[ChallengeStep, ...]
    gaps: tuple[float, ...] = ()
    light: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.steps:
            raise ValueError("a challenge plan needs at least one step")
        if self.gaps and len(self.gaps) != len(self.steps):
            raise ValueError("a challenge plan has one gap per step, or none")
        if any(gap < 0 for gap in self.gaps):
            raise ValueError("a gap cannot be negative")

    def with_gaps(self, gaps: Sequence[float]) -> ChallengePlan:
        """The same steps with these gaps."""
        return ChallengePlan(self.steps, tuple(float(gap) for gap in gaps), self.light)

    def with_light(self, sequence: Sequence[str]) -> ChallengePlan:
        """The same steps and gaps with this colour sequence."""
        return ChallengePlan(self.steps, self.gaps, tuple(str(code) for code in sequence))

    @classmethod
    def parse(cls, text: str | Sequence[str]) -> ChallengePlan:
        """From "blink,turn_left" or ["blink", "turn_left"]; ValueError on an unknown step."""
        names = text.split(",") if isinstance(text, str) else list(text)
        steps = []
        for name in (item.strip() for item in names):
            try:
                steps.append(ChallengeStep(name))
            except ValueError:
                allowed = ", ".join(step.value for step in ChallengeStep)
                raise ValueError(f"unknown challenge step {name!r} (allowed: {allowed})") from None
        return cls(tuple(steps))

    def codes(self) -> list[str]:
        """The steps as their string codes (JSON-ready)."""
        return [step.value for step in self.steps]


def draw_plan(
    rng: random.Random, *, step_count: int = 3, previous: ChallengePlan | None = None, light: bool = False
) -> ChallengePlan:
    """A random plan of `step_count` actions, never equal to `previous`; with `light`, one light
    step more at a random place.

    With two or more actions the plan holds at least one blink (a still print never blinks) and
    at least one turn (a flat photo cannot turn with parallax).
    """
    if step_count < 1:
        raise ValueError("step_count must be at least 1")
    while True:
        steps = tuple(rng.choice(ACTIONS) for _ in range(step_count))
        if step_count >= 2 and not _mixes_blink_and_turn(steps):
            continue
        if light:
            at = rng.randrange(step_count + 1)
            steps = (*steps[:at], ChallengeStep.LIGHT, *steps[at:])
        plan = ChallengePlan(steps)
        if plan != previous:
            return plan


def _mixes_blink_and_turn(steps: tuple[ChallengeStep, ...]) -> bool:
    return ChallengeStep.BLINK in steps and any(step in _TURNS for step in steps)

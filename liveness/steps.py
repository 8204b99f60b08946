"""Strict steps: when a prompt counts as shown, which action answers it, and when it is too late.

Every time here is on the server's clock (`received_at`, seconds since the session's first
frame), never the frames' media time: a replayed or injected stream chooses its own media
timestamps, but not when its frames reach the server.

One step runs in three stretches:

1. a hold-still gap (`ChallengePlan.gaps`, drawn by the server) in which no prompt is shown and
   no action may begin (the page asks the customer to hold still with open eyes);
2. the prompt goes out with the first frame after the gap (`issued_at`: the server's own send
   time); the page acknowledges when it displayed it, which moves the reference (`shown`) no
   earlier than `issued_at` and no later than `issued_at + prompt_ack_max_seconds`, so a page
   that lies cannot widen the window;
3. the response must begin inside [shown + reaction_min, shown + reaction_max]; the step fails
   with `step_timeout` when nothing answered it by `LivenessConfig.step_seconds` (the window
   plus the action's own length).

An action begun in the gap or before shown + reaction_min is `too_early` (for blinks only with
`still_gaps_forbid_blinks`, the default); a turn when a blink is asked, or a turn the wrong way,
is `wrong_action`; the right action begun after the window is `too_late`. A blink during a turn
step is natural and ignored, as is a blink that began in the step before (it ends in the gap).

Measured on the looping recording of bench/actors/customer.py (600 random plans and start
points): 32 passes with blinks allowed in the gaps, 11 with them forbidden; the remaining
passes are recordings whose actions happen to follow the plan's order with human spacing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import StrEnum

from .config import LivenessConfig
from .detectors import TurnDetector
from .events import EventType
from .plan import ChallengeStep
from .results import Reason

_ANSWERS = {
    ChallengeStep.BLINK: EventType.BLINK,
    ChallengeStep.TURN_LEFT: EventType.TURN_LEFT,
    ChallengeStep.TURN_RIGHT: EventType.TURN_RIGHT,
}


class Judgement(StrEnum):
    """What one blink or turn means for the current step."""

    IGNORED = "ignored"
    ANSWERED = "answered"
    WRONG_ACTION = "wrong_action"
    TOO_EARLY = "too_early"
    TOO_LATE = "too_late"


JUDGEMENT_REASONS = {
    Judgement.WRONG_ACTION: Reason.WRONG_ACTION,
    Judgement.TOO_EARLY: Reason.TOO_EARLY,
    Judgement.TOO_LATE: Reason.TOO_LATE,
}
"""The reason an attempt fails with, for each judgement that fails it."""


def draw_gaps(rng: random.Random, count: int, config: LivenessConfig) -> tuple[float, ...]:
    """`count` hold-still gaps, uniform in [gap_min_seconds, gap_max_seconds], to the millisecond."""
    return tuple(round(rng.uniform(config.gap_min_seconds, config.gap_max_seconds), 3) for _ in range(count))


@dataclass
class StepTiming:
    """The clock of the current step (mutable: one per step of an attempt)."""

    gap_start: float
    """When the previous step (or the calibration) ended."""
    gap: float
    """Seconds of hold-still before the prompt goes out."""
    issued_at: float | None = None
    """The frame after which the prompt was sent to the page (None during the gap)."""
    shown_at: float | None = None
    """The page's acknowledgement of display, bounded by `issued_at`."""

    @property
    def shown(self) -> float | None:
        """The reference of the reaction window: the bounded acknowledgement, else the send time."""
        return self.shown_at if self.shown_at is not None else self.issued_at

    @property
    def prompt_due(self) -> float:
        """When the gap ends."""
        return self.gap_start + self.gap

    def tick(self, now: float) -> bool:
        """Issue the prompt with the first frame at or after the end of the gap; True on that frame."""
        if self.issued_at is None and now >= self.prompt_due:
            self.issued_at = now
            return True
        return False

    def acknowledge(self, at: float, config: LivenessConfig) -> None:
        """The page says it displayed the prompt at server time `at` (the first word counts)."""
        if self.issued_at is None or self.shown_at is not None:
            return
        self.shown_at = min(max(at, self.issued_at), self.issued_at + config.prompt_ack_max_seconds)

    def judge(self, step: ChallengeStep, action: EventType, started_at: float, config: LivenessConfig) -> Judgement:
        """What an action that began at `started_at` means for `step`."""
        shown = self.shown
        is_turn = action is not EventType.BLINK
        if shown is None or started_at < shown + config.reaction_min_seconds:
            if is_turn or (config.still_gaps_forbid_blinks and started_at >= self.gap_start):
                return Judgement.TOO_EARLY
            return Judgement.IGNORED  # a blink that began in the step before
        if action is not _ANSWERS.get(step):  # a light step is answered by no movement
            return Judgement.WRONG_ACTION if is_turn else Judgement.IGNORED
        if started_at > shown + config.reaction_max_seconds:
            return Judgement.TOO_LATE
        return Judgement.ANSWERED

    def overdue(self, step: ChallengeStep, now: float, config: LivenessConfig) -> bool:
        """True once the step's limit (`LivenessConfig.step_seconds`) has passed unanswered. Until
        then a late start is still seen, so the customer hears `too_late` rather than nothing."""
        shown = self.shown
        return shown is not None and now > shown + config.step_seconds(step)

    def seconds_left(self, now: float, config: LivenessConfig) -> float:
        """For the page's countdown: time left to begin the action (the gap's rest before the prompt)."""
        shown = self.shown
        if shown is None:
            return max(self.prompt_due - now, 0.0)
        return max(shown + config.reaction_max_seconds - now, 0.0)


def missed_step_reason(step: ChallengeStep, turns: TurnDetector, config: LivenessConfig) -> Reason:
    """What was missing when a step's time ran out: the blink, the turn, or part of a turn. After
    the prompt the head left the frontal band the way asked but stayed short of `turn_yaw_degrees`:
    `turn_too_small` (turn a little further). It went past `turn_yaw_degrees` the way asked and was
    still out of the frontal band at the end: `turn_not_back` (turn back to the screen sooner).
    Either way the customer is not told that no turn was seen."""
    if step is ChallengeStep.BLINK:
        return Reason.NO_BLINK
    if turns.still_out(_ANSWERS[step]) >= config.turn_yaw_degrees:
        return Reason.TURN_NOT_BACK
    widest = turns.widest(_ANSWERS[step])
    return Reason.TURN_TOO_SMALL if config.frontal_band_degrees < widest < config.turn_yaw_degrees else Reason.NO_TURN


_TURN_SIDES: dict[str, float] = {ChallengeStep.TURN_RIGHT: 1.0, ChallengeStep.TURN_LEFT: -1.0}  # the sign of yaw


def turn_progress(prompt: str, relative_yaw: float, config: LivenessConfig) -> float:
    """How far the head is turned the way a turn prompt asks, as a fraction of `turn_yaw_degrees`
    (0 to 1: the page's gauge while turning; 1 is far enough). 0 for any other prompt."""
    side = _TURN_SIDES.get(prompt, 0.0)
    return min(max(side * relative_yaw / config.turn_yaw_degrees, 0.0), 1.0) if side else 0.0

"""The frame budget: admit at most `fps_budget` frames per second, drop the rest.

This is the one admission rule. A live capture applies it in the frame pump (on the frames'
media time, before a frame is decoded to pixels); a `LivenessSession` fed directly (the
`liveness_check` command, the bench, tests) applies it itself, on the same media time.
"""

from __future__ import annotations

# A frame slightly early for its slot is still admitted, so a 30 fps camera gives 15 fps
# rather than 10 fps when the budget is 15.
_EARLY_TOLERANCE = 0.25


class FrameBudget:
    """Decides frame by frame, holding no frames: nothing ever queues behind it."""

    def __init__(self, fps_budget: float) -> None:
        if fps_budget <= 0:
            raise ValueError("fps_budget must be positive")
        self._interval = 1.0 / fps_budget
        self._next_slot: float | None = None

    def admit(self, t: float) -> bool:
        """True if the frame at media time `t` should be processed."""
        if self._next_slot is not None and t < self._next_slot - _EARLY_TOLERANCE * self._interval:
            return False
        slot = t if self._next_slot is None else max(self._next_slot, t - _EARLY_TOLERANCE * self._interval)
        self._next_slot = slot + self._interval
        return True

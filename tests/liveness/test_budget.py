"""The frame budget: at most the configured rate admitted, and no burst after a stall."""

from __future__ import annotations

import pytest

from liveness import FrameBudget, LivenessConfig

CONFIG = LivenessConfig()


@pytest.mark.parametrize(("camera_fps", "admitted"), [(30.0, 15), (25.0, 15), (60.0, 15), (10.0, 10)])
def test_budget_admits_at_most_the_configured_rate(camera_fps: float, admitted: int) -> None:
    budget = FrameBudget(CONFIG.fps_budget)
    count = sum(budget.admit(index / camera_fps) for index in range(int(camera_fps * 10)))
    assert abs(count / 10 - admitted) <= 0.5


def test_budget_after_a_stall_does_not_burst() -> None:
    budget = FrameBudget(CONFIG.fps_budget)
    assert budget.admit(0.0)
    assert budget.admit(5.0)
    assert not budget.admit(5.01)

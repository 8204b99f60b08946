"""The random challenge plan."""

from __future__ import annotations

import random

import pytest

from liveness import ChallengePlan, ChallengeStep, draw_plan


def test_plan_never_repeats_twice_in_a_row() -> None:
    rng = random.Random(7)
    previous = None
    for _ in range(500):
        plan = draw_plan(rng, step_count=3, previous=previous)
        assert plan != previous
        previous = plan


def test_plan_mixes_a_blink_and_a_turn() -> None:
    rng = random.Random(3)
    plans = {draw_plan(rng, step_count=3) for _ in range(300)}
    assert len(plans) > 10  # actually random
    for plan in plans:
        assert len(plan.steps) == 3
        assert ChallengeStep.BLINK in plan.steps
        assert {ChallengeStep.TURN_LEFT, ChallengeStep.TURN_RIGHT} & set(plan.steps)


def test_single_step_plans_also_change() -> None:
    rng = random.Random(1)
    first = draw_plan(rng, step_count=1)
    assert all(draw_plan(rng, step_count=1, previous=first) != first for _ in range(50))


def test_parse_and_codes() -> None:
    plan = ChallengePlan.parse("blink, turn_left,turn_right")
    assert plan.codes() == ["blink", "turn_left", "turn_right"]
    assert ChallengePlan.parse(["blink"]).steps == (ChallengeStep.BLINK,)


@pytest.mark.parametrize("text", ["nod", "blink,,turn_left", ""])
def test_parse_rejects_unknown_steps(text: str) -> None:
    with pytest.raises(ValueError, match="unknown challenge step"):
        ChallengePlan.parse(text)

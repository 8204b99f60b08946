"""The challenge against customers and attackers assembled from real footage (bench/actors/customer.py),
at the product's default thresholds (a 25-degree turn: the customer's footage, antispoofing_real.mov,
turns about 47-50 degrees each way)."""

from __future__ import annotations

import dataclasses
import itertools
import random

import pytest

from bench.actors.customer import FPS, Customer, LoopingRecording, lazy, perform, wrong_way
from bench.honest_customers import PRODUCT_ATTEMPTS
from liveness import ChallengeEngine, ChallengePlan, FrameFeatures, LivenessConfig, Phase, Reason
from liveness.extractor import LandmarkExtractor
from liveness.steps import draw_gaps

pytestmark = pytest.mark.model

CUSTOMER_CONFIG = LivenessConfig()
STEP_CODES = ("blink", "turn_left", "turn_right")
PLAN_SHAPES = [
    ",".join(steps)
    for steps in itertools.product(STEP_CODES, repeat=3)
    if "blink" in steps and any(step != "blink" for step in steps)
]


@pytest.mark.parametrize("codes", PLAN_SHAPES)
def test_a_customer_who_follows_the_prompts_passes_every_plan_shape(codes: str, extractor: LandmarkExtractor) -> None:
    """Within the product's attempts: about 1 first attempt in 10 of this footage fails (an eye
    "closure" as a turn ends, in the next hold-still gap: bench/honest_customers.py)."""
    failures = []
    for attempt in range(PRODUCT_ATTEMPTS):
        customer = Customer(random.Random(f"{codes}:{attempt}"))
        session = perform(customer, ChallengePlan.parse(codes), CUSTOMER_CONFIG, extractor)
        verdict = session.result().verdict
        if verdict.passed:
            assert verdict.restarts == 0
            return
        failures.append((verdict.reasons, customer.actions, [e.to_dict() for e in verdict.events]))
    pytest.fail(f"no attempt of {PRODUCT_ATTEMPTS} passed: {failures}")


def test_the_lazy_customer_times_out(extractor: LandmarkExtractor) -> None:
    session = perform(
        Customer(random.Random(3), respond=lazy),
        ChallengePlan.parse("turn_left,blink,turn_right"),
        CUSTOMER_CONFIG,
        extractor,
    )
    verdict = session.result().verdict
    assert verdict.reasons[:2] == (Reason.STEP_TIMEOUT, Reason.NO_TURN)


def test_a_slow_customer_is_too_late(extractor: LandmarkExtractor) -> None:
    slow = Customer(random.Random(4), reaction=(3.4, 3.6))
    session = perform(slow, ChallengePlan.parse("turn_right,blink,turn_left"), CUSTOMER_CONFIG, extractor)
    assert session.result().verdict.reasons[0] is Reason.TOO_LATE


@pytest.mark.parametrize("codes", ["turn_left,blink,blink", "blink,turn_right,blink"])
def test_the_wrong_way_customer_fails_with_wrong_action(codes: str, extractor: LandmarkExtractor) -> None:
    session = perform(
        Customer(random.Random(5), respond=wrong_way), ChallengePlan.parse(codes), CUSTOMER_CONFIG, extractor
    )
    assert session.result().verdict.reasons[0] is Reason.WRONG_ACTION


@pytest.fixture(scope="module")
def recording_features(extractor: LandmarkExtractor) -> list[FrameFeatures]:
    """Three loops of the replayed recording through the extractor at the 15 fps budget (it
    ignores the prompts, so one extraction serves every plan)."""
    recording = LoopingRecording()
    extractor.reset()
    step = round(FPS / CUSTOMER_CONFIG.fps_budget)
    return [
        extractor.extract(recording.frame(index / FPS), round(index / FPS, 4))
        for index in range(0, int(3 * recording.period * FPS), step)
    ]


def replay_recording(features: list[FrameFeatures], start: int, plan: ChallengePlan) -> tuple[bool, tuple[Reason, ...]]:
    """The recording from frame `start` against `plan`; the page acknowledges each prompt at once."""
    engine = ChallengeEngine(plan, CUSTOMER_CONFIG)
    t0 = features[start].t
    shown: tuple[int, str] | None = None
    for frame in features[start:]:
        t = round(frame.t - t0, 4)
        update = engine.process(dataclasses.replace(frame, t=t), t)
        if (
            update.phase is Phase.CHALLENGE
            and update.prompt in STEP_CODES
            and shown != (update.step_index, update.prompt)
        ):
            shown = (update.step_index, update.prompt)
            engine.prompt_shown(update.step_index, t)
        if engine.verdict is not None:
            break
    verdict = engine.finish()
    return verdict.passed, verdict.reasons


def test_a_looping_recording_that_does_every_action_passes_none_of_50_random_plans(
    recording_features: list[FrameFeatures],
) -> None:

    from liveness import draw_plan

    rng = random.Random(14)
    period_frames = len(recording_features) // 3
    outcomes = []
    for _ in range(50):
        plan = draw_plan(rng, step_count=3)
        plan = plan.with_gaps(draw_gaps(rng, 3, CUSTOMER_CONFIG))
        outcomes.append(replay_recording(recording_features, rng.randrange(period_frames), plan))
    reasons = sorted({reasons[0].value for passed, reasons in outcomes if reasons})
    print(f"\nlooping recording: {sum(passed for passed, _ in outcomes)} of 50 passed; first reasons {reasons}")
    assert not any(passed for passed, _ in outcomes)

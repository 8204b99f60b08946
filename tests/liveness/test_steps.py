"""Strict steps: a wrong action, an answer too early or too late, an action in the hold-still gap
fail the attempt; the page's display acknowledgement moves the window only within its bound."""

from __future__ import annotations

import random

import pytest

from liveness import ChallengeEngine, ChallengePlan, ChallengeStep, LivenessConfig, Phase, Reason, recompute_verdict
from liveness.steps import draw_gaps

from .synthetic import FaceStream, perform

CONFIG = LivenessConfig()
FLIP = {"turn_left": "turn_right", "turn_right": "turn_left", "blink": "blink"}


def engine_for(codes: str, gaps: tuple[float, ...] | None = None) -> ChallengeEngine:
    plan = ChallengePlan.parse(codes)
    return ChallengeEngine(plan.with_gaps(gaps or (1.0,) * len(plan.steps)), CONFIG)


@pytest.mark.parametrize("codes", ["blink,turn_left,turn_right", "turn_right,blink,blink", "turn_left,turn_left,blink"])
def test_a_customer_who_follows_the_prompts_passes(codes: str) -> None:
    engine = engine_for(codes)
    updates = perform(engine, FaceStream(), until=16.0)
    verdict = engine.finish()
    assert verdict.passed, verdict.reasons
    assert [step.step.value for step in verdict.steps] == codes.split(",")
    assert any(update.prompt == "hold_still" for update in updates)


def test_the_prompt_waits_for_the_gap() -> None:
    engine = engine_for("blink", gaps=(1.4,))
    updates = perform(engine, FaceStream(), until=6.0)
    calibrated = engine.calibration
    assert calibrated is not None
    first_prompt = next(index for index, update in enumerate(updates) if update.prompt == "blink")
    assert first_prompt / 15.0 >= calibrated.completed_at + 1.4
    assert updates[first_prompt - 1].prompt == "hold_still"


def test_the_wrong_way_fails_with_wrong_action() -> None:
    engine = engine_for("turn_left,blink")
    perform(engine, FaceStream(), until=10.0, respond=FLIP.__getitem__)
    verdict = engine.finish()
    assert not verdict.passed
    assert verdict.reasons[0] is Reason.WRONG_ACTION


def test_a_turn_when_a_blink_is_asked_is_a_wrong_action() -> None:
    engine = engine_for("blink,turn_left")
    perform(engine, FaceStream(), until=10.0, respond=lambda step: "turn_right" if step == "blink" else step)
    assert engine.finish().reasons[0] is Reason.WRONG_ACTION


def test_a_natural_blink_during_a_turn_step_is_not_wrong() -> None:
    engine = engine_for("turn_left,blink", gaps=(0.5, 0.5))

    def natural_blink(t: float) -> str | None:
        return "blink" if abs(t - 2.6) < 1e-6 else None

    updates = perform(engine, FaceStream(), until=10.0, reaction=1.0, extra=natural_blink)
    first_turn_prompt = next(index for index, update in enumerate(updates) if update.prompt == "turn_left") / 15.0
    assert first_turn_prompt < 2.6 < first_turn_prompt + 2.0  # the blink fell inside the turn step
    verdict = engine.finish()
    assert verdict.passed, verdict.reasons


def test_a_turn_in_the_hold_still_gap_is_too_early() -> None:
    engine = engine_for("blink,turn_left", gaps=(1.5, 1.5))

    def turn_after_calibration(t: float) -> str | None:
        calibration = engine.calibration
        return "turn_left" if calibration is not None and abs(t - (calibration.completed_at + 0.2)) < 0.03 else None

    perform(engine, FaceStream(), until=8.0, extra=turn_after_calibration)
    assert engine.finish().reasons[0] is Reason.TOO_EARLY


def test_an_answer_faster_than_a_human_is_too_early() -> None:
    engine = engine_for("turn_right,blink")
    perform(engine, FaceStream(), until=8.0, reaction=0.0, ack_delay=None)
    assert engine.finish().reasons[0] is Reason.TOO_EARLY


def test_an_answer_begun_after_the_window_is_too_late() -> None:
    on_time = engine_for("turn_left,blink")
    perform(on_time, FaceStream(), until=14.0, reaction=CONFIG.reaction_max_seconds - 0.3, ack_delay=None)
    assert on_time.finish().passed
    late = engine_for("turn_left,blink")
    perform(late, FaceStream(), until=14.0, reaction=CONFIG.reaction_max_seconds + 0.3, ack_delay=None)
    assert late.finish().reasons[0] is Reason.TOO_LATE


def test_a_lazy_customer_times_out_within_the_reaction_window() -> None:
    engine = engine_for("blink,turn_left")
    updates = perform(engine, FaceStream(), until=12.0, respond=lambda step: None)
    verdict = engine.finish()
    assert verdict.reasons[:2] == (Reason.STEP_TIMEOUT, Reason.NO_BLINK)
    shown = verdict.steps[0].prompted_at
    assert verdict.decided_at == pytest.approx(shown + CONFIG.step_seconds(ChallengeStep.BLINK), abs=0.1)
    assert updates[-1].phase is Phase.FAILED


def test_the_page_acknowledgement_is_bounded_by_the_servers_send_time() -> None:
    """A page that says it showed the prompt 5 s late cannot move the window by more than the bound."""
    engine = engine_for("blink")
    perform(engine, FaceStream(), until=3.0, respond=lambda step: None, ack_delay=None)
    steps = engine.finish().steps  # not finished: still in the window
    issued = steps[0].prompted_at
    fresh = engine_for("blink")
    perform(fresh, FaceStream(), until=issued + 0.1, respond=lambda step: None, ack_delay=None)
    fresh.prompt_shown(0, issued + 5.0)
    assert fresh.finish().steps[0].prompted_at == pytest.approx(issued + CONFIG.prompt_ack_max_seconds)
    early = engine_for("blink")
    perform(early, FaceStream(), until=issued + 0.1, respond=lambda step: None, ack_delay=None)
    early.prompt_shown(0, issued - 2.0)  # nor claim it was shown before it was sent
    assert early.finish().steps[0].prompted_at == pytest.approx(issued)


def test_an_acknowledgement_for_another_step_is_ignored() -> None:
    engine = engine_for("blink,blink")
    perform(engine, FaceStream(), until=2.5, respond=lambda step: None, ack_delay=None)
    issued = engine.finish().steps[0].prompted_at
    fresh = engine_for("blink,blink")
    perform(fresh, FaceStream(), until=issued + 0.1, respond=lambda step: None, ack_delay=None)
    fresh.prompt_shown(1, issued + 0.3)
    assert fresh.finish().steps[0].prompted_at == pytest.approx(issued)


def test_gaps_are_drawn_in_the_configured_range() -> None:
    gaps = draw_gaps(random.Random(7), 200, CONFIG)
    assert min(gaps) >= CONFIG.gap_min_seconds
    assert max(gaps) <= CONFIG.gap_max_seconds
    assert max(gaps) - min(gaps) > 0.8


def test_step_limits_shrink_to_the_reaction_window() -> None:
    assert CONFIG.step_seconds(ChallengeStep.BLINK) == CONFIG.reaction_max_seconds + CONFIG.blink_max_seconds
    assert CONFIG.step_seconds(ChallengeStep.TURN_LEFT) == CONFIG.reaction_max_seconds + CONFIG.turn_max_seconds
    assert CONFIG.step_seconds(ChallengeStep.TURN_LEFT) < CONFIG.step_timeout_seconds


def test_the_trace_replays_gaps_and_acknowledgements_exactly() -> None:
    from liveness.trace import PromptShown, TraceFrame, trace_to_dict

    plan = ChallengePlan.parse("turn_left,blink").with_gaps((0.7, 1.3))
    engine = ChallengeEngine(plan, CONFIG)
    stream = FaceStream()
    frames: list[TraceFrame] = []
    prompts: list[PromptShown] = []
    original_process, original_shown = engine.process, engine.prompt_shown

    def recording_process(features, received_at):  # type: ignore[no-untyped-def]
        frames.append(TraceFrame(features, received_at))
        return original_process(features, received_at)

    def recording_shown(step_index: int, at: float) -> None:
        prompts.append(PromptShown(len(frames), step_index, at))
        original_shown(step_index, at)

    engine.process, engine.prompt_shown = recording_process, recording_shown  # type: ignore[method-assign]
    perform(engine, stream, until=10.0, ack_delay=0.3)
    live = engine.finish()
    assert live.passed, live.reasons
    trace = trace_to_dict(frames, plan, CONFIG, prompts)
    assert recompute_verdict(trace, ChallengePlan.parse("turn_left,blink"), CONFIG) == live
    without_acks = {**trace, "prompts": []}
    assert recompute_verdict(without_acks, ChallengePlan.parse("turn_left,blink"), CONFIG).steps != live.steps

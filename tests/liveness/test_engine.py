"""The challenge engine on synthetic frame features (no model, no pixels)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from liveness import (
    ChallengeEngine,
    ChallengePlan,
    ChallengeStep,
    EventType,
    LivenessConfig,
    LivenessUpdate,
    Phase,
    Quality,
    Reason,
)
from liveness.engine import HOLD_STILL

from .synthetic import FaceStream, blink_ear, feed, no_face, times, turn_yaw

# No hold-still gap: these tests script actions at fixed times just after calibration (the
# strict-step rules, gaps included, are tested in test_steps.py).
CONFIG = LivenessConfig(gap_min_seconds=0.0)
NO_BLINK_NEEDED = dataclasses.replace(CONFIG, require_blink=False)


def calibrated(engine: ChallengeEngine, stream: FaceStream, *, ear: float = 0.3, until: float = 1.0) -> float:
    """Feed a frontal, open-eyed face until calibration ends; return the prompt time."""
    updates = feed(engine, (stream.frame(t, ear=ear) for t in times(0.0, until)))
    assert updates[-1].phase is Phase.CHALLENGE
    assert engine.calibration is not None
    return engine.calibration.completed_at


def test_blink_step_passes_with_timing() -> None:
    engine, stream = ChallengeEngine(ChallengePlan.parse("blink"), CONFIG), FaceStream()
    prompted = calibrated(engine, stream)
    feed(engine, (stream.frame(t, ear=blink_ear(t, at=1.5)) for t in times(1.0, 2.2)))
    verdict = engine.finish()
    assert verdict.passed, verdict.reasons
    assert verdict.reasons == ()
    [step] = verdict.steps
    assert step.prompted_at == pytest.approx(prompted, abs=0.1)  # sent with the next frame
    assert step.completed_at is not None
    assert 1.6 < step.completed_at < 1.9
    assert [event.type for event in verdict.events] == [EventType.BLINK]


@pytest.mark.parametrize(("step", "yaw"), [("turn_left", -35.0), ("turn_right", 35.0)])
def test_turn_step_passes_in_the_persons_own_direction(step: str, yaw: float) -> None:
    """turn_left = the person's own left = negative yaw (nose toward the image's right)."""
    engine, stream = ChallengeEngine(ChallengePlan.parse(step), NO_BLINK_NEEDED), FaceStream()
    calibrated(engine, stream)
    feed(engine, (stream.frame(t, yaw=turn_yaw(t, at=1.2, peak=yaw)) for t in times(1.0, 2.6)))
    verdict = engine.finish()
    assert verdict.passed, verdict.reasons
    assert [event.type.value for event in verdict.events] == [step]


def test_turn_the_wrong_way_fails_the_attempt() -> None:
    engine, stream = ChallengeEngine(ChallengePlan.parse("turn_left"), NO_BLINK_NEEDED), FaceStream()
    calibrated(engine, stream)
    feed(engine, (stream.frame(t, yaw=turn_yaw(t, at=1.2, peak=35.0)) for t in times(1.0, 10.0)))
    verdict = engine.finish()
    assert not verdict.passed
    assert verdict.reasons == (Reason.WRONG_ACTION,)
    assert [event.type for event in verdict.events] == [EventType.TURN_RIGHT]


def test_turn_below_threshold_is_no_turn() -> None:
    engine, stream = ChallengeEngine(ChallengePlan.parse("turn_right"), NO_BLINK_NEEDED), FaceStream()
    calibrated(engine, stream)
    feed(engine, (stream.frame(t, yaw=turn_yaw(t, at=1.2, peak=20.0)) for t in times(1.0, 3.0)))
    assert engine.events == ()


@pytest.mark.parametrize(
    ("step", "peak", "reason"),
    [
        ("turn_right", 20.0, Reason.TURN_TOO_SMALL),  # the right way, short of turn_yaw_degrees
        ("turn_left", -20.0, Reason.TURN_TOO_SMALL),
        ("turn_right", 6.0, Reason.NO_TURN),  # inside the frontal band: no turn begun
        ("turn_left", 20.0, Reason.NO_TURN),  # the other way, short: no turn (and not a wrong one)
    ],
)
def test_a_turn_short_of_the_threshold_fails_as_too_small(step: str, peak: float, reason: Reason) -> None:
    engine, stream = ChallengeEngine(ChallengePlan.parse(step), NO_BLINK_NEEDED), FaceStream()
    calibrated(engine, stream)
    feed(engine, (stream.frame(t, yaw=turn_yaw(t, at=1.4, peak=peak)) for t in times(1.0, 8.0)))
    verdict = engine.finish()
    assert verdict.reasons == (Reason.STEP_TIMEOUT, reason)
    assert engine.events == ()


def test_a_turn_still_under_way_when_the_time_ends_is_measured_too() -> None:
    """The head went 18 degrees the asked way and stayed there: it turned, not far enough."""
    engine, stream = ChallengeEngine(ChallengePlan.parse("turn_left"), NO_BLINK_NEEDED), FaceStream()
    calibrated(engine, stream)
    feed(engine, (stream.frame(t, yaw=-min(18.0, max(0.0, t - 1.4) * 40)) for t in times(1.0, 8.0)))
    assert engine.finish().reasons == (Reason.STEP_TIMEOUT, Reason.TURN_TOO_SMALL)


def _held(t: float, peak: float, back_to: float) -> float:
    """Out to `peak` from 1.4 s in 0.5 s, held there for 1 s, then eased to `back_to` (never frontal)."""
    if t < 1.4:
        return 0.0
    if t < 1.9:
        return peak * (t - 1.4) / 0.5
    return peak if t < 2.9 else back_to


@pytest.mark.parametrize(
    ("step", "peak", "back_to", "reason"),
    [
        ("turn_right", 35.0, 35.0, Reason.TURN_NOT_BACK),  # far enough the right way, stayed there
        ("turn_left", -35.0, -35.0, Reason.TURN_NOT_BACK),
        ("turn_left", -35.0, -15.0, Reason.TURN_NOT_BACK),  # on its way back, still outside the band
        ("turn_left", 35.0, 35.0, Reason.NO_TURN),  # far the other way, never back: no turn seen
    ],
)
def test_a_turn_far_enough_that_did_not_come_back_in_time_says_so(
    step: str, peak: float, back_to: float, reason: Reason
) -> None:
    """Not `no_turn`: the turn was seen going far enough, only the return to the screen was missing."""
    engine, stream = ChallengeEngine(ChallengePlan.parse(step), NO_BLINK_NEEDED), FaceStream()
    calibrated(engine, stream)
    feed(engine, (stream.frame(t, yaw=_held(t, peak, back_to)) for t in times(1.0, 8.0)))
    verdict = engine.finish()
    assert not verdict.passed
    assert verdict.reasons == (Reason.STEP_TIMEOUT, reason)
    assert engine.events == ()


def test_a_shallow_turn_before_the_prompt_does_not_count_as_a_try() -> None:
    """Measured from the prompt on: a small movement in the hold-still gap is not a turn attempt."""
    config = dataclasses.replace(NO_BLINK_NEEDED, gap_min_seconds=1.5, gap_max_seconds=1.5)
    engine, stream = ChallengeEngine(ChallengePlan.parse("turn_right"), config), FaceStream()
    calibrated(engine, stream)
    feed(engine, (stream.frame(t, yaw=turn_yaw(t, at=1.1, peak=15.0, duration=0.8)) for t in times(1.0, 10.0)))
    assert engine.finish().reasons == (Reason.STEP_TIMEOUT, Reason.NO_TURN)


def test_during_a_turn_prompt_the_update_says_how_far_the_head_is_turned() -> None:
    """The page's gauge: the share of turn_yaw_degrees reached the way asked, never past 1."""
    engine, stream = ChallengeEngine(ChallengePlan.parse("turn_left"), NO_BLINK_NEEDED), FaceStream()
    calibrated(engine, stream)
    yaws = [0.0, -5.0, -12.5, -25.0, -40.0, 10.0]
    updates = feed(engine, (stream.frame(1.0 + index / 15, yaw=yaw) for index, yaw in enumerate(yaws)))
    assert [update.prompt for update in updates] == ["turn_left"] * len(yaws)
    assert [round(update.turn, 2) for update in updates] == [0.0, 0.2, 0.5, 1.0, 1.0, 0.0]
    blink = ChallengeEngine(ChallengePlan.parse("blink"), NO_BLINK_NEEDED)
    calibrated(blink, stream)
    assert feed(blink, [stream.frame(1.0, yaw=-20.0)])[-1].turn == 0.0


def test_turn_must_come_back_to_frontal() -> None:
    engine, stream = ChallengeEngine(ChallengePlan.parse("turn_right"), NO_BLINK_NEEDED), FaceStream()
    calibrated(engine, stream)
    feed(engine, (stream.frame(t, yaw=min(40.0, (t - 1.0) * 80)) for t in times(1.0, 3.0)))
    assert engine.verdict is None
    assert engine.events == ()


def test_a_single_frame_pose_glitch_is_not_a_turn() -> None:
    """A solver flip (one frame at a wild yaw, then back) must not count as a turn."""
    engine, stream = ChallengeEngine(ChallengePlan.parse("turn_right"), NO_BLINK_NEEDED), FaceStream()
    calibrated(engine, stream)
    yaws = {1.4: 60.0, 2.0: 175.0}
    feed(engine, (stream.frame(t, yaw=yaws.get(round(t, 1), 0.0)) for t in times(1.0, 3.0)))
    assert engine.events == ()


def test_events_before_the_prompt_do_not_count() -> None:
    engine, stream = ChallengeEngine(ChallengePlan.parse("blink"), CONFIG), FaceStream()
    # A blink during calibration (at 0.5 s) is seen but answers no prompt.
    feed(engine, (stream.frame(t, ear=blink_ear(t, at=0.5)) for t in times(0.0, 10.5)))
    verdict = engine.finish()
    assert not verdict.passed
    assert Reason.STEP_TIMEOUT in verdict.reasons
    assert [event.type for event in verdict.events] == [EventType.BLINK]
    assert verdict.events[0].t_start < verdict.steps[0].prompted_at


def test_second_step_needs_its_own_blink() -> None:
    """One blink cannot answer two prompts."""
    engine, stream = ChallengeEngine(ChallengePlan.parse("blink,blink"), CONFIG), FaceStream()
    calibrated(engine, stream)
    feed(engine, (stream.frame(t, ear=blink_ear(t, at=1.5)) for t in times(1.0, 12.0)))
    verdict = engine.finish()
    assert not verdict.passed
    assert [step.passed for step in verdict.steps] == [True, False]


def test_step_timeout_fails_with_no_blink_at_the_steps_limit() -> None:
    engine, stream = ChallengeEngine(ChallengePlan.parse("blink,turn_left"), CONFIG), FaceStream()
    prompted = calibrated(engine, stream)
    limit = CONFIG.step_seconds(ChallengeStep.BLINK)
    updates = feed(engine, (stream.frame(t) for t in times(1.0, prompted + limit + 0.5)))
    assert updates[-1].phase is Phase.FAILED
    verdict = engine.finish()
    assert verdict.reasons[:2] == (Reason.STEP_TIMEOUT, Reason.NO_BLINK)
    assert verdict.decided_at is not None
    assert verdict.decided_at == pytest.approx(prompted + limit, abs=0.15)


def test_countdown_counts_down_the_time_to_begin_the_action() -> None:
    engine, stream = ChallengeEngine(ChallengePlan.parse("blink"), CONFIG), FaceStream()
    prompted = calibrated(engine, stream)
    # Frames keep coming (the face never leaves) up to 2 s after calibration; the prompt went out one frame later.
    update = feed(engine, (stream.frame(t) for t in times(1.0, prompted + 2.0 + 1 / 15)))[-1]
    assert update.prompt == "blink"
    assert update.seconds_remaining == pytest.approx(CONFIG.reaction_max_seconds - 2.0 + 1 / 15, abs=0.01)


def test_session_timeout() -> None:
    config = dataclasses.replace(CONFIG, session_timeout_seconds=5.0, step_timeout_seconds=4.0)
    engine, stream = ChallengeEngine(ChallengePlan.parse("blink,blink,blink"), config), FaceStream()
    calibrated(engine, stream)
    # A blink every 3 s keeps every step inside its timeout, but not the session.
    frames = (stream.frame(t, ear=min(blink_ear(t, at=a) for a in (3.0, 6.0))) for t in times(1.0, 7.0))
    feed(engine, frames)
    verdict = engine.finish()
    assert not verdict.passed
    assert verdict.reasons[0] is Reason.SESSION_TIMEOUT


def test_hysteresis_eye_ratio_hovering_at_the_threshold_is_not_a_blink() -> None:
    """A ratio wobbling around the closing level (a print at an angle) never reopens."""
    engine, stream = ChallengeEngine(ChallengePlan.parse("blink"), CONFIG), FaceStream()
    calibrated(engine, stream)
    close = CONFIG.blink_close_ratio * 0.3
    wobble = [close * (0.97 if index % 2 else 1.05) for index in range(60)]
    feed(engine, (stream.frame(t, ear=ear) for t, ear in zip(times(1.0, 5.0), wobble, strict=False)))
    assert engine.events == ()


def test_a_long_eye_closure_is_not_a_blink() -> None:
    engine, stream = ChallengeEngine(ChallengePlan.parse("blink"), CONFIG), FaceStream()
    calibrated(engine, stream)
    feed(engine, (stream.frame(t, ear=blink_ear(t, at=1.5, duration=1.5)) for t in times(1.0, 4.0)))
    assert engine.events == ()


def test_calibration_learns_narrow_eyes_and_ignores_a_blink_during_it() -> None:
    """Open eyes at 0.17 (below a naive fixed 0.21); a blink during calibration."""
    engine, stream = ChallengeEngine(ChallengePlan.parse("blink"), CONFIG), FaceStream()
    frames = [stream.frame(t, ear=blink_ear(t, at=0.4, base=0.17, duration=0.15)) for t in times(0.0, 1.0)]
    feed(engine, frames)
    assert engine.calibration is not None
    assert engine.calibration.ear_left == pytest.approx(0.17, abs=0.005)
    feed(engine, (stream.frame(t, ear=blink_ear(t, at=1.6, base=0.17, depth=0.35)) for t in times(1.0, 2.4)))
    assert engine.finish().passed


def test_one_eyed_closure_counts_as_a_blink() -> None:
    engine, stream = ChallengeEngine(ChallengePlan.parse("blink"), CONFIG), FaceStream()
    calibrated(engine, stream)
    feed(engine, (stream.frame(t, ear_left=blink_ear(t, at=1.5, depth=0.5), ear_right=0.3) for t in times(1.0, 2.2)))
    assert engine.finish().passed


def test_calibration_waits_for_a_good_frontal_face() -> None:
    engine, stream = ChallengeEngine(ChallengePlan.parse("blink"), CONFIG), FaceStream()
    updates = feed(engine, (stream.frame(t, quality=Quality.TOO_SMALL) for t in times(0.0, 2.0)))
    assert updates[-1].phase is Phase.CALIBRATING
    assert updates[-1].quality_hint == "move_closer"
    updates = feed(engine, (stream.frame(t, yaw=35.0) for t in times(2.0, 3.0)))
    assert updates[-1].phase is Phase.CALIBRATING
    assert updates[-1].quality_hint == "look_at_camera"
    updates = feed(engine, (stream.frame(t, quality=Quality.TOO_DARK) for t in times(3.0, 9.0)))
    assert updates[-1].phase is Phase.FAILED
    assert engine.finish().reasons[0] is Reason.CALIBRATION_FAILED


def test_multiple_faces_hint_and_no_events() -> None:
    engine, stream = ChallengeEngine(ChallengePlan.parse("blink"), CONFIG), FaceStream()
    calibrated(engine, stream)
    frames = (
        stream.frame(t, ear=blink_ear(t, at=1.5), quality=Quality.MULTIPLE_FACES, n_faces=2) for t in times(1.0, 2.2)
    )
    updates = feed(engine, frames)
    assert updates[-1].quality_hint == "one_person_only"
    assert engine.events == ()


BEFORE_ANY_PROMPT = 3.0
"""A hold-still gap long enough to lose or change the face after calibration, before the first prompt."""


def waiting_plan(codes: str = "blink") -> ChallengePlan:
    """A plan whose first prompt waits `BEFORE_ANY_PROMPT` after calibration."""
    plan = ChallengePlan.parse(codes)
    return plan.with_gaps((BEFORE_ANY_PROMPT,) + (0.0,) * (len(plan.steps) - 1))


def prompted(updates: list[LivenessUpdate]) -> list[str]:
    """The step prompts the page was given, in order, once each time one appeared."""
    shown = [u.prompt for u in updates if u.phase is Phase.CHALLENGE and u.prompt != HOLD_STILL]
    return [prompt for n, prompt in enumerate(shown) if n == 0 or shown[n - 1] != prompt]


def test_face_jump_before_the_first_prompt_restarts_the_challenge() -> None:
    engine, stream = ChallengeEngine(waiting_plan(), CONFIG), FaceStream()
    calibrated(engine, stream)
    [update] = feed(engine, [stream.frame(1.0, shift=(250.0, 0.0))])
    assert update.restarted
    assert update.phase is Phase.CALIBRATING
    # The new face completes the whole challenge: calibration, the gap, then its own blink.
    updates = feed(engine, (stream.frame(t, shift=(250.0, 0.0)) for t in times(1.07, 5.2)))
    assert prompted(updates) == ["blink"]
    feed(engine, (stream.frame(t, ear=blink_ear(t, at=5.4), shift=(250.0, 0.0)) for t in times(5.2, 6.2)))
    verdict = engine.finish()
    assert verdict.passed, verdict.reasons
    assert verdict.restarts == 1


def test_face_away_for_over_a_second_before_the_first_prompt_restarts() -> None:
    """Someone else could step in where the customer was: whoever comes back calibrates again."""
    engine, stream = ChallengeEngine(waiting_plan(), CONFIG), FaceStream()
    calibrated(engine, stream)
    feed(engine, (no_face(t) for t in times(1.0, 2.2)))
    [update] = feed(engine, [stream.frame(2.27)])
    assert update.restarted
    assert update.phase is Phase.CALIBRATING
    feed(engine, (stream.frame(t) for t in times(2.34, 6.4)))
    feed(engine, (stream.frame(t, ear=blink_ear(t, at=6.6)) for t in times(6.4, 7.4)))
    verdict = engine.finish()
    assert verdict.passed, verdict.reasons
    assert verdict.restarts == 1


def test_face_away_for_over_a_second_after_a_prompt_fails_the_attempt() -> None:
    """Calibrating again would run the same plan: its prompted step would be known in advance."""
    engine, stream = ChallengeEngine(ChallengePlan.parse("blink,turn_left"), CONFIG), FaceStream()
    updates = feed(engine, (stream.frame(t) for t in times(0.0, 1.2)))
    assert prompted(updates) == ["blink"]
    feed(engine, (no_face(t) for t in times(1.2, 2.4)))
    updates = feed(engine, (stream.frame(t) for t in times(2.47, 6.0)))
    assert updates[0].phase is Phase.FAILED
    assert not any(update.restarted for update in updates)
    assert prompted(updates) == []
    verdict = engine.finish()
    assert verdict.reasons == (Reason.FACE_LOST, Reason.NO_BLINK)
    assert [(step.step, step.passed) for step in verdict.steps] == [(ChallengeStep.BLINK, False)]
    assert verdict.restarts == 0


def test_face_jump_after_a_prompt_fails_the_attempt() -> None:
    engine, stream = ChallengeEngine(ChallengePlan.parse("turn_right,blink"), CONFIG), FaceStream()
    calibrated(engine, stream)
    feed(engine, (stream.frame(t, ear=blink_ear(t, at=1.1)) for t in times(1.0, 1.6)))  # the blink the plan needs
    [update] = feed(engine, [stream.frame(1.6, shift=(250.0, 0.0))])
    assert update.phase is Phase.FAILED
    assert not update.restarted
    verdict = engine.finish()
    assert verdict.reasons == (Reason.IDENTITY_JUMP,)
    assert verdict.restarts == 0


def test_face_lost_briefly_or_before_calibration_does_not_restart() -> None:
    """A fast turn or a blur loses the face for a few frames; before calibration there is no one to lose."""
    engine, stream = ChallengeEngine(ChallengePlan.parse("blink"), CONFIG), FaceStream()
    feed(engine, (no_face(t) for t in times(0.0, 1.5)))
    updates = feed(engine, (stream.frame(t) for t in times(1.5, 2.5)))
    assert not any(update.restarted for update in updates)
    feed(engine, (no_face(t) for t in times(2.5, 3.2)))
    updates = feed(engine, (stream.frame(t, ear=blink_ear(t, at=3.6)) for t in times(3.2, 4.2)))
    assert not any(update.restarted for update in updates)
    verdict = engine.finish()
    assert verdict.passed, verdict.reasons
    assert verdict.restarts == 0


def test_identity_change_restarts_and_too_many_restarts_fail() -> None:
    engine, stream = ChallengeEngine(waiting_plan(), CONFIG), FaceStream()
    calibrated(engine, stream)
    other = tuple(value * 1.3 for value in (0.3, 0.3, 0.43, 0.46, 0.39, 1.47, 0.44))
    updates = feed(engine, (stream.frame(t, signature=other) for t in times(1.0, 1.3)))
    assert any(update.restarted for update in updates)
    for jump in range(CONFIG.max_restarts):
        start = 1.5 + jump * 0.2
        feed(
            engine,
            [stream.frame(start, signature=other), stream.frame(start + 0.07, signature=other, shift=(250.0, 0.0))],
        )
    verdict = engine.finish()
    assert not verdict.passed
    assert Reason.IDENTITY_JUMP in verdict.reasons


def test_repeated_frames_are_suspected_injection() -> None:
    engine, stream = ChallengeEngine(ChallengePlan.parse("blink"), CONFIG), FaceStream()
    calibrated(engine, stream)
    feed(engine, (stream.frame(t, digest="same-pixels") for t in times(1.0, 3.0)))
    verdict = engine.finish()
    assert not verdict.passed
    assert verdict.reasons[:2] == (Reason.SUSPECTED_INJECTION, Reason.REPEATED_FRAMES)


def test_a_few_duplicated_frames_are_tolerated() -> None:
    engine, stream = ChallengeEngine(ChallengePlan.parse("blink"), CONFIG), FaceStream()
    calibrated(engine, stream)
    feed(engine, (stream.frame(t, digest="dup" if i < 3 else None) for i, t in enumerate(times(1.0, 1.5))))
    assert engine.verdict is None


def test_timestamps_going_backwards_are_suspected_injection() -> None:
    engine, stream = ChallengeEngine(ChallengePlan.parse("blink"), CONFIG), FaceStream()
    calibrated(engine, stream)
    engine.process(stream.frame(0.5), 1.2)
    verdict = engine.finish()
    assert verdict.reasons[:2] == (Reason.SUSPECTED_INJECTION, Reason.IMPOSSIBLE_TIMESTAMPS)


def test_media_time_running_ahead_of_the_clock_is_suspected_injection() -> None:
    engine, stream = ChallengeEngine(ChallengePlan.parse("blink"), CONFIG), FaceStream()
    for t in times(0.0, 3.0):
        engine.process(stream.frame(t), t / 4.0)  # 3 s of "camera" delivered in 0.75 s
    verdict = engine.finish()
    assert Reason.IMPOSSIBLE_TIMESTAMPS in verdict.reasons


EARLY_FIRST_STAMP = 4.07
"""Seconds: the longest encoder's hole measured in Chromium's H.264 (docs/light-step.md, "The early
first frame"): the first frame reaches the server with the second, stamped that far behind it."""


def early_first_frame(engine: ChallengeEngine, stream: FaceStream) -> Callable[[float], float]:
    """Feed a first frame stamped EARLY_FIRST_STAMP before the stream that follows it (which
    starts 70 ms later on the clock); return the clock of the frames that follow by media time."""
    engine.process(stream.frame(0.0), 0.0)
    return lambda t: t - EARLY_FIRST_STAMP + 0.07


def test_an_honest_stream_whose_first_frame_is_stamped_early_passes() -> None:
    engine, stream = ChallengeEngine(ChallengePlan.parse("blink"), CONFIG), FaceStream()
    clock = early_first_frame(engine, stream)
    start = EARLY_FIRST_STAMP
    for t in times(start, start + 2.2):
        engine.process(stream.frame(t, ear=blink_ear(t, at=start + 1.5)), clock(t))
    verdict = engine.finish()
    assert verdict.passed, verdict.reasons
    assert engine.calibration is not None
    assert engine.calibration.completed_at >= start + CONFIG.calibration_seconds  # timed from the second frame


def test_after_an_early_first_frame_a_stream_that_runs_fast_is_still_caught() -> None:
    engine, stream = ChallengeEngine(ChallengePlan.parse("blink"), CONFIG), FaceStream()
    clock = early_first_frame(engine, stream)
    start = EARLY_FIRST_STAMP
    for t in times(start, start + 3.0):
        engine.process(stream.frame(t), clock(start + (t - start) / 4.0))  # 3 s delivered in 0.75 s
    assert Reason.IMPOSSIBLE_TIMESTAMPS in engine.finish().reasons


def test_a_first_frame_further_behind_than_an_encoder_hole_is_caught() -> None:
    """The re-anchoring covers what an encoder skips after its first key frame, no more: a first
    frame 6 s behind the second (past the measured 4.07 s and the 5 s bound) is frames from the
    future, however honest the stream after it."""
    engine, stream = ChallengeEngine(ChallengePlan.parse("blink"), CONFIG), FaceStream()
    engine.process(stream.frame(0.0), 0.0)
    start = 6.0
    for t in times(start, start + 2.2):
        engine.process(stream.frame(t, ear=blink_ear(t, at=start + 1.5)), t - start + 0.07)
    verdict = engine.finish()
    assert not verdict.passed
    assert verdict.reasons[:2] == (Reason.SUSPECTED_INJECTION, Reason.IMPOSSIBLE_TIMESTAMPS)


def test_only_the_first_frame_may_be_stamped_early() -> None:
    """A jump ahead between the second and third frames (a replay spliced in) is caught."""
    engine, stream = ChallengeEngine(ChallengePlan.parse("blink"), CONFIG), FaceStream()
    engine.process(stream.frame(0.0), 0.0)
    engine.process(stream.frame(1 / 15), 1 / 15)
    engine.process(stream.frame(EARLY_FIRST_STAMP), 2 / 15)
    assert engine.finish().reasons[:2] == (Reason.SUSPECTED_INJECTION, Reason.IMPOSSIBLE_TIMESTAMPS)


def test_a_flat_photo_swung_to_fake_a_turn_fails_planar_motion() -> None:
    engine, stream = ChallengeEngine(ChallengePlan.parse("turn_right,blink"), CONFIG), FaceStream()
    calibrated(engine, stream)
    feed(engine, (stream.frame(t, yaw=turn_yaw(t, at=1.1, peak=40.0), flat=True) for t in times(1.0, 2.5)))
    verdict = engine.finish()
    assert not verdict.passed
    assert Reason.PLANAR_MOTION in verdict.reasons
    assert [event for event in verdict.events if event.type is not EventType.BLINK] == []


def test_a_real_head_turn_shows_parallax() -> None:
    engine, stream = ChallengeEngine(ChallengePlan.parse("turn_right"), NO_BLINK_NEEDED), FaceStream()
    calibrated(engine, stream)
    feed(engine, (stream.frame(t, yaw=turn_yaw(t, at=1.1, peak=40.0)) for t in times(1.0, 2.5)))
    assert engine.finish().passed


def test_no_blink_anywhere_fails_even_when_the_turns_pass() -> None:
    engine, stream = ChallengeEngine(ChallengePlan.parse("turn_right"), CONFIG), FaceStream()
    calibrated(engine, stream)
    feed(engine, (stream.frame(t, yaw=turn_yaw(t, at=1.1, peak=40.0)) for t in times(1.0, 2.5)))
    verdict = engine.finish()
    assert not verdict.passed
    assert verdict.reasons == (Reason.NO_BLINK,)


def test_full_plan_passes_and_the_verdict_is_frozen() -> None:
    plan = ChallengePlan.parse("turn_left,blink,turn_right")
    engine, stream = ChallengeEngine(plan, CONFIG), FaceStream()
    calibrated(engine, stream)

    def yaw(t: float) -> float:
        return turn_yaw(t, at=1.2, peak=-35.0) + turn_yaw(t, at=3.5, peak=35.0)

    updates = feed(engine, (stream.frame(t, ear=blink_ear(t, at=2.6), yaw=yaw(t)) for t in times(1.0, 5.0)))
    assert next(u.prompt for u in updates if u.phase is Phase.CHALLENGE) == "turn_left"
    assert updates[-1].phase is Phase.PASSED
    assert updates[-1].progress == 1.0
    feed(engine, (stream.frame(t, digest="late") for t in times(5.0, 7.0)))
    verdict = engine.finish()
    assert verdict.passed
    assert [step.step.value for step in verdict.steps] == plan.codes()
    assert all(step.duration is not None and step.duration > 0 for step in verdict.steps)

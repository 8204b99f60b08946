"""The engine's outcome as it is stored and shown: a verdict's JSON form keeps the stable keys
(`verdict`, `reasons`, `events`, `steps`) with times rounded to the millisecond; a step passed once
its action was seen, with its duration from the prompt; the page's progress is the share of steps
done; every reason code has a line for developers' tools."""

from __future__ import annotations

import json

from liveness.events import EventType, LivenessEvent
from liveness.plan import ChallengeStep
from liveness.results import REASON_DESCRIPTIONS, LivenessUpdate, LivenessVerdict, Phase, Reason, StepResult

BLINK = LivenessEvent(EventType.BLINK, t_start=2.00049, t_end=2.2, peak=0.41234)


def test_a_step_passed_once_its_action_was_seen() -> None:
    done = StepResult(ChallengeStep.BLINK, prompted_at=1.5, completed_at=2.25)
    missed = StepResult(ChallengeStep.TURN_LEFT, prompted_at=3.0, completed_at=None)

    assert (done.passed, done.duration) == (True, 0.75)
    assert (missed.passed, missed.duration) == (False, None)
    assert missed.to_dict() == {
        "step": "turn_left",
        "prompted_at": 3.0,
        "completed_at": None,
        "duration": None,
        "passed": False,
    }


def test_a_verdicts_stored_form_keeps_its_stable_keys_and_rounds_times() -> None:
    verdict = LivenessVerdict(
        passed=False,
        reasons=(Reason.NO_TURN, Reason.STEP_TIMEOUT),
        steps=(StepResult(ChallengeStep.BLINK, 1.0, 2.0004),),
        events=(BLINK,),
        restarts=1,
        decided_at=9.87654,
    )

    stored = json.loads(json.dumps(verdict.to_dict()))

    assert stored["verdict"] == "failed"
    assert stored["reasons"] == ["no_turn", "step_timeout"]
    assert stored["events"] == [{"type": "blink", "t_start": 2.0, "t_end": 2.2, "peak": 0.412}]
    assert stored["steps"][0]["completed_at"] == 2.0
    assert (stored["restarts"], stored["decided_at"]) == (1, 9.877)


def test_the_pages_progress_is_the_share_of_steps_done() -> None:
    update = LivenessUpdate(
        phase=Phase.CHALLENGE,
        prompt="blink",
        step_index=1,
        step_count=4,
        steps_completed=1,
        quality_hint=None,
        seconds_remaining=3.0,
    )

    assert update.progress == 0.25
    assert LivenessUpdate(Phase.CALIBRATING, "look_at_camera", 0, 0, 0, None, 5.0).progress == 0.0


def test_every_reason_has_a_description() -> None:
    assert set(REASON_DESCRIPTIONS) == set(Reason)

"""The turn gauge on the capture socket: during a turn prompt each status says how far the head is
turned the way asked (0 to 1), and no other status carries it."""

from __future__ import annotations

from capture.webrtc.analysis import status_from_update
from liveness import LivenessUpdate, Phase
from liveness.engine import HOLD_STILL


def update(prompt: str, turn: float = 0.0) -> LivenessUpdate:
    return LivenessUpdate(Phase.CHALLENGE, prompt, 1, 3, 1, None, 2.0, turn=turn)


def test_only_a_turn_prompts_status_says_how_far_the_head_is_turned() -> None:
    assert status_from_update(update("turn_left", 0.4567)).to_message()["turn"] == 0.46
    assert status_from_update(update("turn_right", 1.0)).to_message()["turn"] == 1.0
    for prompt in (HOLD_STILL, "blink", "light"):
        assert "turn" not in status_from_update(update(prompt)).to_message(), prompt
    finished = LivenessUpdate(Phase.FAILED, "failed", 1, 3, 1, None, 0.0)
    assert "turn" not in status_from_update(finished).to_message()

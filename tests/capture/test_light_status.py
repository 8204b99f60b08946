"""The screen-light step on the capture socket: the colours go to the page only with the light
prompt, and the page's no-lights choice is read from the socket's URL."""

from __future__ import annotations

from capture.consumers import _asks_no_lights
from capture.webrtc.analysis import status_from_update
from liveness import LivenessUpdate, Phase
from liveness.engine import HOLD_STILL


def test_the_colours_travel_only_with_the_light_prompt() -> None:
    colours = ("#80d680", "#ecb860")
    lit = status_from_update(LivenessUpdate(Phase.CHALLENGE, "light", 1, 4, 1, None, 2.0, False, colours, 0.35))
    assert lit.to_message()["light"] == list(colours)
    assert lit.to_message()["light_seconds"] == 0.35
    holding = status_from_update(LivenessUpdate(Phase.CHALLENGE, HOLD_STILL, 1, 4, 1, None, 0.4))
    assert "light" not in holding.to_message()
    blink = status_from_update(LivenessUpdate(Phase.CHALLENGE, "blink", 2, 4, 2, None, 2.5))
    assert "light" not in blink.to_message()


def test_the_no_lights_choice_comes_from_the_socket_url() -> None:
    assert _asks_no_lights({"query_string": b"no_lights=1"}) is True
    assert _asks_no_lights({"query_string": b"no_lights=0"}) is False
    assert _asks_no_lights({"query_string": b""}) is False
    assert _asks_no_lights({}) is False

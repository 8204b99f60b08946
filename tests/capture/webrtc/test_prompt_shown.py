"""The page's "prompt displayed" word travels consumer -> peer -> analysis; bad ones are refused."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from asgiref.sync import async_to_sync
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from capture.routing import websocket_urlpatterns
from registration.models import VerificationSession
from registration.state_machine import SessionState
from tests.capture.fakes import FakeAnalysis, receive, receive_until, start_video

application = URLRouter(websocket_urlpatterns)


def test_prompt_shown_reaches_the_analysis_and_bad_ones_are_refused(
    make_session: Callable[..., VerificationSession],
    clerk: Any,
    fake_engine: list[FakeAnalysis],
    judgements: list[str],
) -> None:
    session = make_session(SessionState.CONSENTED)

    async def scenario() -> list[str]:
        communicator = WebsocketCommunicator(application, f"/ws/capture/{session.pk}/")
        communicator.scope["user"] = clerk
        connected, _ = await communicator.connect()
        assert connected
        assert (await receive(communicator))["type"] == "ready"
        codes = []
        for bad in ["1", None, -1, True, 1.5]:
            await communicator.send_to(text_data=json.dumps({"type": "prompt_shown", "step_index": bad}))
            codes.append((await receive(communicator))["code"])
        browser = await start_video(communicator)
        first = await receive_until(communicator, "status")
        await communicator.send_json_to({"type": "prompt_shown", "step_index": first[-1]["step_index"]})
        await receive_until(communicator, "captured")
        await browser.close()
        await communicator.disconnect()
        return codes

    codes = async_to_sync(scenario)()

    assert codes == ["invalid_message"] * 5
    assert fake_engine[0].prompts_shown == [0]


def test_a_hold_still_gap_shows_no_step_and_asks_to_wait() -> None:
    """No step during the gap, so the page has nothing to acknowledge and nothing to act on yet."""
    from capture.webrtc.analysis import WAIT_FOR_PROMPT, status_from_update
    from liveness import LivenessUpdate, Phase
    from liveness.engine import HOLD_STILL

    holding = status_from_update(LivenessUpdate(Phase.CHALLENGE, HOLD_STILL, 1, 3, 1, None, 0.4))
    assert (holding.step, holding.hint, holding.step_seconds_left) == (None, WAIT_FOR_PROMPT, None)
    prompted = status_from_update(LivenessUpdate(Phase.CHALLENGE, "turn_left", 1, 3, 1, None, 2.5))
    assert (prompted.step, prompted.hint, prompted.step_seconds_left) == ("turn_left", None, 2.5)

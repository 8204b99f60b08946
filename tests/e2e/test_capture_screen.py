"""The live-check screen before and between the steps, in Chromium: the customer sees the camera
and starts the check when ready (no attempt counts before "Start"), and only one instruction is on
screen at a time (when a step's prompt appears, the hold-still hint of the gap before it, "wait for
the next instruction", is already gone).

For the instructions the page's capture WebSocket is answered by the test (Playwright's
`route_web_socket`) with the messages the capture consumer sends, so each hold-still gap lasts long
enough for its hint to settle on screen (the server's own gaps are drawn at random between 0.5 and
1.5 s, and a loaded machine shortens them on the page)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from registration.state_machine import SessionState
from tests.e2e.conftest import BrowserFactory, Screens, Server
from tests.e2e.test_capture_flow import prepared_session, sign_in, start_check, state_of, wait_phase

pytestmark = [pytest.mark.e2e]

TABLET = {"width": 1024, "height": 768}
GAP_MS = 1500  # longer than the hint's settling time (feedback.js HINT_SETTLE_MS)

# What the screen says after every change of the prompt or the hint line, before the page's script runs.
RECORDER = """
window.__screen = [];
document.addEventListener("DOMContentLoaded", () => {
  const prompt = document.getElementById("prompt-text");
  const hint = document.getElementById("hint");
  if (!hint) return;
  const record = () => window.__screen.push({prompt: prompt.textContent, hint: hint.hidden ? null : hint.dataset.code});
  const observer = new MutationObserver(record);
  observer.observe(prompt, {childList: true, characterData: true, subtree: true});
  observer.observe(hint, {attributes: true, childList: true, characterData: true, subtree: true});
});
"""


@pytest.fixture
def clerk(reseed_after_flush: None, transactional_db: None, live_server_process: Server) -> tuple[Any, str]:
    from registration.roles import CLERK
    from tests.capture.dbseed import seed_reference_rows
    from tests.factories import OutletFactory, UserFactory

    seed_reference_rows()
    return UserFactory(role=CLERK, outlet=OutletFactory(name="E2E outlet")), "correct horse battery"


def status(step_index: int, step: str | None, steps_done: int) -> str:
    """A "status" as capture/webrtc/analysis.py:ChallengeStatus.to_message sends it."""
    return json.dumps(
        {
            "type": "status",
            "step_index": step_index,
            "step": step,
            "steps_done": steps_done,
            "seconds_left": 8.0 if step else None,
            "hint": None if step else "wait_for_prompt",
            "finished": False,
            "passed": None,
            "reason": None,
        }
    )


def ready(steps: int = 3) -> str:
    """The capture socket's "ready" for a first attempt of `steps` steps, as the server sends it."""
    return json.dumps({"type": "ready", "steps": steps, "attempt": 1, "max_attempts": 3})


def routed(page: Any, path: str) -> list[Any]:
    """The page's WebSockets to /ws/<path>/, answered by the test: each one opened is appended."""
    sockets: list[Any] = []
    page.route_web_socket(re.compile(rf".*/ws/{path}/.*"), lambda socket: sockets.append(socket))
    return sockets


def opened(page: Any, sockets: list[Any], count: int = 1) -> Any:
    """The `count`-th socket of `routed`, once the page has opened it (10 s at most)."""
    for _wait in range(100):
        if len(sockets) >= count:
            return sockets[count - 1]
        page.wait_for_timeout(100)
    raise AssertionError(f"{count} socket(s) expected, {len(sockets)} opened")


def scripted_capture(page: Any, captures: list[Any]) -> Any:
    """The customer taps "Start" and the test answers the capture socket with "ready": the page is
    connecting, and the socket returned scripts the rest as the server would."""
    start_check(page)
    capture = opened(page, captures)
    capture.send(ready())
    wait_phase(page, ("connecting",), 10_000)
    return capture


def hold_still(page: Any, send: Callable[[str], None], step_index: int, steps_done: int) -> None:
    """The gap before a prompt: statuses without a step, as the engine sends them every frame."""
    for _frame in range(GAP_MS // 100):
        send(status(step_index, None, steps_done))
        page.wait_for_timeout(100)


def test_a_step_prompt_never_shares_the_screen_with_the_hold_still_hint(
    live_server_process: Server, clerk: tuple[Any, str], launch_browser: BrowserFactory, screens: Screens
) -> None:
    user, password = clerk
    session = prepared_session(user)
    context = launch_browser(None).new_context(viewport=TABLET, locale="en-US", bypass_csp=True)
    context.add_init_script(RECORDER)
    page = context.new_page()
    captures = routed(page, "capture")
    sign_in(page, live_server_process, user.username, password)
    page.goto(f"{live_server_process.url}/sessions/{session.pk}/capture/")
    capture = scripted_capture(page, captures)

    hold_still(page, capture.send, 0, 0)
    page.wait_for_selector("#hint[data-code='wait_for_prompt']:not([hidden])", timeout=5_000)  # the gap's instruction
    capture.send(status(0, "blink", 0))
    page.wait_for_selector("#steps li.current", timeout=5_000)
    hold_still(page, capture.send, 1, 1)
    page.wait_for_selector("#hint[data-code='wait_for_prompt']:not([hidden])", timeout=5_000)
    capture.send(status(1, "turn_left", 1))
    page.wait_for_selector("#prompt-text:text('Turn your head to your left')", timeout=5_000)
    page.wait_for_timeout(300)
    screens.shot(page, "capture-one-instruction")

    screen = page.evaluate("window.__screen")
    step_prompts = {"Blink your eyes", "Turn your head to your left, then back"}
    prompts = [entry for entry in screen if entry["prompt"] in step_prompts]
    assert [entry["prompt"] for entry in prompts][:1] == ["Blink your eyes"], screen
    assert [entry for entry in prompts if entry["hint"] is not None] == [], screen


def test_the_customer_sees_the_camera_and_nothing_counts_until_start(
    live_server_process: Server, clerk: tuple[Any, str], launch_browser: BrowserFactory, screens: Screens
) -> None:
    user, password = clerk
    session = prepared_session(user)
    page = launch_browser(None).new_context(viewport=TABLET, locale="zh-CN", bypass_csp=True).new_page()
    sign_in(page, live_server_process, user.username, password)
    page.goto(f"{live_server_process.url}/sessions/{session.pk}/capture/")
    page.wait_for_selector("#start:not([hidden])", timeout=20_000)
    page.wait_for_timeout(3000)  # a customer still settling in front of the tablet
    screens.shot(page, "capture-ready")

    before = state_of(session.pk)
    assert (before.state, before.attempt_count) == (SessionState.CONSENTED, 0)
    assert page.get_attribute("#capture", "data-phase") == "ready"
    assert page.evaluate("document.getElementById('preview').readyState") >= 2  # the camera shows the face
    assert "开始检测" in page.inner_text("#prompt-text")

    start_check(page)
    wait_phase(page, ("connecting", "challenge"), 30_000)
    assert not page.is_visible("#start")
    after = state_of(session.pk)
    assert (after.state, after.attempt_count) == (SessionState.LIVENESS_RUNNING, 1)


def test_when_a_steps_time_is_up_the_screen_says_checking_not_zero(
    live_server_process: Server, clerk: tuple[Any, str], launch_browser: BrowserFactory, screens: Screens
) -> None:
    """Issue 32: after the last step the countdown sat at "0" for ~3 s with no word of what happens
    (the server still deciding the step)."""
    user, password = clerk
    session = prepared_session(user)
    page = launch_browser(None).new_context(viewport=TABLET, locale="en-US", bypass_csp=True).new_page()
    captures = routed(page, "capture")
    sign_in(page, live_server_process, user.username, password)
    page.goto(f"{live_server_process.url}/sessions/{session.pk}/capture/")
    capture = scripted_capture(page, captures)
    last_step = json.loads(status(2, "turn_right", 2))
    capture.send(json.dumps({**last_step, "seconds_left": 1.0}))
    page.wait_for_selector("#countdown:not([hidden])", timeout=5_000)
    for _frame in range(30):  # the engine still on the step, its window over: 3 s of statuses at 0
        capture.send(json.dumps({**last_step, "seconds_left": 0.0}))
        page.wait_for_timeout(100)
    screens.shot(page, "capture-step-checking")

    assert page.inner_text("#prompt-text") == "Checking…"
    assert not page.is_visible("#countdown")
    assert not page.is_visible("#hint")

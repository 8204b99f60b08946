"""A turn in Chromium: while a turn is asked a gauge shows how far the head is turned (from the
statuses the server pushes), and a turn that stopped short fails with "turn a little further", not
with "the turn was not seen".

The page's capture and session WebSockets are answered by the test (Playwright's
`route_web_socket`) with the messages the server sends (the engine's side: tests/liveness)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.e2e.conftest import BrowserFactory, Screens, Server
from tests.e2e.test_capture_flow import prepared_session, sign_in
from tests.e2e.test_capture_screen import clerk, routed, scripted_capture, status  # noqa: F401 (the fixture)
from tests.e2e.test_light_screen import fail_the_attempt_on_screen

pytestmark = [pytest.mark.e2e]


def test_a_gauge_follows_the_turn_and_a_short_turn_asks_for_a_little_more(
    live_server_process: Server,
    clerk: tuple[Any, str],  # noqa: F811
    launch_browser: BrowserFactory,
    screens: Screens,
) -> None:
    user, password = clerk
    session = prepared_session(user)
    page = launch_browser(None).new_context(viewport={"width": 768, "height": 1024}, locale="zh-CN").new_page()
    captures, pushes = routed(page, "capture"), routed(page, "sessions")
    sign_in(page, live_server_process, user.username, password)
    page.goto(f"{live_server_process.url}/sessions/{session.pk}/capture/")
    capture = scripted_capture(page, captures)
    turning = json.loads(status(0, "turn_left", 0))
    capture.send(json.dumps({**turning, "turn": 0.4}))
    page.wait_for_selector("#turn-gauge:not([hidden])", timeout=5_000)
    screens.shot(page, "capture-turn-gauge")

    assert page.get_attribute("#turn-gauge", "aria-valuenow") == "40"
    assert "left" in (page.get_attribute("#turn-gauge", "class") or "")  # fills the way the face moves
    assert "far-enough" not in (page.get_attribute("#turn-gauge", "class") or "")
    capture.send(json.dumps({**turning, "turn": 1.0}))
    page.wait_for_selector("#turn-gauge.far-enough", timeout=5_000)
    capture.send(json.dumps(json.loads(status(1, None, 1))))  # the hold-still gap: no gauge
    page.wait_for_selector("#turn-gauge", state="hidden", timeout=5_000)

    capture.send(json.dumps(json.loads(status(1, "turn_right", 1))))  # no `turn` yet: no gauge
    page.wait_for_selector("#steps li.current", timeout=5_000)
    assert not page.is_visible("#turn-gauge")
    fail_the_attempt_on_screen(page, capture, pushes, 1, 1, ["step_timeout", "turn_too_small", "no_blink"])
    page.wait_for_selector("#retry:not([hidden])", timeout=5_000)
    screens.shot(page, "capture-turn-too-small")

    words = page.inner_text("#outcome-detail")
    assert "请再多转一点" in words, words  # "turn a little further"
    assert "没有看到您向右转头" not in words, words  # not "the turn was not seen in time"
    assert not page.is_visible("#turn-gauge")

"""The screen-light step's screens in Chromium (the policy switch on): while the lights play, the top
bar (the staff's way back in customer mode, the language) stays on screen above them; a failed light
step's advice names the page's real buttons; and the retry asks the customer first, with advice,
instead of lighting the screen again at once.

The page's capture and session WebSockets are answered by the test (Playwright's
`route_web_socket`) with the messages the server sends, so the light step fails on cue and nothing
is stored (tests/e2e/test_light.py runs the step against the real engine)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from PIL import Image

from registration.models import VerificationPolicy
from tests.e2e.conftest import BrowserFactory, Screens, Server
from tests.e2e.test_capture_flow import off_loop, prepared_session, sign_in, start_check, wait_phase
from tests.e2e.test_capture_screen import clerk, opened, ready, routed, status  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.e2e]

TABLET = {"width": 1024, "height": 768}
GREEN = "#00ff00"  # one colour throughout, to tell the overlay from the page in a screenshot


@pytest.fixture
def light_policy(live_server_process: Server) -> Iterator[None]:
    """The admin's verification policy with the screen-light step on, for this test only."""
    off_loop(lambda: VerificationPolicy.objects.update_or_create(pk=1, defaults={"light_challenge": True}))
    yield
    off_loop(lambda: VerificationPolicy.objects.filter(pk=1).update(light_challenge=False))


def fail_the_attempt_on_screen(
    page: Any, capture: Any, pushes: list[Any], step_index: int, steps_done: int, reasons: list[str]
) -> None:
    """The server's side of a failed attempt, scripted: the last status, the capture's end, and the
    session pushed as liveness_failed with `reasons` (one attempt spent)."""
    capture.send(json.dumps({**json.loads(status(step_index, None, steps_done)), "finished": True, "passed": False}))
    capture.send(json.dumps({"type": "captured", "frames": {}}))
    payload = json.loads(page.text_content("#session-payload") or "{}")
    failed = {**payload, "state": "liveness_failed", "attempt_count": 1, "liveness_reasons": reasons}
    opened(page, pushes).send(json.dumps({"type": "session", "session": failed}))


def green_share(page: Any, selector: str) -> float:
    """How much of the element's box on screen is the overlay's colour."""
    image = Image.open(io.BytesIO(page.screenshot(clip=page.locator(selector).bounding_box()))).convert("RGB")
    pixels = np.asarray(image, dtype=np.int16).reshape(-1, 3)
    red, green, blue = pixels[:, 0], pixels[:, 1], pixels[:, 2]
    return float(np.mean((green > 200) & (red < 60) & (blue < 60)))


@pytest.mark.usefixtures("light_policy")
def test_the_lights_keep_a_way_out_and_a_failure_asks_before_lighting_again(
    live_server_process: Server,
    clerk: tuple[Any, str],  # noqa: F811
    launch_browser: BrowserFactory,
    screens: Screens,
) -> None:
    user, password = clerk
    session = prepared_session(user)
    page = launch_browser(None).new_context(viewport=TABLET, locale="zh-CN", bypass_csp=True).new_page()
    captures, pushes = routed(page, "capture"), routed(page, "sessions")
    sign_in(page, live_server_process, user.username, password)
    page.goto(f"{live_server_process.url}/sessions/{session.pk}/capture/")
    start_check(page)
    page.click("#light-start", timeout=10_000)
    capture = opened(page, captures)
    capture.send(ready(steps=2))
    wait_phase(page, ("connecting",), 10_000)
    lights = {**json.loads(status(0, "light", 0)), "light": [GREEN] * 8, "light_seconds": 0.5}
    capture.send(json.dumps(lights))
    page.wait_for_selector("#light-overlay:not([hidden])", timeout=5_000)
    page.wait_for_timeout(300)
    screens.shot(page, "capture-lights-playing")

    assert green_share(page, ".capture") > 0.9  # the lights fill the page
    assert green_share(page, ".topbar") < 0.05  # the way out stays on screen above them

    fail_the_attempt_on_screen(page, capture, pushes, 0, 0, ["light_mismatch"])
    page.wait_for_selector("#retry:not([hidden])", timeout=5_000)
    screens.shot(page, "capture-light-failed")

    advice = page.inner_text("#outcome-detail")
    assert f"“{page.inner_text('#retry')}”" in advice, advice
    assert f"“{page.text_content('#no-lights')}”" in advice, advice

    page.click("#retry")
    page.wait_for_selector("#light-warning:not([hidden])", timeout=5_000)
    page.wait_for_timeout(1000)
    screens.shot(page, "capture-light-retry-advice")
    assert page.is_visible("#light-retry-advice")
    assert page.is_visible("#by-hand")  # the way to a person stays while the customer chooses
    assert len(captures) == 1  # no new attempt, no lights, until the customer chooses
    assert page.get_attribute("#capture", "data-phase") == "idle"

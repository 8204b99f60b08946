"""More of the README's screens, those a customer meets off the happy path, in Simplified Chinese and
English at both tablet sizes: the consent with its time running out and the offer of more time, the
live check during a turn (the instruction and its gauge), a failed attempt that offers the way to a
person, and the page the customer lands on when a supervisor will check the document by hand.

The tablet is in customer mode from the handover, as a customer holds it. The capture page's
WebSockets are answered by the test (Playwright's `route_web_socket`) with the messages the server
sends, so the turn is on screen when it is taken (tests/e2e/test_turn_feedback.py checks the gauge,
test_capture_flow.py the real engine); the failed attempt is also written to the database, so the
ask for a person goes to the real server. The camera is Chromium's test pattern, and masked (or, for
the turn, taken out of the page) like every picture in the suite's screenshots: no person appears.
With SHIMING_README_SCREENSHOTS=1 the screens are copied into docs/screenshots/ (readme_screens.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from registration.models import VerificationSession
from registration.state_machine import SessionState
from tests.e2e import readme_screens
from tests.e2e.conftest import BrowserFactory, Screens, Server
from tests.e2e.test_capture_flow import (
    CUSTOMER_BIRTH,
    CUSTOMER_NAME,
    off_loop,
    state_of,
)
from tests.e2e.test_capture_screen import clerk, routed, scripted_capture, status  # noqa: F401 (the fixture)
from tests.e2e.test_expired import _reading_session, customer_at_the_consent
from tests.e2e.test_light_screen import fail_the_attempt_on_screen
from tests.e2e.test_readme_screenshots import BELOW_THE_FOLD, dress_for_the_readme
from tests.factories import as_read_from_the_chip

pytestmark = [pytest.mark.e2e]

S = SessionState
MORE_SCREENS = ("consent-time", "capture-prompt", "capture-failed", "alternative")
# What each screen must say, in the page's language.
WORDS = {
    "zh-CN": {
        "time-left": "剩余时间：1:",
        "extended": "剩余时间：6:",
        "more-time": "需要更多时间阅读",
        "turn": "请向左转头，再转回来",
        "further": "请再多转一点",
        "by-hand": "改为人工核验证件",
        "alternative": "主管将人工核验您的证件",
    },
    "en-US": {
        "time-left": "Time left: 1:",
        "extended": "Time left: 6:",
        "more-time": "More time to read",
        "turn": "Turn your head to your left, then back",
        "further": "turn a little further",
        "by-hand": "Check the document by hand instead",
        "alternative": "A supervisor will check your document",
    },
}


def customer_reading(staff: Any, seconds_left: float) -> VerificationSession:
    """The README's customer, their card read from its chip, handed the tablet with the time given."""
    session = _reading_session(staff, seconds_left, CUSTOMER_BIRTH, CUSTOMER_NAME)
    as_read_from_the_chip(session)
    return VerificationSession.objects.get(pk=session.pk)


def fail_the_attempt(session_id: Any) -> None:
    """What the server records of a turn that stopped short: the first attempt failed, two are left."""
    VerificationSession.objects.filter(pk=session_id).update(
        state=S.LIVENESS_FAILED, attempt_count=1, liveness_passed=False, liveness_reasons=["turn_too_small"]
    )


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
@pytest.mark.parametrize("viewport", [{"width": 1024, "height": 768}, {"width": 768, "height": 1024}])
def test_the_readme_screens_off_the_happy_path(
    live_server_process: Server,
    clerk: tuple[Any, str],  # noqa: F811
    launch_browser: BrowserFactory,
    screens: Screens,
    locale: str,
    viewport: dict[str, int],
) -> None:
    user = clerk[0]
    words = WORDS[locale]
    off_loop(lambda: dress_for_the_readme(user, locale))
    session = off_loop(customer_reading, user, 90)
    page = launch_browser(None).new_context(viewport=viewport, locale=locale).new_page()
    customer_at_the_consent(page, live_server_process, clerk, session)  # customer mode from here

    page.wait_for_selector("#more-time:not([hidden])")  # under two minutes left
    page.wait_for_selector("#accept:not([disabled])")
    screens.shot(page, "consent-time")
    assert page.inner_text("#time-left-text").startswith(words["time-left"])
    assert page.inner_text("#more-time") == words["more-time"]
    page.click("#more-time")
    page.wait_for_selector("#more-time", state="hidden")
    assert page.inner_text("#time-left-text").startswith(words["extended"])

    captures, pushes = routed(page, "capture"), routed(page, "sessions")
    page.click("#accept")
    page.wait_for_url(f"**/sessions/{session.pk}/capture/")
    capture = scripted_capture(page, captures)
    turning = json.loads(status(0, "turn_left", 0))
    capture.send(json.dumps({**turning, "turn": 0.6}))
    page.wait_for_selector("#turn-gauge:not([hidden])", timeout=5_000)
    page.wait_for_selector(f"#prompt-text:text-is('{words['turn']}')", timeout=5_000)
    # Every shot masks the camera's picture, and the mask would cover the oval and the gauge drawn on
    # it: the picture is taken out of the page instead (the stage's own black shows behind them).
    page.evaluate("() => { document.getElementById('preview').hidden = true; }")
    screens.shot(page, "capture-prompt")
    assert page.get_attribute("#turn-gauge", "aria-valuenow") == "60"
    assert page.locator("#steps li").count() == 3

    off_loop(fail_the_attempt, session.pk)
    fail_the_attempt_on_screen(page, capture, pushes, 0, 0, ["turn_too_small"])
    page.wait_for_selector("#by-hand:not([hidden])", timeout=5_000)
    screens.shot(page, "capture-failed")
    assert words["further"] in page.inner_text("#outcome-detail")
    assert page.is_visible("#retry")  # two attempts left: trying again stays open beside the person
    assert page.inner_text("#by-hand") == words["by-hand"]
    assert page.evaluate(BELOW_THE_FOLD, "#by-hand") <= 0  # the way to a person in view, in portrait too
    assert page.get_attribute("#sound-toggle", "aria-pressed") == "true"  # not "tap for sound" after a cut prompt

    page.click("#by-hand")
    page.wait_for_url(f"**/sessions/{session.pk}/alternative/")
    screens.shot(page, "alternative")
    assert page.inner_text("#alternative h1") == words["alternative"]
    assert page.get_attribute("#alternative #to-home", "href") == "/customer-mode/return/"  # the customer's way on
    assert state_of(session.pk).state == S.MANUAL_REVIEW

    if readme_screens.wanted():
        assert readme_screens.copy_to_docs(screens, MORE_SCREENS, locale, viewport) == list(MORE_SCREENS)

"""The screen-light step in Chromium: the policy switch on, the page warns and the customer starts
with the lights; the page fills the screen with the server's colours and the camera (the
prompt-following customer, lit by the colour the overlay showed a camera latency earlier:
tests/e2e/customer_camera.py) sends the tinted face over WebRTC, as H.264 (the server's answer
prefers it; Chromium offers it). The production random plan, the real server, worker and services."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from registration.models import VerificationPolicy
from tests.e2e.conftest import CustomerContext, Screens, Server
from tests.e2e.test_capture_flow import (
    FINAL_PHASES,
    give_consent,
    hand_over,
    off_loop,
    register_customer,
    retried_until_final,
    sign_in,
    state_of,
    upload_document,
    wait_phase,
)

pytestmark = [pytest.mark.e2e, pytest.mark.worker]


@pytest.fixture
def light_policy(stack: Server) -> Iterator[None]:
    """The admin's verification policy with the screen-light step on, for this test only."""
    off_loop(lambda: VerificationPolicy.objects.update_or_create(pk=1, defaults={"light_challenge": True}))
    yield
    off_loop(lambda: VerificationPolicy.objects.filter(pk=1).update(light_challenge=False))


@pytest.mark.usefixtures("light_policy")
def test_a_screen_lit_customer_passes_the_light_step_in_chromium(
    stack: Server,
    clerk_account: tuple[Any, str],
    customer_context: CustomerContext,
    same_person_card: Path,
    screens: Screens,
) -> None:
    clerk, password = clerk_account
    page = customer_context(viewport={"width": 1024, "height": 768}, locale="zh-CN", light=True).new_page()
    sign_in(page, stack, clerk.username, password)
    session_id = register_customer(page, stack, screens)
    upload_document(page, same_person_card, screens)
    hand_over(page, screens)
    give_consent(page, screens)
    page.wait_for_selector("#light-warning:not([hidden])", timeout=30_000)
    screens.shot(page, "light-warning")
    page.click("#light-start")
    wait_phase(page, ("challenge",), 30_000)
    page.wait_for_selector("#light-overlay:not([hidden])", timeout=60_000)
    screens.shot(page, "light-step")
    phase = retried_until_final(page, session_id, wait_phase(page, FINAL_PHASES))
    screens.shot(page, f"capture-final-{phase}")

    decided = state_of(session_id)
    print(f"\nplan {decided.challenge_plan}: {phase}; {decided.liveness_detail}")
    assert "light" in decided.challenge_plan
    live = decided.liveness_detail["live"]
    assert [step["passed"] for step in live["steps"] if step["step"] == "light"] == [True], live
    assert phase == "approved", decided.__dict__

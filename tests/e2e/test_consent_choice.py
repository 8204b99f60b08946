"""The customer's refusal of face processing in Chromium: "I refuse" asks once more and can be undone
(nothing is sent until it is confirmed); confirmed, the registration goes to the check by hand."""

from __future__ import annotations

from typing import Any

import pytest

from registration.models import VerificationSession
from tests.e2e.conftest import BrowserFactory, Screens, Server
from tests.e2e.test_capture_flow import off_loop, sign_in
from tests.e2e.test_expired import _reading_session, clerk

pytestmark = [pytest.mark.e2e]
__all__ = ["clerk"]


def test_i_refuse_can_be_undone_before_it_is_sent(
    live_server_process: Server, clerk: tuple[Any, str], launch_browser: BrowserFactory, screens: Screens
) -> None:
    user, password = clerk
    session = off_loop(_reading_session, user, 600)
    page = launch_browser(None).new_page(viewport={"width": 1024, "height": 768}, locale="zh-CN")
    sign_in(page, live_server_process, user.username, password)
    page.goto(f"{live_server_process.url}/sessions/{session.pk}/consent/")
    page.wait_for_selector("#accept:not([disabled])")

    page.click("#refuse")
    page.wait_for_selector("#refuse-confirm:not([hidden])")
    screens.shot(page, "consent-refuse-confirm")
    assert off_loop(lambda: VerificationSession.objects.get(pk=session.pk).non_biometric) is False
    page.click("#refuse-undo")
    page.wait_for_selector("#accept:not([disabled])")
    assert off_loop(lambda: VerificationSession.objects.get(pk=session.pk).non_biometric) is False

    page.click("#refuse")
    page.click("#refuse-confirmed")
    page.wait_for_url(f"**/sessions/{session.pk}/alternative/")
    assert off_loop(lambda: VerificationSession.objects.get(pk=session.pk).non_biometric) is True

"""The result page, in Chromium, in Chinese: the decision's reasons are words in the page's language,
never the codes they are stored as, from the moment the page opens (the session's socket is held
here, so no pushed update can word them instead)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from registration.models import VerificationSession
from registration.state_machine import SessionState
from tests.e2e.conftest import BrowserFactory, Screens, Server
from tests.e2e.test_capture_flow import off_loop, prepared_session, sign_in
from tests.e2e.test_dead_ends import clerk  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.e2e]


def test_the_result_page_shows_the_reasons_in_words(
    live_server_process: Server,
    clerk: tuple[Any, str],  # noqa: F811
    launch_browser: BrowserFactory,
    screens: Screens,
) -> None:
    user, password = clerk
    session = prepared_session(user)
    reasons = ["face_score_in_approve_band", "prc_card_typed"]
    off_loop(
        lambda: VerificationSession.objects.filter(pk=session.pk).update(
            state=SessionState.MANUAL_REVIEW, decision_reasons=reasons
        )
    )
    page = launch_browser(None).new_page(viewport={"width": 768, "height": 1024}, locale="zh-CN")
    sign_in(page, live_server_process, user.username, password)
    page.route_web_socket(re.compile(r".*/ws/sessions/.*"), lambda socket: None)  # no push arrives
    page.goto(f"{live_server_process.url}/sessions/{session.pk}/result/")
    page.wait_for_selector("#result-reasons:has-text('现场人脸')", timeout=10_000)
    screens.shot(page, "result-reasons-in-words")

    words = page.inner_text("#result-reasons")
    assert "现场人脸与证件照片一致。" in words
    assert not re.search(r"[a-z]+_[a-z_]+", page.inner_text("main")), page.inner_text("main")

"""Expired registrations in Chromium: shown as expired on home and the
dashboard, the consent page refuses before it is read, and the restart is pre-filled."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from registration.models import VerificationSession
from tests.e2e.conftest import BrowserFactory, Screens, Server
from tests.e2e.test_capture_flow import off_loop, prepared_session, sign_in

pytestmark = [pytest.mark.e2e]


@pytest.fixture
def clerk(reseed_after_flush: None, transactional_db: None, live_server_process: Server) -> tuple[Any, str]:
    from registration.roles import CLERK
    from tests.capture.dbseed import seed_reference_rows
    from tests.factories import OutletFactory, UserFactory

    seed_reference_rows()
    return UserFactory(role=CLERK, outlet=OutletFactory(name="E2E outlet")), "correct horse battery"


@pytest.mark.parametrize("viewport", [{"width": 1024, "height": 768}, {"width": 768, "height": 1024}])
def test_an_expired_registration_is_expired_everywhere_and_restarts_pre_filled(
    live_server_process: Server,
    clerk: tuple[Any, str],
    launch_browser: BrowserFactory,
    screens: Screens,
    viewport: dict[str, int],
) -> None:
    user, password = clerk
    session = prepared_session(user)
    off_loop(lambda: VerificationSession.objects.filter(pk=session.pk).update(expires_at=timezone.now() - timedelta(1)))
    page = launch_browser(None).new_page(viewport=viewport, locale="zh-CN")
    sign_in(page, live_server_process, user.username, password)
    screens.shot(page, "home-expired")
    assert page.inner_text(".state-expired") == "已过期"

    page.goto(f"{live_server_process.url}/sessions/{session.pk}/consent/")
    page.wait_for_url(f"**/sessions/{session.pk}/result/")
    screens.shot(page, "result-expired")
    assert page.inner_text("#result-title") == "此登记已过期。"

    page.click("#restart")
    page.wait_for_url("**/register/?from=*")
    screens.shot(page, "register-restarted")
    assert page.input_value("input[name=full_name]") == "测试 客户"
    assert page.input_value("input[name=document_number]") == ""

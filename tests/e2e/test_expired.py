"""Expired registrations in Chromium: shown as expired on home and the
dashboard, the consent page refuses before it is read, and the restart is pre-filled."""

from __future__ import annotations

from datetime import date, timedelta
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


def _reading_session(
    clerk: Any, seconds_left: float, birth: date = date(1990, 3, 7), full_name: str = "测试 客户"
) -> Any:
    """A registration whose document the clerk photographed: the customer (born on `birth`) is
    next, with the consent."""
    from registration import services
    from registration.models import EvidenceKind
    from registration.state_machine import SessionState
    from tests.factories import make_phone, make_prc_id

    session = services.registration_create(
        clerk=clerk, full_name=full_name, document_type="prc_id", document_number=make_prc_id(birth),
        phone_number=make_phone(),
    )  # fmt: skip
    services.evidence_store(session=session, kind=EvidenceKind.ID_PORTRAIT, content=b"-", content_type="image/jpeg")
    VerificationSession.objects.filter(pk=session.pk).update(
        state=SessionState.DOCUMENT_CAPTURED, expires_at=timezone.now() + timedelta(seconds=seconds_left)
    )
    return VerificationSession.objects.get(pk=session.pk)


def customer_at_the_consent(page: Any, server: Server, clerk: tuple[Any, str], session: Any) -> None:
    """The clerk signs in and hands the tablet over: the customer's consent, in customer mode."""
    user, password = clerk
    sign_in(page, server, user.username, password)
    page.goto(f"{server.url}/sessions/{session.pk}/handover/")
    page.click("#to-consent")
    page.wait_for_url(f"**/sessions/{session.pk}/consent/")


def test_the_customer_sees_the_time_gets_more_once_and_hands_the_tablet_back_when_it_ends(
    live_server_process: Server, clerk: tuple[Any, str], launch_browser: BrowserFactory, screens: Screens
) -> None:
    user, password = clerk
    session = off_loop(_reading_session, user, 90)
    page = launch_browser(None).new_page(viewport={"width": 768, "height": 1024}, locale="zh-CN")
    customer_at_the_consent(page, live_server_process, clerk, session)

    page.wait_for_selector("#more-time:not([hidden])")  # under two minutes left
    assert page.inner_text("#time-left-text").startswith("剩余时间：1:")
    screens.shot(page, "consent-time-left")
    page.click("#more-time")
    page.wait_for_selector("#more-time", state="hidden")
    assert page.inner_text("#time-left-text").startswith("剩余时间：6:")
    extended = off_loop(lambda: VerificationSession.objects.get(pk=session.pk).expires_at)
    assert extended - session.expires_at == timedelta(seconds=300)

    # The time runs out while the customer still reads: the hand-back, not a restart addressed to them.
    off_loop(
        lambda: VerificationSession.objects.filter(pk=session.pk).update(
            expires_at=timezone.now() + timedelta(seconds=3)
        )
    )
    page.reload()
    page.wait_for_url(f"**/sessions/{session.pk}/result/", timeout=15_000)
    screens.shot(page, "result-expired-hand-back")
    assert page.inner_text("#result-title") == "此登记已过期。"
    assert "请将平板交还工作人员" in page.inner_text("#hand-back")
    assert page.locator("#restart").count() == 0

    page.click("#staff-take-back")
    page.fill("#staff-password", password)
    page.click("#staff-return-submit")
    page.wait_for_url(f"**/sessions/{session.pk}/result/")
    page.click("#restart")  # the clerk restarts with the details kept
    page.wait_for_url("**/register/?from=*")
    assert page.input_value("input[name=full_name]") == "测试 客户"
    assert page.input_value("input[name=phone_number]") == session.subscriber.phone_number.removeprefix("+86")

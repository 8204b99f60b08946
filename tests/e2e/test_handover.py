"""The tablet changes hands once, in Chromium: the clerk types the customer's data
and photographs the document (retaking it from the handover screen if needed), the handover screen
asks for the tablet to go to the customer, and the customer consents and reaches the live check.
The face match and the capture need the consent: the audit trail shows the photo, then the consent."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from registration.models import AuditEvent, ConsentRecord
from tests.e2e.conftest import BrowserFactory, Screens, Server
from tests.e2e.test_capture_flow import (
    hand_over,
    off_loop,
    prepared_session,
    register_customer,
    sign_in,
    start_check,
    upload_document,
)

pytestmark = [pytest.mark.e2e]


@pytest.fixture
def clerk(reseed_after_flush: None, transactional_db: None, live_server_process: Server) -> tuple[Any, str]:
    from registration.roles import CLERK
    from tests.capture.dbseed import seed_reference_rows
    from tests.factories import OutletFactory, UserFactory

    seed_reference_rows()
    return UserFactory(role=CLERK, outlet=OutletFactory(name="E2E outlet")), "correct horse battery"


def _step_label(page: Any) -> str:
    return str(page.text_content(".step-label")).strip()  # the DOM text: the style sets it in capitals


def test_the_clerks_steps_then_one_handover_then_the_customers_steps(
    live_server_process: Server,
    clerk: tuple[Any, str],
    launch_browser: BrowserFactory,
    same_person_card: Path,
    screens: Screens,
) -> None:
    user, password = clerk
    page = launch_browser(None, deny_camera=True).new_page(viewport={"width": 768, "height": 1024}, locale="en-US")
    sign_in(page, live_server_process, user.username, password)
    session_id = register_customer(page, live_server_process, screens)
    labels = [_step_label(page)]
    upload_document(page, same_person_card, screens)

    # The handover screen: nothing of the customer's yet; the clerk may still go back and retake.
    assert "Please hand the tablet to the customer" in page.inner_text("h1")
    page.click("#retake")
    page.wait_for_url(re.compile(r".*/document/$"))
    page.wait_for_selector("#portrait-box:not([hidden])")  # the photo on file is shown
    upload_document(page, same_person_card, screens)
    hand_over(page, screens)
    labels.append(_step_label(page))
    page.wait_for_selector("#accept:not([disabled])")
    # The customer sees which text they agree to: its version and publication date.
    assert re.fullmatch(r"Consent text version 3, published \d{4}-\d{2}-\d{2}", page.inner_text("#consent-version"))
    page.click("#accept")
    page.wait_for_url(re.compile(r".*/capture/$"))
    labels.append(_step_label(page))

    assert labels == ["Step 2 of 4 · for the clerk", "Step 3 of 4 · for the customer", "Step 4 of 4 · for the customer"]
    trail = off_loop(
        lambda: list(
            AuditEvent.objects.filter(object_id=session_id, action__startswith="session.")
            .order_by("id")
            .values_list("action", flat=True)
        )
    )
    assert trail[:4] == ["session.created", "session.document_captured", "session.document_captured",
                         "session.consented"], trail  # fmt: skip
    assert off_loop(lambda: ConsentRecord.objects.filter(session__pk=session_id).count()) == 1


def _clerk_menu(page: Any) -> list[str]:
    """What of the clerk's menu the screen shows: the dashboard link, the sign-out, the list."""
    return [selector for selector in ("header a[href='/dashboard/']", "form[action='/logout/']", "a[href='/']")
             if page.locator(selector).count()]  # fmt: skip


def test_from_the_handover_the_tablet_shows_only_the_customers_screens_until_the_clerks_password(
    live_server_process: Server,
    clerk: tuple[Any, str],
    launch_browser: BrowserFactory,
    same_person_card: Path,
    screens: Screens,
) -> None:
    user, password = clerk
    earlier = prepared_session(user)  # another customer of the day: 测试 客户, with a mobile number
    earlier_phone = earlier.subscriber.phone_number
    page = launch_browser(None).new_page(viewport={"width": 768, "height": 1024}, locale="en-US")
    sign_in(page, live_server_process, user.username, password)
    assert _clerk_menu(page)  # the clerk's own screens have it
    session_id = register_customer(page, live_server_process, screens)
    upload_document(page, same_person_card, screens)
    assert _clerk_menu(page) == []  # the handover is addressed to the customer
    hand_over(page, screens)

    page.wait_for_selector("#accept:not([disabled])")
    assert _clerk_menu(page) == []
    page.click("#accept")
    page.wait_for_url(re.compile(r".*/capture/$"))
    start_check(page)
    assert _clerk_menu(page) == []
    screens.shot(page, "customer-mode-capture")

    # The customer (or anyone holding the tablet) tries the clerk's pages: the hand-back screen.
    for path in ("/dashboard/", "/", f"/sessions/{earlier.pk}/result/", "/register/"):
        page.goto(f"{live_server_process.url}{path}")
        page.wait_for_url(f"{live_server_process.url}/customer-mode/return/")
        text = page.inner_text("body")
        assert "测试 客户" not in text
        assert earlier_phone not in text
        assert _clerk_menu(page) == []
    screens.shot(page, "customer-mode-hand-back")
    page.fill("#staff-password", "not the password")
    page.click("#staff-return-submit")
    page.wait_for_selector("#return-error")
    page.goto(f"{live_server_process.url}/dashboard/")
    page.wait_for_url("**/customer-mode/return/")

    page.fill("#staff-password", password)
    page.click("#staff-return-submit")
    page.wait_for_url(f"**/sessions/{session_id}/result/")
    page.goto(f"{live_server_process.url}/dashboard/")
    page.wait_for_selector("#dashboard")
    assert "测试 客户" in page.inner_text("body")  # the clerk's again
    trail = off_loop(
        lambda: list(
            AuditEvent.objects.filter(action__startswith="customer_mode.")
            .order_by("id")
            .values_list("action", flat=True)
        )
    )
    assert trail == ["customer_mode.started", "customer_mode.return_refused", "customer_mode.ended"]

"""No dead ends and no vague refusals, in Chromium: a blocked camera offers a
way back and the check by hand, a too-large photo is refused with the limit, a too-long name is
refused with its length, and a phone number with open registrations is warned about once."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from registration.state_machine import SessionState
from tests.e2e.conftest import BrowserFactory, Screens, Server
from tests.e2e.test_capture_flow import off_loop, prepared_session, sign_in, state_of, wait_phase
from tests.factories import make_phone, make_prc_id

pytestmark = [pytest.mark.e2e]

TABLET = {"width": 1024, "height": 768}


@pytest.fixture
def clerk(reseed_after_flush: None, transactional_db: None, live_server_process: Server) -> tuple[Any, str]:
    from registration.roles import CLERK
    from tests.capture.dbseed import seed_reference_rows
    from tests.factories import OutletFactory, UserFactory

    seed_reference_rows()
    return UserFactory(role=CLERK, outlet=OutletFactory(name="E2E outlet")), "correct horse battery"


def test_a_blocked_camera_offers_back_and_the_check_by_hand(
    live_server_process: Server, clerk: tuple[Any, str], launch_browser: BrowserFactory, screens: Screens
) -> None:
    user, password = clerk
    session = prepared_session(user)
    page = launch_browser(None, deny_camera=True).new_page(viewport=TABLET, locale="zh-CN")
    sign_in(page, live_server_process, user.username, password)
    page.goto(f"{live_server_process.url}/sessions/{session.pk}/capture/")
    wait_phase(page, ("camera_denied",), 20_000)
    screens.shot(page, "capture-camera-blocked")

    assert page.is_visible("#retry")
    assert page.is_visible("#to-home")
    page.click("#by-hand")
    page.wait_for_url(f"**/sessions/{session.pk}/alternative/")
    screens.shot(page, "alternative-after-blocked-camera")
    assert state_of(session.pk).state == SessionState.MANUAL_REVIEW


def test_a_photo_over_the_limit_is_refused_with_the_limit(
    live_server_process: Server,
    clerk: tuple[Any, str],
    launch_browser: BrowserFactory,
    screens: Screens,
    tmp_path: Path,
) -> None:
    from django.conf import settings

    from tests.factories import make_session

    user, password = clerk
    session = off_loop(lambda: make_session(clerk=user))  # just opened: the clerk photographs the document
    big = tmp_path / "big.jpg"
    big.write_bytes(b"\xff\xd8" + b"\0" * (settings.SHIMING_MAX_UPLOAD_BYTES + 10))
    page = launch_browser(None).new_page(viewport=TABLET, locale="zh-CN")
    sign_in(page, live_server_process, user.username, password)
    page.goto(f"{live_server_process.url}/sessions/{session.pk}/document/")
    page.set_input_files("#document-file", str(big))
    page.wait_for_selector("#document-error:not([hidden])", timeout=30_000)
    screens.shot(page, "document-too-large")

    limit = f"{settings.SHIMING_MAX_UPLOAD_BYTES / (1024 * 1024):g}"
    assert f"图片超过 {limit} MB" in page.inner_text("#document-error")
    assert f"照片不超过 {limit} MB" in page.inner_text("#upload-limit")


def test_a_too_long_name_and_a_phone_with_open_registrations(
    live_server_process: Server, clerk: tuple[Any, str], launch_browser: BrowserFactory, screens: Screens
) -> None:
    user, password = clerk
    phone = make_phone()
    existing = prepared_session(user)
    off_loop(lambda: type(existing.subscriber).objects.filter(pk=existing.subscriber_id).update(phone_number=phone))
    page = launch_browser(None).new_page(viewport=TABLET, locale="zh-CN")
    sign_in(page, live_server_process, user.username, password)
    page.goto(f"{live_server_process.url}/register/")
    page.click("#type-instead")  # the card's chip could not be read: its details are typed
    page.fill("input[name=full_name]", "欧" * 230)
    page.fill("input[name=document_number]", make_prc_id())
    page.fill("input[name=phone_number]", phone.removeprefix("+86"))
    page.click("#register-form button[type=submit]")
    page.wait_for_selector("#error-full_name")  # under the name, not above the form
    screens.shot(page, "register-name-too-long")

    assert page.input_value("input[name=full_name]") == "欧" * 230  # not cut
    assert "230" in page.inner_text("#error-full_name")
    assert "200" in page.inner_text("#error-full_name")

    page.fill("input[name=full_name]", "王 小明")
    page.click("#register-form button[type=submit]")
    page.wait_for_selector("#open-sessions:not([hidden])")
    screens.shot(page, "register-open-sessions-warning")
    assert page.get_attribute("#open-sessions-list a", "href") == f"/sessions/{existing.pk}/"
    assert page.url.endswith("/register/")

    page.click("#register-form button[type=submit]")  # the clerk has seen it: a new one opens
    page.wait_for_url(re.compile(r".*/sessions/[0-9a-f-]+/document/$"))


def test_a_wrong_document_number_is_explained_at_its_field(
    live_server_process: Server, clerk: tuple[Any, str], launch_browser: BrowserFactory, screens: Screens
) -> None:
    user, password = clerk
    page = launch_browser(None).new_page(viewport=TABLET, locale="zh-CN")
    sign_in(page, live_server_process, user.username, password)
    page.goto(f"{live_server_process.url}/register/")
    page.click("#type-instead")  # the card's chip could not be read: its details are typed
    page.fill("input[name=full_name]", "王 小明")
    number = make_prc_id()
    page.fill("input[name=document_number]", number[:-1] + ("0" if number[-1] != "0" else "1"))  # a wrong check digit
    page.fill("input[name=phone_number]", make_phone().removeprefix("+86"))
    page.click("#register-form button[type=submit]")
    page.wait_for_selector("#error-document_number")
    screens.shot(page, "register-error-at-field")

    assert "校验" in page.inner_text("label:has(input[name=document_number])")
    assert page.get_attribute("input[name=document_number]", "aria-invalid") == "true"
    assert page.is_hidden("#form-error")
    page.fill("input[name=document_number]", number)
    page.click("#register-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/sessions/[0-9a-f-]+/document/$"))

"""What a tablet app is expected to do, in Chromium: the API docs run without a
CSP violation, the app is installable, and with two cameras the live check offers a choice that
the tablet remembers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, Screens, Server
from tests.e2e.test_capture_flow import prepared_session, sign_in

pytestmark = [pytest.mark.e2e]

TABLET = {"width": 1024, "height": 768}


@pytest.fixture
def clerk(reseed_after_flush: None, transactional_db: None, live_server_process: Server) -> tuple[Any, str]:
    from registration.roles import CLERK
    from tests.capture.dbseed import seed_reference_rows
    from tests.factories import OutletFactory, UserFactory

    seed_reference_rows()
    return UserFactory(role=CLERK, outlet=OutletFactory(name="E2E outlet")), "correct horse battery"


@pytest.fixture
def two_camera_browser(playwright_driver: Any, e2e_tools: None) -> Iterator[Any]:
    """Chromium with two fake cameras (its fake device factory's `device-count`)."""
    args = [*CHROMIUM_ARGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream=device-count=2"]
    browser = playwright_driver.chromium.launch(executable_path=str(CHROMIUM), args=args, headless=True)
    yield browser
    browser.close()


def test_the_api_docs_render_without_a_csp_violation(
    live_server_process: Server, clerk: tuple[Any, str], launch_browser: Any, screens: Screens
) -> None:
    user, password = clerk
    page = launch_browser(None).new_page(viewport=TABLET)
    sign_in(page, live_server_process, user.username, password)  # the docs are for signed-in staff
    refused: list[str] = []
    page.on(
        "console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None
    )
    response = page.goto(f"{live_server_process.url}/api/docs/")
    page.wait_for_selector(".swagger-ui .info .title", timeout=20_000)
    page.wait_for_selector(".opblock", timeout=20_000)  # the schema was fetched and drawn
    screens.shot(page, "api-docs")

    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert refused == []


def test_the_app_is_installable(live_server_process: Server, clerk: tuple[Any, str], launch_browser: Any) -> None:
    user, password = clerk
    page = launch_browser(None).new_page(viewport=TABLET, locale="zh-CN")
    sign_in(page, live_server_process, user.username, password)
    manifest_url = page.get_attribute("link[rel=manifest]", "href")
    manifest = page.request.get(f"{live_server_process.url}{manifest_url}").json()
    icon = page.request.get(f"{live_server_process.url}{manifest['icons'][1]['src']}")

    assert manifest["display"] == "standalone"
    assert icon.ok
    assert icon.headers["content-type"] == "image/png"


def test_with_two_cameras_the_choice_is_offered_and_remembered(
    live_server_process: Server, clerk: tuple[Any, str], two_camera_browser: Any, screens: Screens
) -> None:
    user, password = clerk
    session = prepared_session(user)
    page = two_camera_browser.new_context(viewport=TABLET, locale="zh-CN", bypass_csp=True).new_page()
    sign_in(page, live_server_process, user.username, password)
    page.goto(f"{live_server_process.url}/sessions/{session.pk}/capture/")
    # Options of a <select> never count as visible: wait for them to be there, the picker to be shown.
    page.wait_for_selector("#camera-select option:nth-child(2)", state="attached", timeout=20_000)
    page.wait_for_selector("[data-camera-choice]:not([hidden])")
    options = page.eval_on_selector_all("#camera-select option", "options => options.map(o => o.value)")
    page.select_option("#camera-select", options[1])
    screens.shot(page, "capture-camera-choice")
    page.reload()
    page.wait_for_selector("#camera-select option:nth-child(2)", state="attached", timeout=20_000)

    assert len(options) == 2
    assert page.eval_on_selector("#camera-select", "select => select.value") == options[1]
    stored = page.evaluate("() => window.localStorage.getItem('shiming.camera.face')")
    assert stored == options[1]

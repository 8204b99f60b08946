"""The staff pages' top bar in Chromium: the brand, the dashboard link, who is signed in at which
outlet, "Sign out" and the languages stay on one line at both tablet sizes, in English and in
Simplified Chinese, for a clerk and for a supervisor, and none of them runs off the screen."""

from __future__ import annotations

from typing import Any

import pytest

from registration.roles import CLERK, SUPERVISOR
from tests.e2e.conftest import BrowserFactory, Screens, Server
from tests.e2e.test_capture_flow import sign_in
from tests.e2e.test_review import waiting_case

pytestmark = [pytest.mark.e2e]

# Each of the bar's items: its box and its line height; and whether the page scrolls sideways.
BAR = """header => ({
  bar: header.getBoundingClientRect().toJSON(),
  line: parseFloat(getComputedStyle(header).lineHeight),
  padding: parseFloat(getComputedStyle(header).paddingTop) + parseFloat(getComputedStyle(header).paddingBottom),
  items: [...header.children].map(item => ({text: item.innerText.trim(), ...item.getBoundingClientRect().toJSON()})),
  sideways: document.documentElement.scrollWidth > window.innerWidth,
})"""
CLERK_PAGES = ("/", "/dashboard/", "/register/")
SUPERVISOR_PAGES = ("/", "/dashboard/", "/review/")  # a case waits: the queue opens its review page


@pytest.fixture
def staff(reseed_after_flush: None, transactional_db: None, live_server_process: Server) -> dict[str, Any]:
    """A clerk and a supervisor with the README's names, at an outlet named in the page's language
    (set per test: `name_outlet`)."""
    from tests.capture.dbseed import seed_reference_rows
    from tests.factories import OutletFactory, UserFactory

    seed_reference_rows()
    outlet = OutletFactory(name="Chaoyang outlet")
    return {
        "outlet": outlet,
        "clerk": UserFactory(role=CLERK, outlet=outlet, username="wang.li"),
        "supervisor": UserFactory(role=SUPERVISOR, outlet=outlet, is_staff=True, username="zhao.min"),
        "password": "correct horse battery",
    }


def assert_one_line(page: Any, where: str) -> None:
    bar = page.locator("header.topbar").evaluate(BAR)
    items = bar["items"]
    middles = [item["y"] + item["height"] / 2 for item in items]
    assert max(middles) - min(middles) < 4, f"{where}: the top bar wraps: {items}"
    assert bar["bar"]["height"] - bar["padding"] < 1.5 * bar["line"], f"{where}: the top bar is taller than a line"
    assert all(item["right"] <= bar["bar"]["right"] + 0.5 for item in items), f"{where}: an item runs off: {items}"
    assert not bar["sideways"], f"{where}: the page scrolls sideways"
    # The names here are as long as the README's: they fit whole (only a longer outlet name is shortened).
    assert page.locator("header.topbar .who").evaluate("e => e.scrollWidth <= e.clientWidth"), f"{where}: name cut"


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
@pytest.mark.parametrize("viewport", [{"width": 768, "height": 1024}, {"width": 1024, "height": 768}])
def test_the_staff_top_bar_is_one_line(
    live_server_process: Server,
    staff: dict[str, Any],
    launch_browser: BrowserFactory,
    screens: Screens,
    locale: str,
    viewport: dict[str, int],
) -> None:
    from tests.e2e.test_capture_flow import off_loop

    outlet = staff["outlet"]
    outlet.name = "朝阳营业厅" if locale.startswith("zh") else "Chaoyang outlet"
    off_loop(lambda: outlet.save(update_fields=["name"]))
    waiting_case(staff["clerk"], b"\xff\xd8")
    browser = launch_browser(None)
    size = f"{viewport['width']}x{viewport['height']}"
    for role, pages in (("clerk", CLERK_PAGES), ("supervisor", SUPERVISOR_PAGES)):
        page = browser.new_page(viewport=viewport, locale=locale)
        sign_in(page, live_server_process, staff[role].username, staff["password"])
        for path in pages:
            response = page.goto(f"{live_server_process.url}{path}")
            assert response is not None, path
            assert response.ok, path
            page.wait_for_selector("header.topbar .who")
            screens.shot(page, f"{role}-{size}-{path.strip('/') or 'home'}")
            assert_one_line(page, f"{role} {locale} {size} {page.url}")
        page.close()

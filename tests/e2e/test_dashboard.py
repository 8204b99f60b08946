"""The outlet dashboard in Chinese and English at tablet width: badges and
headers on one line and whole (no header cut), a long name cut with an ellipsis, rows that open
their session, and one time zone (the outlet's) for reloaded and live-inserted rows, whatever the
browser's own clock says."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings

from registration import services
from tests.e2e.conftest import BrowserFactory, Screens, Server
from tests.e2e.test_capture_flow import off_loop, sign_in
from tests.factories import make_phone, make_prc_id

pytestmark = [pytest.mark.e2e]

LONG_NAME = "欧阳" + "很长很长的名字" * 28  # 198 characters


@pytest.fixture
def clerk(reseed_after_flush: None, transactional_db: None, live_server_process: Server) -> tuple[Any, str]:
    from registration.roles import CLERK
    from tests.capture.dbseed import seed_reference_rows
    from tests.factories import OutletFactory, UserFactory

    seed_reference_rows()
    return UserFactory(role=CLERK, outlet=OutletFactory(name="E2E outlet")), "correct horse battery"


def open_session(clerk: Any, name: str) -> Any:
    return services.registration_create(
        clerk=clerk, full_name=name, document_type="prc_id", document_number=make_prc_id(), phone_number=make_phone()
    )


def one_line(page: Any, selector: str) -> bool:
    """Every element matched is a single line of text (its height is under two line heights)."""
    heights = page.eval_on_selector_all(
        selector, "els => els.map(e => [e.getBoundingClientRect().height, parseFloat(getComputedStyle(e).lineHeight)])"
    )
    return bool(heights) and all(height < 1.8 * line for height, line in heights)


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
@pytest.mark.parametrize("viewport", [{"width": 1024, "height": 768}, {"width": 768, "height": 1024}])
def test_the_dashboard_reads_well_at_tablet_width(
    live_server_process: Server,
    clerk: tuple[Any, str],
    launch_browser: BrowserFactory,
    screens: Screens,
    viewport: dict[str, int],
    locale: str,
) -> None:
    user, password = clerk
    before = off_loop(open_session, user, LONG_NAME)
    # The browser's clock is in New York: the page must still show the outlet's time.
    context = launch_browser(None).new_context(
        viewport=viewport, locale=locale, timezone_id="America/New_York", bypass_csp=True
    )
    page = context.new_page()
    sign_in(page, live_server_process, user.username, password)
    page.goto(f"{live_server_process.url}/dashboard/")
    page.wait_for_selector("#dashboard[data-live='1']")
    live = off_loop(open_session, user, "王 小明")
    page.wait_for_selector(f"tr[data-session='{live.pk}']", timeout=10_000)
    screens.shot(page, f"dashboard-{locale}-{viewport['width']}x{viewport['height']}")

    zone = ZoneInfo(settings.TIME_ZONE)
    for session in (before, live):
        expected = session.created_at.astimezone(zone).strftime("%H:%M")
        assert page.inner_text(f"tr[data-session='{session.pk}'] time") == expected
    assert one_line(page, "#dashboard-rows .state")
    assert one_line(page, ".dashboard-table th")
    cut = ".dashboard-table th, #dashboard-rows .state, #dashboard-rows time"
    whole = (
        "els => els.filter(e => e.scrollWidth > e.clientWidth).map(e => [e.textContent, e.scrollWidth, e.clientWidth])"
    )
    assert page.eval_on_selector_all(cut, whole) == []
    name = page.query_selector(f"tr[data-session='{before.pk}'] td.name")
    assert name.evaluate("e => e.scrollWidth > e.clientWidth")  # cut, with text-overflow: ellipsis
    assert name.evaluate("e => getComputedStyle(e).textOverflow") == "ellipsis"
    assert page.get_attribute(f"tr[data-session='{before.pk}'] a", "title") == LONG_NAME
    table_width = page.eval_on_selector(".dashboard-table", "e => e.getBoundingClientRect().right")
    assert table_width <= viewport["width"]

    # Anywhere on the row opens the session: the name's link covers the row (so it takes the click).
    page.click(f"tr[data-session='{live.pk}'] td.phone", force=True)
    page.wait_for_url(f"**/sessions/{live.pk}/**")

"""The compliance pack in Chromium, in both languages: an admin signs in to the admin, sees the
filing threshold on the front page, records the impact assessment and opens its printable page
(with the matcher's measured error rates and the print-attack results of the stored calibration
runs), the counter notice and the monthly processing report."""

from __future__ import annotations

from typing import Any

import pytest

from registration.roles import ADMIN, CLERK
from registration.state_machine import SessionState
from tests import factories
from tests.e2e.conftest import BrowserFactory, Server
from tests.e2e.test_capture_flow import off_loop

pytestmark = [pytest.mark.e2e]
PASSWORD = "correct horse battery"
PAGES = {
    "en": {
        "front": "Face information held now: 1 people",
        "assessment": "Personal information impact assessment",
        "measured": "Measured on",
        "notice": "Notice: face verification at this counter",
        "report": "Monthly processing report",
    },
    "zh-hans": {
        "front": "当前持有人脸信息：1 人",
        "assessment": "个人信息保护影响评估",
        "measured": "测量于",
        "notice": "告知：本柜台使用人脸核验",
        "report": "月度处理情况报告",
    },
}


@pytest.fixture
def admin_with_data(reseed_after_flush: None, transactional_db: None, live_server_process: Server) -> Any:
    from tests.capture.dbseed import seed_reference_rows
    from tests.factories import OutletFactory, UserFactory
    from tests.registration.calibration_data import store_attacks, store_face

    def create() -> Any:
        seed_reference_rows()
        outlet: Any = OutletFactory(name="E2E outlet")
        clerk = factories.make_staff(CLERK, outlet=outlet)
        factories.make_session(clerk=clerk, state=SessionState.APPROVED, portrait=factories.STAND_IN_PORTRAIT)
        store_face()
        store_attacks()
        return UserFactory(role=ADMIN, outlet=outlet, is_staff=True, is_superuser=True)

    return off_loop(create)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_an_admin_prints_the_compliance_pack(
    live_server_process: Server, admin_with_data: Any, launch_browser: BrowserFactory, language: str
) -> None:
    server, expected = live_server_process, PAGES[language]
    browser = launch_browser(None)
    page = browser.new_context(extra_http_headers={"Accept-Language": language}).new_page()
    page.goto(f"{server.url}/admin/login/?next=/admin/")
    page.fill("input[name=username]", admin_with_data.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{server.url}/admin/")
    assert expected["front"] in page.inner_text("#filing-status")
    page.click("#compliance-pack button[type=submit]")
    page.wait_for_url("**/print/")
    assert expected["assessment"] in page.inner_text("h1")
    assert page.locator("#data-items tbody tr").count() >= 6
    assert expected["measured"] in page.inner_text("#matcher-measured")
    assert "95 (95.00 %)" in page.inner_text("#matcher-errors")
    assert page.locator("#liveness-attacks tbody tr").count() == 2
    for heading, address_end in (("notice", "notice/"), ("report", "report/")):
        page.goto(f"{server.url}/admin/")
        page.click(f"#compliance-pack a[href$='{address_end}']")
        page.wait_for_url(f"**/{address_end}")
        assert expected[heading] in page.inner_text("h1")

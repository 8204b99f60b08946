"""The README's screens, taken by the suite: the whole happy path in Simplified Chinese and English
at both tablet sizes. Saved under artifacts/screenshots/ as every screen is; with
SHIMING_README_SCREENSHOTS=1 also into docs/screenshots/<language>-<width>x<height>/ for the README."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import CustomerContext, Screens, Server
from tests.e2e.test_capture_flow import (
    CUSTOMER_BIRTH,
    FINAL_PHASES,
    chip_card_file,
    desk_context,
    give_consent,
    hand_over,
    open_dashboard,
    register_by_chip,
    retried_until_final,
    sign_in,
    wait_phase,
)
from tests.environment import PROJECT_ROOT
from tests.factories import make_prc_id

pytestmark = [pytest.mark.e2e, pytest.mark.worker]

DOCS = PROJECT_ROOT / "docs" / "screenshots"
README_SCREENS = ("sign-in", "registration-form", "handover", "consent", "capture-approved", "result", "dashboard")


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
@pytest.mark.parametrize("viewport", [{"width": 1024, "height": 768}, {"width": 768, "height": 1024}])
def test_the_readme_screens(
    stack: Server,
    clerk_account: tuple[Any, str],
    customer_context: CustomerContext,
    customer_chip_portrait: Path,
    screens: Screens,
    locale: str,
    viewport: dict[str, int],
) -> None:
    clerk, password = clerk_account
    context = customer_context(viewport=viewport, locale=locale)
    page = context.new_page()
    sign_in(page, stack, clerk.username, password, screens)
    dashboard = open_dashboard(
        desk_context(customer_context, stack, clerk, password, viewport=viewport, locale=locale), stack, screens
    )
    number = make_prc_id(CUSTOMER_BIRTH)
    card = chip_card_file(customer_chip_portrait, number, customer_chip_portrait.with_name(f"card-{number}.json"))
    session_id = register_by_chip(page, stack, clerk, card, screens)
    hand_over(page, screens)
    give_consent(page, screens)
    phase = retried_until_final(page, session_id, wait_phase(page, FINAL_PHASES))
    screens.shot(page, f"capture-{phase}")
    assert phase == "approved"
    page.click("#to-result")
    page.wait_for_selector("#result[data-state='approved']")
    screens.shot(page, "result")
    dashboard.bring_to_front()
    dashboard.wait_for_selector("tr[data-state='approved']", timeout=10_000)
    screens.shot(dashboard, "dashboard")

    if os.environ.get("SHIMING_README_SCREENSHOTS") == "1":
        language = locale.split("-")[0]
        target = DOCS / f"{language}-{viewport['width']}x{viewport['height']}"
        target.mkdir(parents=True, exist_ok=True)
        for shot in sorted(screens.folder.glob("*.png")):
            name = shot.stem.split("-", 1)[1]
            if name in README_SCREENS:
                shutil.copy(shot, target / f"{name}.png")

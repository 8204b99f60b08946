"""The README's screens, taken by the suite: the whole happy path in Simplified Chinese and English
at both tablet sizes, the clerk taking the tablet back from the customer, and a supervisor's queue
(a case waiting on the dashboard, then its review page with the document page the clerk photographed:
a shared passport specimen, stored by the upload's service). Saved under artifacts/screenshots/ as every screen is; with
SHIMING_README_SCREENSHOTS=1 also into docs/screenshots/<language>-<width>x<height>/ for the README."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from registration import selectors
from registration.roles import SUPERVISOR
from tests.e2e import readme_screens
from tests.e2e.conftest import CustomerContext, Screens, Server, masked_in
from tests.e2e.test_capture_flow import (
    CUSTOMER_BIRTH,
    FINAL_PHASES,
    chip_card_file,
    desk_context,
    give_consent,
    hand_over,
    off_loop,
    open_dashboard,
    register_by_chip,
    retried_until_final,
    sign_in,
    wait_phase,
)
from tests.e2e.test_review import waiting_case_with_its_page
from tests.factories import UserFactory, make_prc_id

pytestmark = [pytest.mark.e2e, pytest.mark.worker]

README_SCREENS = ("sign-in", "registration-form", "handover", "consent", "capture-approved", "result", "hand-back",
                  "dashboard", "review-queue", "review")  # fmt: skip
SPECIMEN_PAGE = "id_documents/100_pass-chn.jpg"  # the MRZ says tests.factories.SPECIMEN_PASSPORT
# How far an element's bottom lies below the first screen of the page (<= 0: in view unscrolled).
BELOW_THE_FOLD = "s => document.querySelector(s).getBoundingClientRect().bottom + window.scrollY - window.innerHeight"


def dress_for_the_readme(clerk: Any, locale: str) -> Any:
    """A staff name and an outlet as an operator's would read (the fixture's are unique test names,
    an English one on the Chinese screens); the outlet, for the supervisor's account."""
    clerk.username = "wang.li"
    clerk.save(update_fields=["username"])
    outlet = selectors.staff_outlet(clerk)
    assert outlet is not None
    outlet.name = "朝阳营业厅" if locale.startswith("zh") else "Chaoyang outlet"
    outlet.save(update_fields=["name"])
    return outlet


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
@pytest.mark.parametrize("viewport", [{"width": 1024, "height": 768}, {"width": 768, "height": 1024}])
def test_the_readme_screens(
    stack: Server,
    clerk_account: tuple[Any, str],
    customer_context: CustomerContext,
    customer_chip_portrait: Path,
    testdata: Path,
    screens: Screens,
    locale: str,
    viewport: dict[str, int],
) -> None:
    clerk, password = clerk_account
    outlet = off_loop(lambda: dress_for_the_readme(clerk, locale))
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
    # The outcome and its buttons in view without scrolling, on both sizes (the portrait one too).
    assert page.evaluate(BELOW_THE_FOLD, "#to-result") <= 0
    assert page.locator("#sound-toggle").bounding_box()["height"] < 48  # "Sound on" on one line, in English too
    page.click("#to-result")
    page.wait_for_selector("#result[data-state='approved']")
    # The script's words in place of the server's dash; a selector, as the page's CSP forbids eval.
    page.wait_for_selector("#result-reasons:not(:text-is('—'))", timeout=10_000)
    screens.shot(page, "result")
    page.click("#staff-take-back")  # customer mode: the clerk takes the tablet back with their password
    page.wait_for_selector("#customer-return #staff-return-submit")
    screens.shot(page, "hand-back")
    page.fill("#staff-password", password)
    page.click("#staff-return-submit")
    page.wait_for_url(f"**/sessions/{session_id}/result/")
    dashboard.bring_to_front()
    dashboard.wait_for_selector("tr[data-state='approved']", timeout=10_000)
    screens.shot(dashboard, "dashboard")

    # The supervisor's queue: a case of the clerk's waits for review, its document page photographed
    # (a passport specimen, read in place) and its live picture the customer's chip portrait.
    specimen = (testdata / SPECIMEN_PAGE).read_bytes()
    case = waiting_case_with_its_page(clerk, specimen, customer_chip_portrait.read_bytes())
    supervisor = off_loop(lambda: UserFactory(role=SUPERVISOR, outlet=outlet, is_staff=True, username="zhao.min"))
    desk = open_dashboard(
        desk_context(customer_context, stack, supervisor, password, viewport=viewport, locale=locale), stack, screens
    )
    assert desk.get_attribute("#review-waiting", "data-waiting") == "1"
    desk.wait_for_selector("#next-review")
    screens.shot(desk, "review-queue")
    desk.click("#next-review")
    desk.wait_for_url(f"**/review/{case.pk}/")
    desk.wait_for_selector("#review-portrait")
    desk.wait_for_selector("#decision-form")
    desk.wait_for_load_state("networkidle")  # the page photo is loaded, not a blank frame
    assert desk.eval_on_selector("#review-document-photo", "img => img.naturalWidth") > 0
    shot = screens.shot(desk, "review")
    # The faces and the document page are the shared test data's people: masked, never published.
    for picture in ("#review-portrait", "#review-live", "#review-document-photo"):
        assert masked_in(shot, desk, picture), picture

    if readme_screens.wanted():
        assert sorted(readme_screens.copy_to_docs(screens, README_SCREENS, locale, viewport)) == sorted(README_SCREENS)

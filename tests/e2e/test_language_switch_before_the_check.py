"""The language switch on the handover and consent screens, in Chromium: tapping "English" on a
Chinese screen changes its words in place (no navigation: a marker set on the window survives), and
on the consent screen the text to agree to is loaded again in English (the guardian's text too, for
a minor), so "I agree" records the English text and the language the customer read it in."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest

from registration.models import AuditEvent, ConsentRecord
from tests.e2e.conftest import BrowserFactory, Screens, Server
from tests.e2e.test_capture_flow import off_loop, sign_in
from tests.e2e.test_expired import _reading_session, clerk, customer_at_the_consent

pytestmark = [pytest.mark.e2e]
__all__ = ["clerk"]

CHINESE = re.compile(r"[\u4e00-\u9fff]")


def watch_navigations(page: Any) -> list[str]:
    """A marker on the window (gone after any reload) and the list of the frame's navigations."""
    page.evaluate("window.__sameDocument = true")
    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    return navigations


def switch_to_english(page: Any) -> None:
    page.click("form.lang button[value=en]")
    page.wait_for_selector("html[lang=en]", state="attached", timeout=10_000)


def assert_not_reloaded(page: Any, navigations: list[str]) -> None:
    assert navigations == []
    assert page.evaluate("window.__sameDocument") is True
    assert page.get_attribute("form.lang button[value=en]", "class") == "link current"


def test_the_handover_screen_changes_its_language_in_place(
    live_server_process: Server, clerk: tuple[Any, str], launch_browser: BrowserFactory, screens: Screens
) -> None:
    user, password = clerk
    session = off_loop(_reading_session, user, 600)
    page = launch_browser(None).new_page(viewport={"width": 768, "height": 1024}, locale="zh-CN")
    sign_in(page, live_server_process, user.username, password)
    page.goto(f"{live_server_process.url}/sessions/{session.pk}/handover/")
    assert page.get_attribute("html", "lang") == "zh-hans"
    assert CHINESE.search(page.inner_text("#handover h1"))
    navigations = watch_navigations(page)

    switch_to_english(page)
    screens.shot(page, "handover-switched-to-english")

    assert_not_reloaded(page, navigations)
    assert page.inner_text("#handover h1") == "Please hand the tablet to the customer"
    assert page.inner_text(".handover-customer").startswith("测试 客户, from here on the tablet is for you")
    for words in (page.inner_text("#to-consent"), page.inner_text("#retake"), page.title()):
        assert not CHINESE.search(words), words
    page.click("#to-consent")  # the server was told: the customer's next screen is in English too
    page.wait_for_url(f"**/sessions/{session.pk}/consent/")
    assert page.get_attribute("html", "lang") == "en"


def test_the_consent_screen_changes_its_language_in_place_and_records_the_one_read(
    live_server_process: Server, clerk: tuple[Any, str], launch_browser: BrowserFactory, screens: Screens
) -> None:
    session = off_loop(_reading_session, clerk[0], 600)
    page = launch_browser(None).new_page(viewport={"width": 1024, "height": 768}, locale="zh-CN")
    customer_at_the_consent(page, live_server_process, clerk, session)  # customer mode, as at the outlet
    page.wait_for_selector("#accept:not([disabled])")
    assert CHINESE.search(page.inner_text("#consent-body"))
    navigations = watch_navigations(page)

    switch_to_english(page)
    page.wait_for_selector("#consent-version:has-text('Consent text version')", timeout=10_000)
    page.wait_for_selector("#accept:not([disabled])")
    screens.shot(page, "consent-switched-to-english")

    assert_not_reloaded(page, navigations)
    assert page.get_attribute("#consent", "data-language") == "en"
    shown = [page.inner_text(selector) for selector in ("#consent-title", "#consent-body", ".step-label", "#accept",
                                                         "#refuse", "#time-left-text", "#staff-return")]  # fmt: skip
    for words in [*shown, page.title()]:
        assert not CHINESE.search(words), words
    assert page.inner_text("#accept") == "I agree"
    page.click("#accept")
    page.wait_for_url(f"**/sessions/{session.pk}/capture/")

    record = off_loop(lambda: ConsentRecord.objects.select_related("consent_text").get(session__pk=session.pk))
    assert record.consent_text.language == "en"
    assert not CHINESE.search(record.shown_body)
    consented = off_loop(lambda: AuditEvent.objects.get(object_id=str(session.pk), action="session.consented").details)
    assert consented["language"] == "en", consented


def test_a_minors_guardian_text_changes_its_language_in_place_too(
    live_server_process: Server, clerk: tuple[Any, str], launch_browser: BrowserFactory, screens: Screens
) -> None:
    session = off_loop(_reading_session, clerk[0], 600, date(2014, 5, 1))  # a minor: a guardian consents too
    page = launch_browser(None).new_page(viewport={"width": 1024, "height": 768}, locale="zh-CN")
    customer_at_the_consent(page, live_server_process, clerk, session)
    page.wait_for_selector("#accept:not([disabled])")
    page.click("#accept")  # the server asks for the guardian: their text and fields appear
    page.wait_for_selector("#guardian:not([hidden])", timeout=10_000)
    page.wait_for_function("() => document.getElementById('guardian-body').innerText.trim().length > 0")
    assert CHINESE.search(page.inner_text("#guardian-body"))
    navigations = watch_navigations(page)

    switch_to_english(page)
    page.wait_for_function(
        "() => !/[\\u4e00-\\u9fff]/.test(document.getElementById('guardian-body').innerText)", timeout=10_000
    )
    screens.shot(page, "guardian-switched-to-english")

    assert_not_reloaded(page, navigations)
    assert page.is_visible("#guardian")
    assert page.is_hidden("#consent-error")  # worded in Chinese: hidden until a new try words it again
    for selector in ("#guardian-title", "#guardian-body", "#guardian label"):
        for words in page.locator(selector).all_inner_texts():
            assert words.strip(), selector
            assert not CHINESE.search(words), (selector, words)

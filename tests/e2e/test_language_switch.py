"""The language switch on the live-check screen, in Chromium with the prompt-following customer: a
customer in customer mode who starts the check in Chinese and taps "English" during it sees the same
screen in English (the prompt, the page's own words, `<html lang>`) without a reload, and the attempt
goes on to its end: it is neither interrupted nor counted twice. The next page is in English too."""

from __future__ import annotations

import re
from typing import Any

import pytest

from registration.models import AuditEvent
from tests.e2e.conftest import CustomerContext, Screens, Server
from tests.e2e.test_capture_flow import (
    FINAL_PHASES,
    off_loop,
    prepared_session,
    sign_in,
    start_check,
    state_of,
    wait_phase,
)

pytestmark = [pytest.mark.e2e, pytest.mark.worker]

CHINESE = re.compile(r"[\u4e00-\u9fff]")


def enter_customer_mode(page: Any, server: Server, session_id: Any) -> None:
    """The handover's "I am the customer" (the session is past its consent, so asked for directly)."""
    token = page.get_attribute("input[name=csrfmiddlewaretoken]", "value")
    handed = page.request.post(
        f"{server.url}/sessions/{session_id}/customer-mode/", form={"csrfmiddlewaretoken": token}, max_redirects=0
    )
    assert handed.status == 302, handed.text()


def test_english_chosen_during_the_check_changes_the_words_not_the_attempt(
    stack: Server, clerk_account: tuple[Any, str], customer_context: CustomerContext, screens: Screens
) -> None:
    clerk, password = clerk_account
    session = prepared_session(clerk)
    page = customer_context(viewport={"width": 1280, "height": 800}, locale="zh-CN").new_page()
    sign_in(page, stack, clerk.username, password)
    capture_url = f"{stack.url}/sessions/{session.pk}/capture/"
    page.goto(capture_url)
    enter_customer_mode(page, stack, session.pk)
    page.goto(capture_url)
    assert page.is_visible("#staff-return")  # the customer's screen, with only the hand-back link
    assert page.get_attribute("html", "lang") == "zh-hans"
    start_check(page)
    wait_phase(page, ("challenge",), 30_000)
    assert CHINESE.search(page.inner_text("#prompt-text"))
    page.evaluate("window.__sameDocument = true")
    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))

    page.click("form.lang button[value=en]")
    page.wait_for_selector("html[lang=en]", state="attached", timeout=10_000)
    screens.shot(page, "capture-switched-to-english")

    assert page.evaluate("window.__sameDocument") is True
    assert page.get_attribute("form.lang button[value=en]", "class") == "link current"
    phase = str(page.get_attribute("#capture", "data-phase"))
    prompt = page.inner_text("#prompt-text")
    if phase == "challenge":
        assert prompt, "the prompt is on screen in the new language"
    shown = [prompt, page.inner_text(".step-label"), page.inner_text("#time-left-text"), page.title()]
    for words in [*shown, page.inner_text("#staff-return")]:
        assert not CHINESE.search(words), words
    assert not CHINESE.search(page.get_attribute("#steps", "aria-label") or "")

    phase = wait_phase(page, FINAL_PHASES)
    screens.shot(page, f"capture-english-{phase}")
    assert navigations == []
    assert page.evaluate("window.__sameDocument") is True
    assert not CHINESE.search(page.inner_text("#outcome-title")), page.inner_text("#outcome-title")
    after = state_of(session.pk)
    assert after.attempt_count == 1, after.__dict__  # one attempt, not given back as interrupted
    interrupted = off_loop(
        lambda: AuditEvent.objects.filter(object_id=str(session.pk), action="capture.interrupted").count()
    )
    assert interrupted == 0
    page.goto(f"{stack.url}/sessions/{session.pk}/result/")  # the server was told: the next page is English
    assert page.get_attribute("html", "lang") == "en"

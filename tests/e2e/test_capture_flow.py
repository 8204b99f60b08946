"""The product in a real browser: Chromium whose camera is the prompt-following customer (a canvas
playing bench/actors/customer.py), the production random challenge plan, the real ASGI server and
a real Celery worker, PostgreSQL and Redis. Every screen is saved under artifacts/screenshots/."""

from __future__ import annotations

import io
import json
import math
import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django import db
from PIL import Image

from bench.actors.card import CARD_PORTRAIT_BOX
from bench.actors.customer import lazy
from registration import services
from registration.models import AuditEvent, CardReader, EvidenceKind, VerificationSession
from registration.reader_agent import ReaderAgent, SimulatedReader
from registration.reader_protocol import public_key_hex
from registration.state_machine import SessionState
from registration.verification_policy import effective_policy
from tests.e2e.conftest import SCREENSHOTS, BrowserFactory, CustomerContext, Screens, Server
from tests.factories import as_read_from_the_chip, make_phone, make_prc_id

pytestmark = [pytest.mark.e2e, pytest.mark.worker]

# A customer whose attempt fails tries again, as the product lets them (three attempts by default):
# the shared footage's left turn clears the 20 degree threshold only narrowly in Chromium, about one
# attempt in six misses it (bench/actors/README.md), so the tests use the retries a customer has.
RETRIES_ALLOWED = 2
CUSTOMER_NAME = "王 小明"
CUSTOMER_BIRTH = date(1990, 3, 7)
S = SessionState
T = TypeVar("T")
DECIDED = "approved, rejected, manual_review"
FINAL_PHASES = ("approved", "rejected", "manual_review", "liveness_failed")


# --- steps -------------------------------------------------------------------------------------


def sign_in(page: Any, server: Server, username: str, password: str, screens: Screens | None = None) -> None:
    page.goto(f"{server.url}/login/")
    if screens:
        screens.shot(page, "sign-in")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{server.url}/")


def register_customer(page: Any, server: Server, screens: Screens, document_number: str = "") -> str:
    """The clerk types a PRC card's details (its chip could not be read): a supervisor's case."""
    page.click("#new-registration")
    page.wait_for_url(f"{server.url}/register/")
    page.click("#type-instead")
    page.fill("input[name=full_name]", CUSTOMER_NAME)
    page.fill("input[name=document_number]", document_number or make_prc_id())
    page.fill("input[name=phone_number]", make_phone().removeprefix("+86"))
    screens.shot(page, "registration-form")
    page.click("#register-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/sessions/[0-9a-f-]+/document/$"))  # the clerk's next step
    return page.url.rstrip("/").split("/")[-2]


def upload_document(page: Any, card: Path, screens: Screens) -> None:
    """The clerk photographs the document, checks the portrait and is done: the handover screen."""
    screens.shot(page, "document")
    with page.expect_response(_document_upload, timeout=60_000) as uploaded:  # a retake shows the old one first
        page.set_input_files("#document-file", str(card))
    assert uploaded.value.status == 200, uploaded.value.text()
    page.wait_for_selector("#portrait-box:not([hidden])", timeout=60_000)
    page.wait_for_selector("#portrait[src]")
    screens.shot(page, "document-portrait")
    page.click("#to-handover")
    page.wait_for_url(re.compile(r".*/handover/$"))


def register_by_chip(page: Any, server: Server, clerk: Any, card: Path, screens: Screens) -> str:
    """A PRC card's normal path: the clerk types the phone number only and puts the card on the outlet's
    reader; the reader agent (its simulated reader, enrolled for the clerk's outlet) answers the page's
    request with a signed read, and the page shows the name, number and date of birth read from the
    chip, never as fields to type. Then the document step shows the chip's portrait."""
    key = Ed25519PrivateKey.generate()
    reader = off_loop(
        lambda: CardReader.objects.create(outlet=clerk.staff_profile.outlet, name="e2e", public_key=public_key_hex(key))
    )
    agent = ReaderAgent(server=server.url, reader_id=str(reader.pk), key=key, device=SimulatedReader(card))
    page.click("#new-registration")
    page.wait_for_url(f"{server.url}/register/")
    page.fill("input[name=phone_number]", make_phone().removeprefix("+86"))
    assert page.is_hidden("input[name=full_name]")
    assert page.is_hidden("input[name=document_number]")
    screens.shot(page, "registration-form")
    with ThreadPoolExecutor(max_workers=1) as pool:
        answered = pool.submit(_answer_one_request, agent)
        page.click("#chip-read")
        assert answered.result(timeout=90)["state"] == S.DOCUMENT_CAPTURED
    page.wait_for_selector("#chip-data:not([hidden])", timeout=30_000)
    assert page.inner_text("#chip-full-name") == CUSTOMER_NAME
    assert page.inner_text("#chip-birth-date") == CUSTOMER_BIRTH.isoformat()
    assert page.is_visible("#chip-mark")
    assert page.is_hidden("input[name=full_name]")  # nothing to type, nothing to change
    screens.shot(page, "registration-chip")
    page.click("#chip-continue")
    page.wait_for_url(re.compile(r".*/sessions/[0-9a-f-]+/document/$"))
    session_id = page.url.rstrip("/").split("/")[-2]
    page.wait_for_selector("#portrait-box:not([hidden])", timeout=60_000)
    screens.shot(page, "document-chip")
    page.click("#to-handover")
    page.wait_for_url(re.compile(r".*/handover/$"))
    return session_id


def _answer_one_request(agent: ReaderAgent, seconds: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        answers = agent.run_once()
        if answers:
            return answers[0]
        time.sleep(0.5)
    raise AssertionError("the page never asked the reader for a chip read")


def chip_card_file(chip_portrait: Path, document_number: str, out: Path) -> Path:
    """The simulated reader's card: the customer's identity and the chip's portrait."""
    card = {
        "document_type": "prc_id",
        "full_name": CUSTOMER_NAME,
        "document_number": document_number,
        "birth_date": CUSTOMER_BIRTH.isoformat(),
        "portrait": str(chip_portrait),
    }
    out.write_text(json.dumps(card, ensure_ascii=False))
    return out


def _document_upload(response: Any) -> bool:
    return bool(response.request.method == "POST" and response.url.endswith("/document/"))


def hand_over(page: Any, screens: Screens) -> None:
    """The one handover: the customer takes the tablet and continues to the consent."""
    page.wait_for_selector("#to-consent")
    screens.shot(page, "handover")
    page.click("#to-consent")
    page.wait_for_url(re.compile(r".*/consent/$"))


def give_consent(page: Any, screens: Screens) -> None:
    page.wait_for_selector("#accept:not([disabled])")
    screens.shot(page, "consent")
    page.click("#accept")
    page.wait_for_url(re.compile(r".*/capture/$"))
    start_check(page)


def start_check(page: Any) -> None:
    """The customer sees the camera and taps Start when ready: the attempt begins (nothing counts before)."""
    page.click("#start", timeout=30_000)


def wait_phase(page: Any, phases: tuple[str, ...], timeout_ms: int = 90_000) -> str:
    try:
        # A selector, not a script predicate: the page's CSP forbids eval, which a predicate needs.
        selector = ", ".join(f"#capture[data-phase='{phase}']" for phase in phases)
        page.wait_for_selector(selector, state="attached", timeout=timeout_ms)
    except Exception:
        page.screenshot(path=str(SCREENSHOTS / f"timeout-{int(time.time())}.png"), full_page=True)
        print("phase:", page.get_attribute("#capture", "data-phase"), "text:", page.inner_text("#capture"))
        raise
    return str(page.get_attribute("#capture", "data-phase"))


def decision_ms(page: Any) -> float | None:
    value = page.get_attribute("#capture", "data-decision-ms")
    return float(value) if value else None


def desk_context(customer_context: CustomerContext, server: Server, clerk: Any, password: str, **options: Any) -> Any:
    """The outlet's other screen, signed in as the clerk: from the handover the tablet shows only the
    customer's screens (customer mode), so the dashboard is watched from here."""
    context = customer_context(**({"viewport": {"width": 1280, "height": 800}, "locale": "zh-CN"} | options))
    sign_in(context.new_page(), server, clerk.username, password)
    return context


def open_dashboard(context: Any, server: Server, screens: Screens) -> Any:
    dashboard = context.new_page()
    dashboard.goto(f"{server.url}/dashboard/")
    dashboard.wait_for_selector("#dashboard[data-live='1']")
    return dashboard


def prepared_session(clerk: Any, portrait_jpeg: bytes = b"") -> VerificationSession:
    """A session past the document and the consent, made through the services (the document step is
    covered by the full flows; here the portrait is stored directly)."""
    return off_loop(_prepare_session, clerk, portrait_jpeg)


def _prepare_session(clerk: Any, portrait_jpeg: bytes) -> VerificationSession:
    session = services.registration_create(
        clerk=clerk,
        full_name="测试 客户",
        document_type="prc_id",
        document_number=make_prc_id(),
        phone_number=make_phone(),
    )
    services.evidence_store(
        session=session, kind=EvidenceKind.ID_PORTRAIT, content=portrait_jpeg or b"-", content_type="image/jpeg"
    )
    # As a signed chip read leaves it (the chip flow has its own test).
    VerificationSession.objects.filter(pk=session.pk).update(state=S.DOCUMENT_CAPTURED)
    as_read_from_the_chip(session)
    services.consent_record(session_id=session.pk, actor=clerk, consent_version="3", language="zh-hans")
    return VerificationSession.objects.get(pk=session.pk)


def off_loop(function: Callable[..., T], *args: Any) -> T:
    """Run ORM work in a plain thread: Playwright's event loop runs in this one, and the services'
    on-commit pushes (async_to_sync) refuse to run beside a running loop."""

    def run() -> T:
        try:
            return function(*args)
        finally:
            db.connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


def portrait_from_card(card: Path) -> bytes:
    with Image.open(card) as image:
        crop = image.crop(CARD_PORTRAIT_BOX)
        buffer = io.BytesIO()
        crop.save(buffer, format="JPEG", quality=92)
        return buffer.getvalue()


def state_of(session_id: Any) -> VerificationSession:
    return off_loop(lambda: VerificationSession.objects.get(pk=session_id))


def wait_for_state(session_id: Any, states: set[str], seconds: float = 30) -> VerificationSession:
    deadline = time.monotonic() + seconds
    while True:
        session = state_of(session_id)
        if session.state in states or time.monotonic() > deadline:
            return session
        time.sleep(0.2)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1)]


# --- flows -------------------------------------------------------------------------------------


def retried_until_final(page: Any, session_id: Any, phase: str) -> str:
    """A customer whose attempt failed liveness tries again while the product allows it."""
    for retry in range(RETRIES_ALLOWED):
        if phase != "liveness_failed":
            break
        verdict = state_of(session_id).liveness_detail.get("verdict")
        print(f"\nattempt {retry + 1} failed: {verdict}", page.evaluate("window.__customerLog"))
        page.click("#retry")
        if page.is_visible("#light-warning"):  # after a failed light step the customer chooses again
            page.click("#light-start")
        phase = wait_phase(page, FINAL_PHASES)
    return phase


def test_happy_path_is_approved_on_the_page_and_the_dashboard(
    stack: Server,
    clerk_account: tuple[Any, str],
    customer_context: CustomerContext,
    customer_chip_portrait: Path,
    screens: Screens,
) -> None:
    clerk, password = clerk_account
    context = customer_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    sign_in(page, stack, clerk.username, password, screens)
    screens.shot(page, "home")
    dashboard = open_dashboard(desk_context(customer_context, stack, clerk, password), stack, screens)
    number = make_prc_id(CUSTOMER_BIRTH)
    card = chip_card_file(customer_chip_portrait, number, customer_chip_portrait.with_name(f"card-{number}.json"))
    session_id = register_by_chip(page, stack, clerk, card, screens)
    hand_over(page, screens)
    give_consent(page, screens)
    wait_phase(page, ("challenge",), 30_000)
    screens.shot(page, "capture-challenge")
    phase = wait_phase(page, FINAL_PHASES)
    screens.shot(page, f"capture-{phase}")
    phase = retried_until_final(page, session_id, phase)
    screens.shot(page, f"capture-final-{phase}")

    decided = state_of(session_id)
    policy = off_loop(effective_policy)
    print(
        f"\nplan {decided.challenge_plan}: {phase}, {policy.face_score_metric} {decided.match_distance} "
        f"(matcher {policy.face_matcher}, approve at {policy.face_accept_threshold})"
    )
    assert any(step.startswith("turn_") for step in decided.challenge_plan)  # the production plan: a turn
    # The chip's portrait is cut from the customer's own footage: the same face, so the score is well
    # inside the approve band and the correct decision is `approved` (manual_review would be a fault).
    assert decided.match_distance is not None, decided.__dict__
    assert decided.match_detail["band"] == "approve", decided.__dict__
    assert phase == "approved", decided.__dict__
    latency = decision_ms(page)
    print(f"\nlast challenge step -> decision on the clerk's screen: {latency:.0f} ms (first run, cold worker)")
    dashboard.wait_for_selector(f"tr[data-session='{session_id}'][data-state='approved']", timeout=10_000)
    screens.shot(dashboard, "dashboard")
    page.click("#to-result")
    page.wait_for_selector("#result[data-state='approved']")
    screens.shot(page, "result")


def test_another_persons_photo_is_rejected_or_sent_to_review(
    stack: Server,
    clerk_account: tuple[Any, str],
    customer_context: CustomerContext,
    other_person_card: Path,
    screens: Screens,
) -> None:
    clerk, password = clerk_account
    page = customer_context(viewport={"width": 800, "height": 1280}, locale="en-US").new_page()  # portrait tablet
    sign_in(page, stack, clerk.username, password)
    session_id = register_customer(page, stack, screens)
    upload_document(page, other_person_card, screens)
    hand_over(page, screens)
    give_consent(page, screens)
    phase = wait_phase(page, FINAL_PHASES)
    screens.shot(page, f"capture-{phase}")
    phase = retried_until_final(page, session_id, phase)

    assert phase in {"rejected", "manual_review"}, state_of(session_id).__dict__


def test_a_still_photo_in_front_of_the_camera_fails_liveness(
    stack: Server,
    clerk_account: tuple[Any, str],
    launch_browser: BrowserFactory,
    still_camera_file: Path,
    screens: Screens,
) -> None:
    clerk, password = clerk_account
    session = prepared_session(clerk)
    page = launch_browser(still_camera_file).new_page(viewport={"width": 1280, "height": 800})
    sign_in(page, stack, clerk.username, password)
    page.goto(f"{stack.url}/sessions/{session.pk}/capture/")
    start_check(page)
    phase = wait_phase(page, FINAL_PHASES, 120_000)
    screens.shot(page, f"capture-{phase}")

    assert phase == "liveness_failed"
    assert state_of(session.pk).state in {S.LIVENESS_FAILED, S.REJECTED}
    assert page.is_visible("#retry")


def test_a_denied_camera_is_explained_and_costs_no_attempt(
    stack: Server,
    clerk_account: tuple[Any, str],
    launch_browser: BrowserFactory,
    screens: Screens,
) -> None:
    clerk, password = clerk_account
    session = prepared_session(clerk)
    page = launch_browser(None, deny_camera=True).new_page(viewport={"width": 1280, "height": 800})
    sign_in(page, stack, clerk.username, password)
    page.goto(f"{stack.url}/sessions/{session.pk}/capture/")
    wait_phase(page, ("camera_denied",), 20_000)
    screens.shot(page, "capture-camera-denied")

    assert page.is_visible("#retry")
    after = state_of(session.pk)
    assert (after.state, after.attempt_count) == (S.CONSENTED, 0)


def test_closing_the_browser_mid_challenge_interrupts_the_attempt_and_ends_the_peer(
    stack: Server,
    clerk_account: tuple[Any, str],
    customer_context: CustomerContext,
    screens: Screens,
) -> None:
    clerk, password = clerk_account
    session = prepared_session(clerk)
    context = customer_context(viewport={"width": 1280, "height": 800})
    browser = context.browser
    page = context.new_page()
    sign_in(page, stack, clerk.username, password)
    page.goto(f"{stack.url}/sessions/{session.pk}/capture/")
    start_check(page)
    wait_phase(page, ("challenge",), 30_000)
    screens.shot(page, "capture-before-close")
    browser.close()

    after = wait_for_state(session.pk, {S.CONSENTED, S.LIVENESS_FAILED})
    # interrupted, not failed: the customer did not try, the attempt is given back (audited)
    assert (after.state, after.attempt_count) == (S.CONSENTED, 0)
    interrupted = off_loop(
        lambda: AuditEvent.objects.get(object_id=str(session.pk), action="capture.interrupted").details
    )
    assert interrupted["reason"] in {"disconnected", "connection_closed", "video_stalled"}
    deadline = time.monotonic() + 10
    while f"capture {session.pk} ended" not in stack.log_text() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert f"capture {session.pk} ended" in stack.log_text()
    assert re.search(rf"capture {session.pk} ended: \w+; peer connection closed", stack.log_text())


def test_a_second_tab_on_the_same_session_is_refused(
    stack: Server,
    clerk_account: tuple[Any, str],
    customer_context: CustomerContext,
    screens: Screens,
) -> None:
    clerk, password = clerk_account
    session = prepared_session(clerk)
    context = customer_context(viewport={"width": 1280, "height": 800})
    first = context.new_page()
    sign_in(first, stack, clerk.username, password)
    first.goto(f"{stack.url}/sessions/{session.pk}/capture/")
    start_check(first)
    wait_phase(first, ("challenge",), 30_000)
    second = context.new_page()
    second.goto(f"{stack.url}/sessions/{session.pk}/capture/")
    start_check(second)
    wait_phase(second, ("refused",), 20_000)
    screens.shot(second, "capture-second-tab")

    assert second.get_attribute("#capture", "data-error-code") == "capture_in_progress"
    assert first.get_attribute("#capture", "data-phase") in {"challenge", "checking", *FINAL_PHASES}
    assert state_of(session.pk).attempt_count == 1


def test_decision_latency_after_the_last_step_is_printed(
    stack: Server,
    clerk_account: tuple[Any, str],
    customer_context: CustomerContext,
    same_person_card: Path,
) -> None:
    """Warm figures: one capture to warm the worker, then the measured ones."""
    clerk, password = clerk_account
    portrait = portrait_from_card(same_person_card)
    page = customer_context(viewport={"width": 1280, "height": 800}).new_page()
    sign_in(page, stack, clerk.username, password)
    latencies, phases = [], []
    for run in range(6):
        session = prepared_session(clerk, portrait)
        page.goto(f"{stack.url}/sessions/{session.pk}/capture/")
        start_check(page)
        phase = wait_phase(page, FINAL_PHASES)
        phase = retried_until_final(page, session.pk, phase)
        after = state_of(session.pk)
        phases.append((phase, after.challenge_plan, after.liveness_reasons))
        latency = decision_ms(page)
        if run > 0 and latency is not None:
            latencies.append(latency)
    print(f"\nphases: {phases}")
    print(
        f"last challenge step -> decision on the clerk's screen (warm, n={len(latencies)}): "
        f"p50 {percentile(latencies, 0.5):.0f} ms, p95 {percentile(latencies, 0.95):.0f} ms, "
        f"max {max(latencies):.0f} ms, all {[round(v) for v in latencies]}"
    )
    assert len(latencies) == 5


@pytest.mark.parametrize(
    ("respond", "reasons"),
    # The wrong-way customer is left to the engine tests (tests/liveness): in Chromium it failed once
    # with step_timeout (a missed blink before its first turn) and once with too_early (not yet understood).
    [(lazy, {"step_timeout", "too_late"})],
    ids=["lazy"],
)
def test_a_customer_who_does_not_follow_the_prompt_fails_with_the_reason_on_the_page(
    stack: Server,
    clerk_account: tuple[Any, str],
    customer_context: CustomerContext,
    screens: Screens,
    respond: Callable[[str], str | None],
    reasons: set[str],
) -> None:
    """The lazy customer never moves: the step times out or the reaction window closes."""
    clerk, password = clerk_account
    session = prepared_session(clerk)
    page = customer_context(respond=respond, viewport={"width": 1280, "height": 800}, locale="en-US").new_page()
    sign_in(page, stack, clerk.username, password)
    page.goto(f"{stack.url}/sessions/{session.pk}/capture/")
    start_check(page)
    phase = wait_phase(page, FINAL_PHASES, 120_000)
    screens.shot(page, f"capture-{phase}")

    after = state_of(session.pk)
    assert phase == "liveness_failed", after.__dict__
    assert after.liveness_reasons, after.__dict__
    assert after.liveness_reasons[0] in reasons, (after.challenge_plan, after.liveness_reasons)
    # The page names the step that failed (feedback.js failureText) and, for a late start, why.
    words = {
        "step_timeout": "seen in time.",  # "No blink was seen in time." / "The turn ... was not seen in time."
        "too_late": "The movement began too long after the prompt.",
    }
    detail = page.inner_text("#outcome-detail")
    assert "was not passed." in detail, detail
    assert words[after.liveness_reasons[0]] in detail, detail

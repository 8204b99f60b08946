"""Nothing tells the customer's side the attempt's plan before each step is prompted: the capture
socket's "ready" message gives the step count alone and each step's action is named first by the
status that prompts it; nothing else the clerk's screens can read (the REST session, the pushes to
the clerk's page and the dashboard, the capture page, the admin) names a step while the attempt
runs. A finished attempt's plan may be shown afterwards (admin, review): the attack, picking footage
to fit the plan, needs it in advance.

Within one attempt the engine calibrates again after a lost face (out of sight for over a second)
or a changed face only before the attempt's first prompt; after it the attempt fails (`face_lost`,
`identity_jump`) and the next attempt draws a new plan, so hiding the camera after each prompt
cannot reveal the steps.

A scripted analysis plays the engine (in the restart test: the real engine, fed by a scripted face
mesh); the consumer, the services, PostgreSQL and the Redis channel layer are real (committed
data: the consumers read it from other threads).
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, cast

import pytest
from asgiref.sync import async_to_sync
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from capture.routing import websocket_urlpatterns
from capture.webrtc.analysis import ExtractorPool, LivenessSessionAnalysis
from liveness import ChallengeStep, FrameFeatures, LivenessConfig
from registration import services
from registration.liveness_settings import liveness_config
from registration.models import Outlet, VerificationSession
from registration.roles import CLERK
from registration.state_machine import SessionState
from tests import factories
from tests.capture.dbseed import reseed_after_flush, seed_reference_rows
from tests.capture.fakes import BrowserPeer, FakeAnalysis, receive, receive_until
from tests.factories import OutletFactory
from tests.liveness.synthetic import FaceStream, no_face
from tests.peer_registry import fresh_peer_registry

from .report import record_access

if TYPE_CHECKING:
    from liveness.extractor import LandmarkExtractor

__all__ = ["reseed_after_flush"]

pytestmark = [pytest.mark.security]

ROUTES = URLRouter(websocket_urlpatterns)
PLAN = ["turn_right", "blink", "turn_left"]  # three different actions: a name tells which step it is
STEP_CODES = frozenset(step.value for step in ChallengeStep)


@pytest.fixture(autouse=True)
def known_plan(settings: Any) -> None:
    settings.SHIMING_FIXED_CHALLENGE_PLAN = PLAN


def named_steps(value: Any) -> set[str]:
    """Every step action named anywhere in a message (any key, any depth)."""
    if isinstance(value, str):
        return {value} & STEP_CODES
    if isinstance(value, dict):
        return set().union(*map(named_steps, value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*map(named_steps, value)) if value else set()
    return set()


def first_prompt(messages: list[dict[str, Any]], index: int) -> int:
    """The position of the status that prompts step `index`."""
    return next(
        n
        for n, message in enumerate(messages)
        if message["type"] == "status" and message["step_index"] == index and message["step"]
    )


# --- the capture socket and the pushes, during a real attempt -------------------------------------


@pytest.fixture
def capture_outlet(reseed_after_flush: None, transactional_db: None) -> Outlet:
    seed_reference_rows()
    return cast(Outlet, OutletFactory())


@pytest.fixture
def scripted_engine(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr("capture.webrtc.analysis.build_analysis", lambda plan: FakeAnalysis(list(plan)))
    with fresh_peer_registry():
        yield


def _socket(path: str, user: Any) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(ROUTES, path)
    communicator.scope["user"] = user
    return communicator


async def _attempt(session: VerificationSession, clerk: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """One attempt: every capture-socket message to "captured", and the pushes the clerk's page and
    the dashboard got when it started."""
    page, dashboard = _socket(f"/ws/sessions/{session.pk}/", clerk), _socket("/ws/dashboard/", clerk)
    assert (await page.connect(timeout=5))[0]
    assert (await dashboard.connect(timeout=5))[0]
    await page.receive_json_from(timeout=5)  # the session as it was, on connecting
    capture = _socket(f"/ws/capture/{session.pk}/", clerk)
    assert (await capture.connect(timeout=5))[0]
    browser = BrowserPeer()
    try:
        ready = await receive(capture)
        assert ready["type"] == "ready", ready
        pushes = [await page.receive_json_from(timeout=5), await dashboard.receive_json_from(timeout=5)]
        await capture.send_json_to({"type": "offer", "sdp": await browser.offer_sdp()})
        answer = await receive(capture)
        await browser.accept_answer(answer["sdp"])
        return [ready, answer, *await receive_until(capture, "captured")], pushes
    finally:
        await browser.close()
        for communicator in (capture, page, dashboard):
            await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("scripted_engine")
def test_no_step_is_named_before_its_prompt(capture_outlet: Outlet) -> None:
    clerk = factories.make_staff(CLERK, outlet=capture_outlet)
    session = factories.make_session(clerk=clerk, state=SessionState.CONSENTED, portrait=b"portrait")

    messages, pushes = async_to_sync(_attempt)(session, clerk)

    for index, action in enumerate(PLAN):
        before = messages[: first_prompt(messages, index)]
        named = set().union(*map(named_steps, before))
        leaked = action in named
        record_access(f"WS ws/capture/{{id}}/ step {index + 1} before its prompt", "right user",
                      expected="hidden", got="shown" if leaked else "hidden")  # fmt: skip
        assert named == set(PLAN[:index]), (index, [m for m in before if named_steps(m)])
    ready = messages[0]
    assert named_steps(ready) == set(), ready
    assert (ready["steps"], ready["attempt"]) == (len(PLAN), 1)  # the page draws that many neutral chips
    for push in pushes:
        assert push["session"]["state"] == SessionState.LIVENESS_RUNNING
        assert named_steps(push) == set(), push
    record_access("WS ws/sessions/ and ws/dashboard/ push, attempt running", "right user", expected="no plan",
                  got="plan" if any(map(named_steps, pushes)) else "no plan")  # fmt: skip


# --- what the clerk's API, the pages and the admin show while the attempt runs ----------------------


def _capture_page_payload(client: Client, session: VerificationSession) -> Any:
    html = client.get(f"/sessions/{session.pk}/capture/").content.decode()
    match = re.search(r'<script id="session-payload" type="application/json">(.*?)</script>', html, re.S)
    assert match, "the capture page embeds the session"
    return json.loads(match.group(1))


@pytest.mark.django_db
def test_the_api_the_pages_and_the_admin_name_no_step_while_the_attempt_runs(
    clerk: User, supervisor: User, client_for: Callable[[Any], APIClient]
) -> None:
    session = factories.make_session(clerk=clerk, state=SessionState.CONSENTED, portrait=b"portrait")
    started = services.capture_start(session_id=session.pk, actor=clerk)
    assert started.challenge_plan == PLAN  # drawn: there is a plan to leak
    api = client_for(clerk)
    page, admin_page = Client(), Client()
    page.force_login(clerk)
    admin_page.force_login(supervisor)
    admin_url = reverse("admin:registration_verificationsession_change", args=[session.pk])

    seen = {
        "GET api/sessions/{id}/, attempt running": api.get(f"/api/sessions/{session.pk}/").json(),
        "GET api/sessions/, attempt running": api.get("/api/sessions/").json()["results"],
        "capture page payload, attempt running": _capture_page_payload(page, session),
        "admin session page, attempt running": admin_page.get(admin_url).content.decode(),
    }
    for where, shown in seen.items():
        named = named_steps(shown) if not isinstance(shown, str) else {code for code in PLAN if code in shown}
        record_access(where, "right user", expected="no plan", got="plan" if named else "no plan")
        assert named == set(), (where, named)

    services.capture_abort(session_id=session.pk, nonce=started.challenge_nonce, reason="disconnected")
    finished = admin_page.get(admin_url).content.decode()
    assert ", ".join(PLAN) in finished  # the supervisor may read an ended attempt's plan


# --- hiding the face after a prompt, to have the attempt run its plan again ---------------------------


class CoveredCamera:
    """What the face mesh reads from the attacker's camera: a steady frontal face that never blinks,
    or no face while `covered` is set (from the test's event loop; read on the pump's threads)."""

    color = "rgb"

    def __init__(self) -> None:
        self.covered = threading.Event()
        self._face = FaceStream()

    def extract(self, frame: Any, t: float) -> FrameFeatures:
        return no_face(t) if self.covered.is_set() else self._face.frame(t)

    def reset(self, light: bool = False) -> None:
        """Nothing to forget: one camera per attempt."""

    def close(self) -> None:
        """Nothing to release."""


class CameraPool(ExtractorPool):
    """Hands the real analysis the covered camera in place of the face-mesh model."""

    def __init__(self, camera: CoveredCamera) -> None:
        super().__init__()
        self.camera = camera

    def acquire(self, config: LivenessConfig) -> LandmarkExtractor:
        return cast("LandmarkExtractor", self.camera)

    def release(self, config: LivenessConfig, extractor: LandmarkExtractor) -> None:
        """The camera is the test's own."""


@pytest.fixture
def covered_camera(monkeypatch: pytest.MonkeyPatch) -> Iterator[CoveredCamera]:
    """The real analysis and engine, with the capture's own thresholds, on the covered camera."""
    camera = CoveredCamera()
    monkeypatch.setattr(
        "capture.webrtc.analysis.build_analysis",
        lambda plan: LivenessSessionAnalysis(plan, liveness_config(), CameraPool(camera)),
    )
    with fresh_peer_registry():
        yield camera


async def _cover_after_the_first_prompt(
    session: VerificationSession, clerk: Any, camera: CoveredCamera, cover_seconds: float
) -> tuple[list[dict[str, Any]], int]:
    """One attempt in which the camera is covered for `cover_seconds` as soon as a step is prompted:
    every capture-socket message to the attempt's end, and where the covering began."""
    capture = _socket(f"/ws/capture/{session.pk}/", clerk)
    assert (await capture.connect(timeout=5))[0]
    browser = BrowserPeer()
    loop = asyncio.get_running_loop()
    try:
        messages = [await receive(capture)]
        await capture.send_json_to({"type": "offer", "sdp": await browser.offer_sdp()})
        messages.append(await receive(capture))
        await browser.accept_answer(messages[-1]["sdp"])
        covered_at = -1
        deadline = loop.time() + 40.0
        while messages[-1]["type"] not in ("captured", "ended", "error"):
            messages.append(await receive(capture, wait=max(deadline - loop.time(), 0.1)))
            if covered_at < 0 and messages[-1]["type"] == "status" and messages[-1]["step"]:
                covered_at = len(messages)
                camera.covered.set()
                loop.call_later(cover_seconds, camera.covered.clear)
        return messages, covered_at
    finally:
        await browser.close()
        await capture.disconnect()


@pytest.mark.django_db(transaction=True)
def test_covering_the_camera_after_a_prompt_does_not_replay_the_plan(
    capture_outlet: Outlet, covered_camera: CoveredCamera, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("registration.services.attempts._enqueue_judgement", lambda session_id: None)
    clerk = factories.make_staff(CLERK, outlet=capture_outlet)
    session = factories.make_session(clerk=clerk, state=SessionState.CONSENTED, portrait=b"portrait")
    cover_seconds = liveness_config().face_lost_restart_seconds + 0.5  # long enough to lose the face

    messages, covered_at = async_to_sync(_cover_after_the_first_prompt)(session, clerk, covered_camera, cover_seconds)

    assert covered_at > 0, "no step was prompted"
    assert messages[covered_at - 1]["step"] == PLAN[0]
    statuses = [m for m in messages[covered_at - 1 :] if m["type"] == "status"]
    prompt_ends = next(n for n, status in enumerate(statuses) if not status["step"])  # calibrating, or the end
    prompted_again = [status["step"] for status in statuses[prompt_ends:] if status["step"]]
    record_access("WS ws/capture/{id}/ step 1 again after covering the camera", "right user",
                  expected="hidden", got="shown" if prompted_again else "hidden")  # fmt: skip
    assert prompted_again == [], prompted_again  # no step ran again: nothing is learnt in advance
    assert messages[-1]["type"] == "captured", messages[-1]
    [first_end, *_] = [m for m in messages if m["type"] == "status" and m["finished"]]
    assert first_end["passed"] is False

    # The worker's verdict, replayed from the stored trace with its stored thresholds, says why.
    assert services.liveness_judge(session_id=session.pk) == SessionState.LIVENESS_FAILED
    session.refresh_from_db()
    assert session.liveness_reasons[0] == "face_lost", session.liveness_reasons
    assert session.liveness_detail["verdict"]["restarts"] == 0

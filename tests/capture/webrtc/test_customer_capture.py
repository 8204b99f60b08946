"""The whole capture path with the real engine and a customer who watches the prompts: an aiortc
client streams bench/actors' customer, reacts to each status the server sends and acknowledges the
prompt as the page does; the consumer, peer, frame pump, analysis and services are the product's."""

from __future__ import annotations

import asyncio
import fractions
import random
from collections.abc import Callable
from typing import Any

import pytest
from aiortc import RTCPeerConnection, RTCSessionDescription, VideoStreamTrack
from asgiref.sync import async_to_sync
from av import VideoFrame
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from bench.actors.customer import ENCODED_FOOTAGE, ENCODED_TURN_DEGREES, FPS, Customer, LitCamera, footage, wrong_way
from bench.actors.light import LIGHT_FOOTAGE
from bench.load.camera import offer_only
from capture.routing import websocket_urlpatterns
from capture.webrtc.peer import answered_video_codec
from registration.models import Evidence, EvidenceKind, VerificationPolicy, VerificationSession
from registration.state_machine import SessionState
from tests.capture.fakes import receive

pytestmark = pytest.mark.model

application = URLRouter(websocket_urlpatterns)
CLOCK_RATE = 90000


class ActorTrack(VideoStreamTrack):
    """The tablet's camera: the actor's frame for each media time, at 30 fps in real time."""

    def __init__(self, actor: Customer | LitCamera) -> None:
        super().__init__()
        self.actor = actor
        self.sent = 0
        self._began: float | None = None

    @property
    def media_time(self) -> float:
        return self.sent / FPS

    async def recv(self) -> VideoFrame:
        loop = asyncio.get_running_loop()
        image = self.actor.frame(self.media_time)
        if self._began is None:
            self._began = loop.time()
        await asyncio.sleep(max(0.0, self._began + self.sent / FPS - loop.time()))
        frame = VideoFrame.from_ndarray(image, format="bgr24")
        frame.pts = int(self.sent * CLOCK_RATE / FPS)
        frame.time_base = fractions.Fraction(1, CLOCK_RATE)
        self.sent += 1
        return frame


async def capture_with(
    actor: Customer | LitCamera, session: VerificationSession, user: Any, codec: str = ""
) -> tuple[list[dict[str, Any]], str]:
    """Run one attempt; the statuses seen and how it ended ("captured" or "ended:<reason>").
    The page puts a light step's colours on a `LitCamera`'s screen when it shows the prompt.
    `codec`: the only video codec the tablet offers ("VP8", "H264"; empty: all of aiortc's)."""
    # decoded before the camera starts, or the first frames would come late and then in a burst
    footage(source=ENCODED_FOOTAGE)
    communicator = WebsocketCommunicator(application, f"/ws/capture/{session.pk}/")
    communicator.scope["user"] = user
    connected, _ = await communicator.connect()
    assert connected
    assert (await receive(communicator))["type"] == "ready"
    track = ActorTrack(actor)
    pc = RTCPeerConnection()
    offer_only(pc, pc.addTrack(track), codec)
    await pc.setLocalDescription(await pc.createOffer())
    await communicator.send_json_to({"type": "offer", "sdp": pc.localDescription.sdp})
    statuses: list[dict[str, Any]] = []
    acknowledged: int | None = None
    try:
        while True:
            message = await receive(communicator, wait=60)
            if message["type"] == "answer":
                await pc.setRemoteDescription(RTCSessionDescription(sdp=message["sdp"], type="answer"))
            elif message["type"] == "status":
                statuses.append(message)
                actor.see(message["step"], track.media_time)
                if message["step"] is None:
                    acknowledged = None
                elif acknowledged != message["step_index"]:
                    acknowledged = message["step_index"]
                    if isinstance(actor, LitCamera) and message.get("light"):
                        actor.screen.show(tuple(message["light"]), message["light_seconds"], track.media_time)
                    await communicator.send_json_to({"type": "prompt_shown", "step_index": acknowledged})
            elif message["type"] in {"captured", "ended"}:
                return statuses, message["type"] if message["type"] == "captured" else f"ended:{message['reason']}"
    finally:
        await pc.close()
        await communicator.disconnect()


@pytest.fixture
def random_plan_at_the_footages_threshold(settings: Any) -> None:
    """The production random plan at the encoded footage's threshold (bench/actors/customer.py)."""
    settings.SHIMING_FIXED_CHALLENGE_PLAN = []
    settings.SHIMING_LIVENESS_TURN_DEGREES = ENCODED_TURN_DEGREES


@pytest.mark.usefixtures("random_plan_at_the_footages_threshold")
def test_a_customer_who_follows_the_prompts_completes_a_random_plan(
    make_session: Callable[..., VerificationSession], clerk: Any, judgements: list[str]
) -> None:
    session = make_session(SessionState.CONSENTED)
    customer = Customer(random.Random(11), source=ENCODED_FOOTAGE)

    statuses, end = async_to_sync(capture_with)(customer, session, clerk)

    session.refresh_from_db()
    trace = Evidence.objects.get(session=session, kind=EvidenceKind.LIVENESS_TRACE)
    assert end == "captured"
    assert statuses[-1]["finished"], statuses
    assert statuses[-1]["passed"], (session.challenge_plan, customer.actions, session.liveness_detail)
    assert [action for _, action in customer.actions] == session.challenge_plan
    assert any(status["hint"] == "wait_for_prompt" for status in statuses)
    assert trace is not None
    assert judgements == [str(session.pk)]


@pytest.mark.usefixtures("random_plan_at_the_footages_threshold")
def test_a_customer_who_turns_the_wrong_way_fails_live(
    make_session: Callable[..., VerificationSession], clerk: Any, judgements: list[str], settings: Any
) -> None:
    settings.SHIMING_FIXED_CHALLENGE_PLAN = ["turn_left", "blink", "turn_right"]
    session = make_session(SessionState.CONSENTED)

    statuses, end = async_to_sync(capture_with)(
        Customer(random.Random(12), respond=wrong_way, source=ENCODED_FOOTAGE), session, clerk
    )

    assert end == "captured"
    assert statuses[-1]["finished"]
    assert statuses[-1]["passed"] is False
    assert statuses[-1]["steps_done"] == 0


@pytest.fixture
def light_policy(settings: Any) -> None:
    """The screen-light step on, in a plan of one blink and the light step."""
    VerificationPolicy.objects.update_or_create(pk=1, defaults={"light_challenge": True})
    settings.SHIMING_FIXED_CHALLENGE_PLAN = ["blink", "light"]


@pytest.mark.usefixtures("random_plan_at_the_footages_threshold", "light_policy")
def test_a_screen_lit_customer_passes_the_light_step_live_over_h264(
    make_session: Callable[..., VerificationSession], clerk: Any, judgements: list[str]
) -> None:
    """Through VP8 (what the answer took before H.264 came first) this customer failed 6 of 6 live
    tries (best-lag correlation 0.35-0.78): the encoder smooths away the small colour changes.
    Over H.264 it passed 8 of 9; the customer gets the attempts the product allows, one session
    each here."""
    tries = []
    for attempt in range(3):
        session = make_session(SessionState.CONSENTED)
        camera = LitCamera(Customer(random.Random(30 + attempt), source=LIGHT_FOOTAGE), random.Random(40 + attempt))
        statuses, end = async_to_sync(capture_with)(camera, session, clerk)
        session.refresh_from_db()
        assert end == "captured", statuses[-3:]
        tries.append(session.liveness_detail["live"]["reasons"])
        if statuses[-1]["passed"]:
            break
    assert statuses[-1]["passed"], tries
    assert [step["step"] for step in session.liveness_detail["live"]["steps"]] == ["blink", "light"]


@pytest.mark.usefixtures("random_plan_at_the_footages_threshold", "light_policy")
def test_an_untinted_replay_fails_the_light_step_live(
    make_session: Callable[..., VerificationSession], clerk: Any, judgements: list[str]
) -> None:
    session = make_session(SessionState.CONSENTED)
    replay = LitCamera(Customer(random.Random(50), source=LIGHT_FOOTAGE), random.Random(51), tinted=False)

    statuses, end = async_to_sync(capture_with)(replay, session, clerk)

    session.refresh_from_db()
    assert end == "captured"
    assert statuses[-1]["passed"] is False
    assert session.liveness_detail["live"]["reasons"] == ["light_mismatch"]


@pytest.mark.parametrize(
    ("light", "offered", "received"),
    [(True, "", "H264"), (True, "VP8", "VP8"), (False, "", "VP8")],
)
@pytest.mark.usefixtures("random_plan_at_the_footages_threshold")
def test_the_answer_takes_h264_for_a_light_step_and_the_tablets_order_otherwise(
    make_session: Callable[..., VerificationSession],
    clerk: Any,
    judgements: list[str],
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
    light: bool,
    offered: str,
    received: str,
) -> None:
    """The codec the server decodes is the one its answer lists first (aiortc's tablet offers VP8
    first, then H.264). Without a light step the customer still passes; with one, passing is the
    lit-customer test's (it takes the product's attempts: one try misses about one time in nine)."""
    if light:
        request.getfixturevalue("light_policy")
    decoded: list[str | None] = []
    original = RTCPeerConnection.setLocalDescription

    async def answered(pc: RTCPeerConnection, description: RTCSessionDescription) -> None:
        await original(pc, description)
        if description.type == "answer":
            decoded.append(answered_video_codec(pc.localDescription.sdp))

    monkeypatch.setattr(RTCPeerConnection, "setLocalDescription", answered)
    session = make_session(SessionState.CONSENTED)
    camera = LitCamera(
        Customer(random.Random(13), source=LIGHT_FOOTAGE if light else ENCODED_FOOTAGE), random.Random(14)
    )
    statuses, end = async_to_sync(capture_with)(camera, session, clerk, codec=offered)

    assert decoded == [received]
    assert end == "captured"
    if not light:
        assert statuses[-1]["passed"], statuses[-3:]

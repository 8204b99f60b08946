"""Every WebSocket route (capture/routing.py) tried as anonymous, as another outlet's clerk, on a session
in the wrong state, and on a finished or expired session that must not be captured again.

The consumers run in this process over the real Redis channel layer and the test PostgreSQL
(committed data: the consumers read it from other threads).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from capture.routing import websocket_urlpatterns
from registration import services
from registration.models import EvidenceKind, VerificationSession
from registration.roles import CLERK
from registration.state_machine import SessionState
from tests.factories import OutletFactory, UserFactory, make_phone, make_prc_id
from tests.peer_registry import fresh_peer_registry

from .report import record_access, record_bad_input
from .snapshot import database_snapshot

pytestmark = [pytest.mark.security, pytest.mark.django_db(transaction=True)]

S = SessionState
ROUTES = URLRouter(websocket_urlpatterns)
NOT_CONNECTED = "refused"


@pytest.fixture(autouse=True)
def fresh_capture_registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A fresh peer registry per test, and a scripted analysis instead of the face-mesh model."""
    from tests.capture.fakes import FakeAnalysis

    monkeypatch.setattr("capture.webrtc.analysis.build_analysis", lambda plan: FakeAnalysis(list(plan)))
    with fresh_peer_registry():
        yield


@pytest.fixture
def staff(transactional_db: None) -> dict[str, Any]:
    outlet, other = OutletFactory(), OutletFactory()
    return {
        "outlet": outlet,
        "clerk": UserFactory(role=CLERK, outlet=outlet),
        "other_clerk": UserFactory(role=CLERK, outlet=other),
        "no_outlet": UserFactory(role=CLERK),
    }


@pytest.fixture
def make_session(staff: dict[str, Any]) -> Callable[..., VerificationSession]:
    def build(state: str = S.CONSENTED, **fields: Any) -> VerificationSession:
        clerk = staff["clerk"]
        session = services.registration_create(
            clerk=clerk,
            full_name="孙 七",
            document_type="prc_id",
            document_number=make_prc_id(),
            phone_number=make_phone(),
        )
        if state != S.CREATED:  # the clerk's document photo, then the customer's consent
            services.evidence_store(
                session=session, kind=EvidenceKind.ID_PORTRAIT, content=b"portrait", content_type="image/jpeg"
            )
            VerificationSession.objects.filter(pk=session.pk).update(state=S.DOCUMENT_CAPTURED)
            services.consent_record(session_id=session.pk, actor=clerk, consent_version="3", language="zh-hans")
        VerificationSession.objects.filter(pk=session.pk).update(state=state, **fields)
        return VerificationSession.objects.get(pk=session.pk)

    return build


def _socket(path: str, user: Any) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(ROUTES, path)
    communicator.scope["user"] = user or AnonymousUser()
    return communicator


async def _outcome(communicator: WebsocketCommunicator) -> tuple[str | int, dict[str, Any] | None]:
    """("accepted", first message) or (close code, the error sent before closing)."""
    connected, close_code = await communicator.connect(timeout=5)
    if not connected:
        return close_code or NOT_CONNECTED, None
    first = await communicator.receive_output(timeout=5)
    if first["type"] == "websocket.close":
        return first.get("code", 1000), None
    message = json.loads(first["text"])
    if message.get("type") == "error":
        closing = await communicator.receive_output(timeout=5)
        assert closing["type"] == "websocket.close"
        return closing.get("code", 1000), message
    return "accepted", message


def _try(route: str, actor: str, path: str, user: Any, expected: str | int) -> dict[str, Any] | None:
    async def run() -> tuple[str | int, dict[str, Any] | None]:
        communicator = _socket(path, user)
        try:
            return await _outcome(communicator)
        finally:
            await communicator.disconnect()

    got, message = async_to_sync(run)()
    record_access(route, actor, expected=expected, got=got)
    assert got == expected, message
    return message


# --- session and dashboard pushes -------------------------------------------------------------


def test_session_push_route(staff: dict[str, Any], make_session: Callable[..., VerificationSession]) -> None:
    session = make_session(S.CREATED)
    path = f"/ws/sessions/{session.pk}/"
    before = database_snapshot()
    _try("WS ws/sessions/{id}/", "anonymous", path, None, 4401)
    _try("WS ws/sessions/{id}/", "other outlet", path, staff["other_clerk"], 4404)
    _try("WS ws/sessions/{id}/", "other outlet", path, staff["no_outlet"], 4404)
    message = _try("WS ws/sessions/{id}/", "right user", path, staff["clerk"], "accepted")
    assert message is not None
    assert message["session"]["id"] == str(session.pk)
    assert database_snapshot() == before


def test_dashboard_route_and_outlet_scoping(
    staff: dict[str, Any], make_session: Callable[..., VerificationSession]
) -> None:
    before = database_snapshot()
    _try("WS ws/dashboard/", "anonymous", "/ws/dashboard/", None, 4401)
    _try("WS ws/dashboard/", "other outlet", "/ws/dashboard/", staff["no_outlet"], 4404)
    assert database_snapshot() == before
    session = make_session(S.CREATED)

    async def run() -> tuple[dict[str, Any], bool]:
        own, other = _socket("/ws/dashboard/", staff["clerk"]), _socket("/ws/dashboard/", staff["other_clerk"])
        assert (await own.connect(timeout=5))[0]
        assert (await other.connect(timeout=5))[0]
        try:
            from channels.db import database_sync_to_async

            await database_sync_to_async(services.session_cancel)(session_id=session.pk, actor=staff["clerk"])
            pushed = await own.receive_json_from(timeout=5)
            return pushed, await other.receive_nothing(timeout=0.5)
        finally:
            await own.disconnect()
            await other.disconnect()

    pushed, other_got_nothing = async_to_sync(run)()
    record_access("WS ws/dashboard/", "right user", expected="push", got="push")
    record_access(
        "WS ws/dashboard/", "other outlet", expected="no push", got="no push" if other_got_nothing else "push"
    )
    assert pushed["session"]["id"] == str(session.pk)
    assert pushed["session"]["state"] == S.CANCELLED
    assert other_got_nothing


def test_a_foreign_origin_is_refused_before_any_consumer_runs(staff: dict[str, Any]) -> None:
    """The deployed application checks the WebSocket's Origin against ALLOWED_HOSTS."""
    from config.asgi import application

    async def run(origin: bytes) -> bool:
        communicator = WebsocketCommunicator(application, "/ws/dashboard/", headers=[(b"origin", origin)])
        connected, _ = await communicator.connect(timeout=5)
        await communicator.disconnect()
        return bool(connected)

    foreign = async_to_sync(run)(b"https://evil.example")
    record_access(
        "WS any route, foreign Origin",
        "anonymous",
        expected=NOT_CONNECTED,
        got="accepted" if foreign else NOT_CONNECTED,
    )
    assert not foreign


@dataclass(frozen=True)
class OriginCase:
    name: str
    origin: str | None  # None: no Origin header at all
    host: str = "localhost:8000"
    scheme: str = "ws"  # the socket's own scheme as the server sees it
    peer: str = "127.0.0.1"
    forwarded_proto: str = ""
    allowed: bool = False


PROXY_PEER = "10.8.0.2"
ORIGIN_CASES = [
    OriginCase("same origin", "http://localhost:8000", allowed=True),
    OriginCase("same origin, TLS socket", "https://localhost:8000", scheme="wss", allowed=True),
    OriginCase("https page, plain socket", "https://localhost:8000"),
    OriginCase("plain page, TLS socket", "http://localhost:8000", scheme="wss"),
    OriginCase("other port", "http://localhost:9999"),
    OriginCase("default port vs 8000", "http://localhost"),
    OriginCase("foreign host", "http://evil.example:8000"),
    OriginCase("host not allowed, origin matching it", "http://evil.example:8000", host="evil.example:8000"),
    OriginCase("no Origin", None),
    OriginCase("Origin null", "null"),
    OriginCase("Origin with a path", "http://localhost:8000/x"),
    OriginCase("ws: scheme as Origin", "ws://localhost:8000"),
    OriginCase(
        "behind the trusted proxy, https page",
        "https://localhost",
        host="localhost",
        peer=PROXY_PEER,
        forwarded_proto="https",
        allowed=True,
    ),
    OriginCase(
        "behind the trusted proxy, http page", "http://localhost", host="localhost", peer=PROXY_PEER,
        forwarded_proto="https",
    ),
    OriginCase(
        "X-Forwarded-Proto from an untrusted peer", "https://localhost", host="localhost", peer="203.0.113.9",
        forwarded_proto="https",
    ),
    OriginCase("listed in CSRF_TRUSTED_ORIGINS", "https://tablets.example.com", allowed=True),
    OriginCase("CSRF_TRUSTED_ORIGINS entry, other scheme", "http://tablets.example.com"),
    OriginCase("CSRF_TRUSTED_ORIGINS entry, other port", "https://tablets.example.com:8443"),
]  # fmt: skip


@pytest.mark.parametrize("case", ORIGIN_CASES, ids=[case.name for case in ORIGIN_CASES])
def test_the_origin_must_match_scheme_host_and_port(staff: dict[str, Any], settings: Any, case: OriginCase) -> None:
    """The deployed application (config/asgi.py) lets a socket through only from this site's own pages."""
    from config.asgi import application

    settings.SHIMING_TRUSTED_PROXIES = [PROXY_PEER]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.CSRF_TRUSTED_ORIGINS = ["https://tablets.example.com"]
    headers = [(b"host", case.host.encode())]
    if case.origin is not None:
        headers.append((b"origin", case.origin.encode()))
    if case.forwarded_proto:
        headers.append((b"x-forwarded-proto", case.forwarded_proto.encode()))

    async def run() -> bool:
        communicator = WebsocketCommunicator(application, "/ws/dashboard/", headers=headers)
        communicator.scope.update(scheme=case.scheme, client=(case.peer, 50000), user=staff["clerk"])
        connected, _ = await communicator.connect(timeout=5)
        await communicator.disconnect()
        return bool(connected)

    connected = async_to_sync(run)()
    expected = "accepted" if case.allowed else NOT_CONNECTED
    record_access(f"WS Origin: {case.name}", "right user" if case.allowed else "anonymous", expected=expected,
                  got="accepted" if connected else NOT_CONNECTED)  # fmt: skip
    assert connected == case.allowed


@pytest.mark.parametrize(
    "path",
    ["/ws/capture/not-a-uuid/", "/ws/sessions/1/", "/ws/capture/../dashboard/", "/ws/unknown/", "/not-ws/"],
)
def test_a_path_no_route_matches_is_closed_cleanly(staff: dict[str, Any], path: str) -> None:
    """Through the deployed application: a 4404 close, not the router's exception (a 500 in daphne)."""
    from config.asgi import application

    async def run() -> tuple[bool, int | None]:
        communicator = WebsocketCommunicator(
            application, path, headers=[(b"host", b"localhost:8000"), (b"origin", b"http://localhost:8000")]
        )
        communicator.scope["user"] = staff["clerk"]
        try:
            return await communicator.connect(timeout=5)
        finally:
            await communicator.disconnect()

    connected, code = async_to_sync(run)()
    record_access("WS unknown path", "right user", expected=4404, got="accepted" if connected else code or "?")
    assert (connected, code) == (False, 4404)


# --- capture ------------------------------------------------------------------------------------


def _capture(session: VerificationSession, actor: str, user: Any, expected: str | int, code: str = "") -> None:
    message = _try("WS ws/capture/{id}/", actor, f"/ws/capture/{session.pk}/", user, expected)
    if code:
        assert message is not None
        assert message["code"] == code


def test_capture_refuses_strangers_without_writing(
    staff: dict[str, Any], make_session: Callable[..., VerificationSession]
) -> None:
    session = make_session()
    before = database_snapshot()
    _capture(session, "anonymous", None, 4401, "not_signed_in")
    _capture(session, "other outlet", staff["other_clerk"], 4404, "not_found")
    _capture(session, "other outlet", staff["no_outlet"], 4404, "not_found")
    assert database_snapshot() == before


@pytest.mark.parametrize(
    "state",
    [S.CREATED, S.DOCUMENT_CAPTURED, S.MATCHING, S.MANUAL_REVIEW, S.APPROVED, S.REJECTED, S.EXPIRED, S.CANCELLED],
)
def test_capture_refuses_a_session_in_the_wrong_or_a_final_state(
    staff: dict[str, Any], make_session: Callable[..., VerificationSession], state: str
) -> None:
    session = make_session(state)
    before = database_snapshot()
    _capture(session, "wrong state", staff["clerk"], 4409, "illegal_transition")
    assert database_snapshot() == before


def test_capture_refuses_a_session_whose_time_is_up_and_expires_it(
    staff: dict[str, Any], make_session: Callable[..., VerificationSession]
) -> None:
    session = make_session(expires_at=timezone.now() - timedelta(seconds=1))
    _capture(session, "wrong state", staff["clerk"], 4409, "session_expired")
    session.refresh_from_db()
    assert session.state == S.EXPIRED  # the only write: the expiry the refusal reports
    assert session.attempt_count == 0
    assert not session.challenge_nonce


def test_capture_refuses_when_the_attempts_are_used_up(
    staff: dict[str, Any], make_session: Callable[..., VerificationSession]
) -> None:
    session = make_session(S.LIVENESS_FAILED, attempt_count=3)
    before = database_snapshot()
    _capture(session, "wrong state", staff["clerk"], 4409, "attempts_exhausted")
    assert database_snapshot() == before


def test_capture_is_single_use_per_attempt(
    staff: dict[str, Any], make_session: Callable[..., VerificationSession]
) -> None:
    """The right clerk opens one attempt; a second screen is refused; the nonce dies with the socket."""
    session = make_session()

    async def run() -> tuple[dict[str, Any], tuple[str | int, dict[str, Any] | None]]:
        first = _socket(f"/ws/capture/{session.pk}/", staff["clerk"])
        ready = (await _outcome(first))[1]
        second = _socket(f"/ws/capture/{session.pk}/", staff["clerk"])
        try:
            refused = await _outcome(second)
        finally:
            await second.disconnect()
            await first.disconnect()
        return ready or {}, refused

    ready, (code, message) = async_to_sync(run)()
    record_access("WS ws/capture/{id}/", "right user", expected="ready", got=ready.get("type", "?"))
    record_access("WS ws/capture/{id}/ 2nd screen", "right user", expected=4409, got=code)
    assert ready["type"] == "ready"
    assert code == 4409
    assert message is not None
    assert message["code"] == "capture_in_progress"
    session.refresh_from_db()
    # The page went away mid-challenge: the attempt was interrupted (given back, not failed), its
    # nonce can never finish a capture.
    assert session.state == S.CONSENTED
    assert session.attempt_count == 0
    assert session.challenge_nonce == ""


# --- bad messages on an open capture ------------------------------------------------------------

VIDEO_OFFER_HEAD = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
BAD_MESSAGES: list[tuple[str, str | bytes, str]] = [
    ("not JSON", "{type: offer", "invalid_message"),
    ("binary frame", b"\x00\x01\x02", "invalid_message"),
    ("JSON array", '["offer"]', "invalid_message"),
    ("JSON string", '"offer"', "invalid_message"),
    ("unknown type", '{"type": "finish", "passed": true}', "unknown_message"),
    ("no type", '{"sdp": "v=0"}', "unknown_message"),
    ("over-long message", json.dumps({"type": "offer", "sdp": "v=0" + "a" * 80_000}), "invalid_message"),
    ("60 KB of nested JSON", "[" * 30_000 + "]" * 30_000, "invalid_message"),
    ("nested JSON in an object", '{"type": "offer", "sdp": ' + "[" * 20_000 + "]" * 20_000 + "}", "invalid_message"),
    ("offer without SDP", '{"type": "offer"}', "invalid_offer"),
    ("offer SDP a number", '{"type": "offer", "sdp": 42}', "invalid_offer"),
    ("offer not SDP", '{"type": "offer", "sdp": "hello"}', "invalid_offer"),
    ("offer without video", json.dumps({"type": "offer", "sdp": VIDEO_OFFER_HEAD + "m=audio 9 UDP 0\r\n"}),
     "invalid_offer"),
    ("malformed video SDP", json.dumps({"type": "offer", "sdp": VIDEO_OFFER_HEAD + "\nm=video x y z\r\na=garbage"}),
     "invalid_offer"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "message", "code"), BAD_MESSAGES, ids=[name for name, _, _ in BAD_MESSAGES])
def test_bad_capture_messages_get_an_error_and_write_nothing(
    staff: dict[str, Any], make_session: Callable[..., VerificationSession], name: str, message: str | bytes, code: str
) -> None:
    session = make_session()

    async def run() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any]]:
        from channels.db import database_sync_to_async

        communicator = _socket(f"/ws/capture/{session.pk}/", staff["clerk"])
        _, ready = await _outcome(communicator)
        before = await database_sync_to_async(database_snapshot)()
        if isinstance(message, bytes):
            await communicator.send_to(bytes_data=message)
        else:
            await communicator.send_to(text_data=message)
        error = await communicator.receive_json_from(timeout=10)
        await communicator.send_to(text_data='{"type": "ping"}')  # the connection is still usable
        pong = await communicator.receive_json_from(timeout=5)
        after = await database_sync_to_async(database_snapshot)()
        await communicator.disconnect()
        return ready or {}, error, pong, {"before": before, "after": after}

    ready, error, pong, snapshots = async_to_sync(run)()
    record_bad_input(f"capture: {name}", expected=code, got=error.get("code", "?"), code=error.get("code", "?"))
    assert ready["type"] == "ready"
    assert error["type"] == "error"
    assert error["code"] == code
    assert error["message"]
    assert pong == {"type": "pong"}
    assert snapshots["after"] == snapshots["before"]


def test_a_message_flood_closes_the_capture_and_fails_the_attempt(
    staff: dict[str, Any], make_session: Callable[..., VerificationSession]
) -> None:
    from capture.consumers import CLOSE_TOO_MANY, MAX_CAPTURE_MESSAGES

    session = make_session()

    async def run() -> tuple[list[dict[str, Any]], int]:
        communicator = _socket(f"/ws/capture/{session.pk}/", staff["clerk"])
        await _outcome(communicator)
        for _ in range(MAX_CAPTURE_MESSAGES + 5):
            await communicator.send_to(text_data='{"type": "ping"}')
        replies: list[dict[str, Any]] = []
        while True:
            output = await communicator.receive_output(timeout=10)
            if output["type"] == "websocket.close":
                await communicator.disconnect()
                return replies, int(output.get("code", 1000))
            replies.append(json.loads(output["text"]))

    replies, close_code = async_to_sync(run)()
    record_bad_input("capture: message flood", expected=CLOSE_TOO_MANY, got=close_code, code="too_many_messages")
    assert close_code == CLOSE_TOO_MANY
    assert {"type": "error", "code": "too_many_messages"}.items() <= next(
        reply for reply in replies if reply["type"] == "error"
    ).items()
    session.refresh_from_db()
    assert session.state == S.LIVENESS_FAILED  # the attempt ended; a retry is allowed
    assert session.challenge_nonce == ""

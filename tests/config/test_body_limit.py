"""The request-body cap as an ASGI middleware: a body announced too large is answered 413 before the
application runs; a chunked body stops being read once it passes the cap (the application sees the
client gone) and is answered 413; a body within the cap and a WebSocket pass untouched. Driven with
ASGI messages directly; the daphne adapter under a real server: tests/security/test_request_size.py."""

from __future__ import annotations

import asyncio
from typing import Any

from config.body_limit import RequestBodyLimit, announced_length

CAP = 100


class App:
    """Reads the whole body, then answers 200 with how much it read."""

    def __init__(self) -> None:
        self.called = False
        self.saw_disconnect = False

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.called = True
        if scope["type"] != "http":
            await send({"type": "websocket.accept"})
            return
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                self.saw_disconnect = True
                return
            size += len(message.get("body", b""))
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": str(size).encode()})


def _request(chunks: list[bytes], *, length: int | None = None, scope_type: str = "http") -> tuple[App, list[Any]]:
    app, sent, incoming = App(), [], list(chunks)
    headers = [(b"content-length", str(length).encode())] if length is not None else []

    async def receive() -> dict[str, Any]:
        body = incoming.pop(0) if incoming else b""
        return {"type": "http.request", "body": body, "more_body": bool(incoming)}

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {"type": scope_type, "headers": headers}
    asyncio.run(RequestBodyLimit(app, max_bytes=CAP)(scope, receive, send))
    return app, sent


def _status(sent: list[Any]) -> int:
    return int(next(message["status"] for message in sent if message["type"] == "http.response.start"))


def test_a_body_announced_too_large_is_refused_before_the_application_runs() -> None:
    app, sent = _request([b"x" * 10], length=CAP + 1)

    assert _status(sent) == 413
    assert not app.called


def test_a_chunked_body_past_the_cap_stops_being_read_and_is_refused() -> None:
    app, sent = _request([b"x" * 60, b"x" * 60, b"x" * 60])

    assert app.saw_disconnect
    assert _status(sent) == 413
    assert b"request_too_large" in sent[-1]["body"]


def test_a_body_within_the_cap_reaches_the_application() -> None:
    app, sent = _request([b"x" * 60, b"x" * 40], length=CAP)

    assert (_status(sent), sent[-1]["body"]) == (200, b"100")
    assert not app.saw_disconnect


def test_a_websocket_passes_untouched() -> None:
    app, sent = _request([], length=CAP * 10, scope_type="websocket")

    assert app.called
    assert sent == [{"type": "websocket.accept"}]


def test_the_announced_length_is_read_from_any_case_and_a_malformed_one_is_none() -> None:
    assert announced_length([(b"Content-Length", b"42")]) == 42
    assert announced_length([(b"content-length", b"4x2")]) is None
    assert announced_length([(b"host", b"x")]) is None

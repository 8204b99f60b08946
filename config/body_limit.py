"""The request-body cap, for every server the application runs under.

One limit, `settings.SHIMING_MAX_REQUEST_BYTES` (the largest legitimate body: a document photo with its
multipart framing). Two places enforce it, because servers differ in when they read a body:

- `RequestBodyLimit`, an ASGI middleware: a `Content-Length` above the cap is answered 413 before the
  application reads a byte, and a body without one (chunked) stops being read once it passes the cap.
  This is the whole defence under a server that streams the body to the application (uvicorn,
  hypercorn). A body that announces no length gets a far smaller cap (`SHIMING_MAX_UNSIZED_REQUEST_BYTES`):
  every client of ours announces the length of an upload, and reading an unannounced body up to the
  full cap was the costly part of refusing it.
- `daphne_install`: daphne (Twisted) reads a request's whole body into a spooled file, then into the
  application's queue, before the application is called, so no middleware can stop it. The adapter
  gives daphne a request class that answers 413 when the headers announce too much and cuts the
  connection when a chunked body passes the cap, before the body is stored. It overrides two hooks of
  Twisted's `http.Request` (`gotLength`, `handleContentChunk`), the one private API we depend on here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Any, Any, Any], Awaitable[None]]

TOO_LARGE_BODY = b'{"code": "request_too_large", "message": "The request body is too large."}'
TOO_LARGE_HEADERS = [(b"content-type", b"application/json"), (b"connection", b"close")]


def announced_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    """The body length the headers announce; None when they announce none (or a malformed one,
    which the server refuses on its own)."""
    for name, value in headers:
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class RequestBodyLimit:
    """ASGI middleware: HTTP requests whose body is larger than `max_bytes` get a 413."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, max_unsized_bytes: int | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_unsized_bytes = max_bytes if max_unsized_bytes is None else min(max_bytes, max_unsized_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = announced_length(scope.get("headers", []))
        if length is not None and length > self.max_bytes:
            await _refuse(send)
            return
        body = _BoundedBody(receive, self.max_bytes if length is not None else self.max_unsized_bytes)
        response = _ResponseWatch(send)
        await self.app(scope, body.receive, response.send)
        if body.exceeded and not response.started:
            await _refuse(send)


class _BoundedBody:
    """The application's `receive`: past the cap it reports the client gone, so the application
    stops reading (Django's handler then returns without a response) and nothing more is read."""

    def __init__(self, receive: Receive, max_bytes: int) -> None:
        self._receive = receive
        self._left = max_bytes
        self.exceeded = False

    async def receive(self) -> Message:
        if self.exceeded:
            return {"type": "http.disconnect"}
        message = await self._receive()
        if message["type"] == "http.request":
            self._left -= len(message.get("body", b""))
            if self._left < 0:
                self.exceeded = True
                return {"type": "http.disconnect"}
        return message


class _ResponseWatch:
    def __init__(self, send: Send) -> None:
        self._send = send
        self.started = False

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
        await self._send(message)


async def _refuse(send: Send) -> None:
    await send({"type": "http.response.start", "status": 413, "headers": TOO_LARGE_HEADERS})
    await send({"type": "http.response.body", "body": TOO_LARGE_BODY})


def daphne_install(max_bytes: int, max_unsized_bytes: int | None = None) -> None:
    """Make daphne, if it is the server in this process, refuse bodies above `max_bytes` (above
    `max_unsized_bytes` for a body that announces no length) as they arrive. Idempotent; a no-op
    under another server (daphne's factory is then never built)."""
    from daphne import http_protocol

    limits = {"max_body_bytes": max_bytes, "max_unsized_body_bytes": min(max_bytes, max_unsized_bytes or max_bytes)}
    base = http_protocol.WebRequest
    if getattr(base, "max_body_bytes", None) is not None:
        for name, value in limits.items():
            setattr(base, name, value)
        return
    http_protocol.WebRequest = type("BoundedWebRequest", (_BoundedWebRequest, base), limits)


class _BoundedWebRequest:
    """Mixed in front of daphne's `WebRequest` (a Twisted `http.Request`)."""

    max_body_bytes: int
    max_unsized_body_bytes: int
    content: Any
    channel: Any

    def gotLength(self, length: int | None) -> None:
        self._body_left = self.max_body_bytes if length is not None else self.max_unsized_body_bytes
        self._body_refused = False
        if length is not None and length > self.max_body_bytes:
            super().gotLength(0)  # type: ignore[misc]
            self._refuse_body()
            return
        super().gotLength(length)  # type: ignore[misc]

    def handleContentChunk(self, data: bytes) -> None:
        if self._body_refused:
            return
        self._body_left -= len(data)
        if self._body_left < 0:
            self._refuse_body()
            return
        super().handleContentChunk(data)  # type: ignore[misc]

    def _refuse_body(self) -> None:
        """Answer 413 on the raw connection and close it: the request never reaches the
        application, and the connection stops reading (Twisted's own answer to a malformed body)."""
        self._body_refused = True
        transport = self.channel.transport
        transport.write(
            b"HTTP/1.1 413 Content Too Large\r\ncontent-type: application/json\r\nconnection: close\r\n"
            + b"content-length: %d\r\n\r\n" % len(TOO_LARGE_BODY)
            + TOO_LARGE_BODY
        )
        self.channel.loseConnection()

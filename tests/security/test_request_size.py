"""Request bodies are bounded before they are read: a `Content-Length` above
`SHIMING_MAX_REQUEST_BYTES` is answered 413 at once, and a body without one (chunked) stops being
read past the cap; through the application (any ASGI server) and through daphne itself, which
otherwise stores a whole body before the application sees it (config/body_limit.py)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from asgiref.testing import ApplicationCommunicator
from django.conf import settings

from tests.e2e.conftest import _free_port, _stop, _wait_for_port
from tests.environment import PROJECT_ROOT

from .report import record_bad_input

pytestmark = [pytest.mark.security]

GIB = 1024**3
CHUNK = 256 * 1024


def _http_scope(headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/auth/token/",
        "raw_path": b"/api/auth/token/",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver"), (b"content-type", b"application/json"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }


async def _status(communicator: ApplicationCommunicator) -> int:
    start = await communicator.receive_output(timeout=5)
    assert start["type"] == "http.response.start"
    return int(start["status"])


def test_the_application_refuses_an_announced_large_body_before_reading_it() -> None:
    from config.asgi import application

    async def scenario() -> tuple[int, int]:
        communicator = ApplicationCommunicator(application, _http_scope([(b"content-length", str(GIB).encode())]))
        await communicator.send_input({"type": "http.request", "body": b"{", "more_body": True})
        status = await _status(communicator)
        unread = communicator.input_queue.qsize()
        await communicator.wait(timeout=5)
        return status, unread

    status, unread = asyncio.run(scenario())
    record_bad_input("POST 1 GiB Content-Length (ASGI)", expected=413, got=status, code="request_too_large")
    assert status == 413
    assert unread == 1  # not a byte of the body was read


def test_the_application_stops_reading_an_unannounced_body_past_the_cap() -> None:
    from config.asgi import application

    chunks = settings.SHIMING_MAX_REQUEST_BYTES // CHUNK + 20

    async def scenario() -> tuple[int, int]:
        communicator = ApplicationCommunicator(application, _http_scope([]))
        for _ in range(chunks):
            await communicator.send_input({"type": "http.request", "body": b"x" * CHUNK, "more_body": True})
        status = await _status(communicator)
        unread = communicator.input_queue.qsize()
        await communicator.wait(timeout=5)
        return status, unread

    status, unread = asyncio.run(scenario())
    record_bad_input("POST chunked past the cap (ASGI)", expected=413, got=status, code="request_too_large")
    assert status == 413
    assert unread >= 18  # reading stopped at the cap, not at the end of the body


def _unannounced(body_bytes: int) -> int:
    """The status the application answers a body of `body_bytes` sent without a length."""
    from config.asgi import application

    async def scenario() -> int:
        communicator = ApplicationCommunicator(application, _http_scope([]))
        left = body_bytes
        while left > 0:
            piece = min(CHUNK, left)
            left -= piece
            await communicator.send_input({"type": "http.request", "body": b" " * piece, "more_body": left > 0})
        status = await _status(communicator)
        await communicator.wait(timeout=5)
        return status

    return asyncio.run(scenario())


def test_an_unannounced_body_has_the_small_cap() -> None:
    """Without a length, a body past `SHIMING_MAX_UNSIZED_REQUEST_BYTES` (far under the cap) is refused;
    reading unannounced bodies up to the whole cap was what refusing them cost (bench/big_body.py)."""
    over = _unannounced(settings.SHIMING_MAX_UNSIZED_REQUEST_BYTES + CHUNK)
    record_bad_input("POST 320 KiB chunked (ASGI)", expected=413, got=over, code="request_too_large")
    assert settings.SHIMING_MAX_UNSIZED_REQUEST_BYTES + CHUNK < settings.SHIMING_MAX_REQUEST_BYTES
    assert over == 413
    assert _unannounced(1024) != 413  # a small unannounced body still reaches the application


def test_a_body_within_the_cap_still_reaches_the_application() -> None:
    from config.asgi import application

    async def scenario() -> int:
        body = b'{"username": "nobody", "password": "x"}' + b" " * (settings.SHIMING_MAX_UPLOAD_BYTES // 2)
        communicator = ApplicationCommunicator(application, _http_scope([(b"content-length", str(len(body)).encode())]))
        await communicator.send_input({"type": "http.request", "body": body, "more_body": False})
        status = await _status(communicator)
        await communicator.wait(timeout=5)
        return status

    assert asyncio.run(scenario()) != 413


# --- daphne, as deployed ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def daphne_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """A real daphne serving config.asgi (no database: a refused body never reaches a view)."""
    port = _free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "PYTHONUNBUFFERED": "1"}
    log = tmp_path_factory.mktemp("daphne") / "daphne.log"
    daphne = str(Path(sys.executable).parent / "daphne")
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [daphne, "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for_port(port, process, log)
        yield "127.0.0.1", port
    finally:
        _stop(process)


def _head(content: str) -> bytes:
    return (
        f"POST /api/auth/token/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n{content}\r\n"
    ).encode()


def _response(connection: socket.socket) -> bytes:
    """The status line and headers of the answer, or what arrived before the connection ended."""
    received = b""
    while b"\r\n\r\n" not in received:
        try:
            part = connection.recv(65536)
        except (TimeoutError, ConnectionError):
            break
        if not part:
            break
        received += part
    return received


def test_daphne_answers_a_1_gib_content_length_with_413_before_the_body(daphne_url: tuple[str, int]) -> None:
    with socket.create_connection(daphne_url, timeout=10) as connection:
        connection.sendall(_head(f"Content-Length: {GIB}\r\n"))
        started = time.monotonic()
        response = _response(connection)
    status = response.split(b" ", 2)[1].decode() if response.startswith(b"HTTP/") else "no answer"
    record_bad_input("POST 1 GiB Content-Length (daphne)", expected="413", got=status, code="request_too_large")
    assert status == "413"
    assert time.monotonic() - started < 5
    assert b"request_too_large" in response


def test_daphne_stops_reading_a_chunked_body_past_the_cap(daphne_url: tuple[str, int]) -> None:
    """The server closes the connection soon after the cap: the client cannot push 8 times the cap."""
    limit = settings.SHIMING_MAX_REQUEST_BYTES
    chunk = f"{CHUNK:x}\r\n".encode() + b"x" * CHUNK + b"\r\n"
    sent = 0
    with socket.create_connection(daphne_url, timeout=10) as connection:
        connection.sendall(_head("Transfer-Encoding: chunked\r\n"))
        try:
            while sent < 8 * limit:
                connection.sendall(chunk)
                sent += CHUNK
        except (TimeoutError, ConnectionError):
            pass
        response = _response(connection)
    refused = sent < 8 * limit
    record_bad_input(
        "POST chunked past the cap (daphne)", expected="cut", got="cut" if refused else "read", code="request_too_large"
    )
    assert refused, f"daphne read {sent} bytes of a body capped at {limit}"
    assert response == b"" or b" 413 " in response.split(b"\r\n", 1)[0]


def test_daphne_refuses_an_unannounced_body_past_the_small_cap(daphne_url: tuple[str, int]) -> None:
    """A chunked body of 1 MiB (a ninth of the cap) is answered 413 without being read to its end."""
    body = b"x" * (1024 * 1024)
    with socket.create_connection(daphne_url, timeout=10) as connection:
        connection.sendall(_head("Transfer-Encoding: chunked\r\n"))
        with contextlib.suppress(TimeoutError, ConnectionError):
            connection.sendall(f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n")
        response = _response(connection)
    status = response.split(b"\r\n", 1)[0]
    fields = status.decode(errors="replace").split(" ")
    got = fields[1] if len(fields) > 1 else status.decode(errors="replace")  # "HTTP/1.1 413 Content Too Large"
    record_bad_input("POST 1 MiB chunked (daphne)", expected="413", got=got, code="request_too_large")
    assert b" 413 " in status, response


def test_the_proxy_refuses_the_same_bodies() -> None:
    """docker/Caddyfile's `request_body` limit is the application's default cap."""
    caddy = (PROJECT_ROOT / "docker" / "Caddyfile").read_text()
    match = re.search(r"request_body \{\s*max_size (\d+)MiB\s*\}", caddy)
    assert match is not None
    assert int(match.group(1)) * 1024 * 1024 == settings.SHIMING_MAX_REQUEST_BYTES

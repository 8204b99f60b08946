"""The load generator's WebSocket client against a real WebSocket server on loopback: it opens as
the page does (its origin, the session cookie), hands on every JSON message in order with the
server's close code last, sends JSON, and turns a refused handshake into one step failure."""

from __future__ import annotations

import asyncio
import json
from http import HTTPStatus
from typing import Any

import pytest
from websockets.asyncio.server import Request, Response, ServerConnection, serve

from bench.load.api import StepFailed
from bench.load.sockets import Closed, JsonSocket

SESSION_COOKIE = "sessionid=abc; csrftoken=def"


async def talk(connection: ServerConnection) -> None:
    """Greets with what it was asked for, echoes one message, then closes as a busy server does."""
    request = connection.request
    assert request is not None
    await connection.send(
        json.dumps(
            {"type": "ready", "path": request.path, "headers": {k.lower(): v for k, v in request.headers.raw_items()}}
        )
    )
    echoed = json.loads(await connection.recv())
    await connection.send(json.dumps({"type": "echo", "got": echoed}))
    await connection.close(4503, "busy")


def refuse_unknown_paths(connection: ServerConnection, request: Request) -> Response | None:
    return connection.respond(HTTPStatus.FORBIDDEN, "") if request.path != "/ws/capture/1/" else None


async def conversation() -> tuple[list[dict[str, Any] | Closed], str]:
    async with serve(talk, "127.0.0.1", 0, process_request=refuse_unknown_paths) as server:
        port = server.sockets[0].getsockname()[1]
        base_url = f"http://127.0.0.1:{port}"
        socket = await JsonSocket.open(base_url, "/ws/capture/1/", SESSION_COOKIE)
        received = [await socket.receive(5)]
        await socket.send({"type": "prompt_shown", "step_index": 0})
        received += [await socket.receive(5), await socket.receive(5)]
        await socket.close()
        with pytest.raises(StepFailed) as refused:
            await JsonSocket.open(base_url, "/ws/elsewhere/", SESSION_COOKIE)
        return received, refused.value.reason


def test_messages_arrive_in_order_with_the_close_code_last_and_a_refusal_is_one_failure() -> None:
    (ready, echo, closed), refusal = asyncio.run(conversation())

    assert isinstance(ready, dict)
    assert isinstance(echo, dict)
    assert ready["path"] == "/ws/capture/1/"
    headers = ready["headers"]
    assert headers["cookie"] == SESSION_COOKIE
    assert headers["origin"] == f"http://{headers['host']}"
    assert "sec-websocket-extensions" not in headers  # no compression: the server's CPU is measured
    assert echo == {"type": "echo", "got": {"type": "prompt_shown", "step_index": 0}}
    assert closed == Closed(4503)
    assert refusal == "socket_refused:403"

"""The tablet's WebSocket client (the `websockets` package): JSON messages in, decoded, on a queue,
the close last; JSON messages out."""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.typing import Origin

from bench.load.api import StepFailed


@dataclass(frozen=True)
class Closed:
    """The socket closed; `code` is the server's close code (None: no close frame)."""

    code: int | None


class JsonSocket:
    """A WebSocket client whose messages arrive, decoded, on a queue; the close is the last item."""

    def __init__(self, connection: ClientConnection) -> None:
        self.queue: asyncio.Queue[dict[str, Any] | Closed] = asyncio.Queue()
        self._connection = connection
        self._reading = asyncio.ensure_future(self._read_messages())

    @classmethod
    async def open(cls, base_url: str, path: str, cookie: str, wait: float = 20.0) -> JsonSocket:
        """Open `path` on the server of `base_url` as the page does (its origin, the session cookie).
        No compression and no keep-alive pings: the page's browser sends neither to Daphne."""
        parts = urlsplit(base_url)
        # https: wss, the proxy's certificate checked against the default CA store (SSL_CERT_FILE).
        scheme = "wss" if parts.scheme == "https" else "ws"
        try:
            connection = await connect(
                f"{scheme}://{parts.netloc}{path}",
                origin=Origin(f"{parts.scheme}://{parts.netloc}"),
                additional_headers={"Cookie": cookie},
                compression=None,
                proxy=None,
                open_timeout=wait,
                ping_interval=None,
                close_timeout=3,
                max_size=None,
            )
        except InvalidStatus as exc:
            raise StepFailed(f"socket_refused:{exc.response.status_code}") from exc
        except (InvalidHandshake, TimeoutError, EOFError) as exc:
            raise StepFailed("socket_refused:no_handshake") from exc
        return cls(connection)

    async def send(self, message: dict[str, Any]) -> None:
        """Send `message`; a socket already closed drops it (its close is on the queue)."""
        with contextlib.suppress(ConnectionClosed):
            await self._connection.send(json.dumps(message))

    async def receive(self, wait: float) -> dict[str, Any] | Closed:
        return await asyncio.wait_for(self.queue.get(), wait)

    async def close(self) -> None:
        """Close with 1000, wait briefly for the server's close, then drop the connection."""
        await self._connection.close()
        await asyncio.wait([self._reading], timeout=3)
        self._reading.cancel()

    async def _read_messages(self) -> None:
        code: int | None = None
        try:
            while True:
                self.queue.put_nowait(json.loads(await self._connection.recv()))
        except ConnectionClosed as closed:
            code = closed.rcvd.code if closed.rcvd is not None else None
        finally:
            self.queue.put_nowait(Closed(code))

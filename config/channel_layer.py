"""The Redis channel layer, without its slow leak of buffers nobody reads.

channels_redis buffers each message for a process-local channel until that channel's consumer
reads it. A message that reaches a channel after its consumer stopped reading (a session's
broadcast racing the page closing its socket, about one or two a registration) stays buffered for
as long as the process lives (channels_redis issue 384, open): a queue and a message each time,
found by tracemalloc in the long load run. Consumers say when they end (`channel_ended`), and the
buffers of ended channels are dropped after every receive for a minute after that, long enough
for any message already on its way; a channel leaves its groups before it ends, so nothing newer
comes."""

from __future__ import annotations

import time
from typing import Any

from channels_redis.core import RedisChannelLayer as _RedisChannelLayer

ENDED_CHANNEL_SECONDS = 60.0
"""How long the buffer of an ended channel keeps being dropped (messages already sent to it)."""


class RedisChannelLayer(_RedisChannelLayer):  # type: ignore[misc]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._ended: dict[str, float] = {}

    def channel_ended(self, channel: str) -> None:
        """The consumer of `channel` stopped reading: what reaches it from now on is dropped."""
        self._ended[channel] = time.monotonic() + ENDED_CHANNEL_SECONDS
        self._drop_ended()

    async def receive(self, channel: str) -> dict[str, Any]:
        try:
            return await super().receive(channel)
        finally:
            self._drop_ended()

    @property
    def buffered_channels(self) -> int:
        """How many process-local channels have buffered messages (for diagnostics)."""
        return len(self.receive_buffer)

    def _drop_ended(self) -> None:
        now = time.monotonic()
        for channel, until in list(self._ended.items()):
            self.receive_buffer.pop(channel, None)
            if until < now:
                del self._ended[channel]

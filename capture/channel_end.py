"""Consumers that tell the channel layer when they stop reading their channel (config.channel_layer)."""

from __future__ import annotations

from typing import Any


class EndsItsChannel:
    """A consumer that tells the channel layer when it stops reading its channel, so what still
    reaches that channel is dropped rather than buffered for ever (`config.channel_layer`)."""

    channel_layer: Any
    channel_name: str

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)  # type: ignore[misc]
        finally:
            ended = getattr(self.channel_layer, "channel_ended", None)
            if ended is not None and getattr(self, "channel_name", None):
                ended(self.channel_name)

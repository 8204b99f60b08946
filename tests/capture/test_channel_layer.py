"""A message that reaches a page's channel after the page closed is dropped, not buffered for ever
(channels_redis keeps a queue and the message for a channel whose consumer has ended: its issue
384; config/channel_layer.py drops them). Real consumers, the real Redis channel layer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from capture.routing import websocket_urlpatterns
from registration.models import VerificationSession
from registration.realtime import SESSION_UPDATE_TYPE, session_group
from registration.state_machine import SessionState

application = URLRouter(websocket_urlpatterns)


async def open_page(session: VerificationSession, user: Any) -> WebsocketCommunicator:
    page = WebsocketCommunicator(application, f"/ws/sessions/{session.pk}/")
    page.scope["user"] = user
    connected, _ = await page.connect()
    assert connected
    assert (await page.receive_json_from())["type"] == "session"
    return page


async def members(layer: Any, group: str) -> list[str]:
    async with layer.connection(layer.consistent_hash(group)) as connection:
        return [name.decode() for name in await connection.zrange(layer._group_key(group), 0, -1)]  # noqa: SLF001 - the group as stored


def test_a_message_reaching_a_closed_pages_channel_is_not_kept(
    make_session: Callable[..., VerificationSession], clerk: Any
) -> None:
    closing, staying = make_session(SessionState.CONSENTED), make_session(SessionState.CONSENTED)

    async def scenario() -> tuple[str, dict[str, Any], bool]:
        layer = get_channel_layer()
        page = await open_page(closing, clerk)
        (channel,) = await members(layer, session_group(closing.pk))
        other = await open_page(staying, clerk)
        await page.disconnect()
        # A broadcast sent just before the page left its group: it reaches the channel afterwards.
        await layer.send(channel, {"type": SESSION_UPDATE_TYPE, "session": {"state": "late"}})
        # The next message for the page still open is read from the same Redis list, and the late
        # one is sorted into its (ended) channel's buffer on the way.
        update = {"type": SESSION_UPDATE_TYPE, "session": {"state": "liveness_running"}}
        await layer.group_send(session_group(staying.pk), update)
        received = await other.receive_json_from(timeout=5)
        await other.disconnect()
        return channel, received, channel in layer.receive_buffer

    channel, received, kept = async_to_sync(scenario)()

    assert received["session"]["state"] == "liveness_running"  # the open page is served as before
    assert not kept, f"the ended channel {channel} still holds a buffer"


def test_the_settings_use_the_layer_that_drops_ended_channels(settings: Any) -> None:
    from config.channel_layer import RedisChannelLayer

    assert settings.CHANNEL_LAYERS["default"]["BACKEND"] == settings.REDIS_CHANNEL_LAYER
    assert isinstance(get_channel_layer(), RedisChannelLayer)


@pytest.fixture(autouse=True)
def fresh_layer() -> Any:
    """Each test starts from a layer with no buffers (the layer object lives for the process)."""
    from channels.layers import channel_layers

    channel_layers.backends.pop("default", None)
    yield
    channel_layers.backends.pop("default", None)

"""Pushing a session's change to its screens: the update reaches the clerk's page (the session's
group) and the outlet dashboard (the outlet's group); a revocation reaches every socket of the
user, naming the sign-in when only that one ends; a channel layer that is away loses the push
without raising (the change is already committed and the pages re-read on reconnect)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from registration.realtime import (
    ACCESS_REVOKED_TYPE,
    SESSION_UPDATE_TYPE,
    broadcast_access_revoked,
    broadcast_session_update,
    outlet_group,
    session_group,
    user_group,
)


@pytest.fixture
def layer(settings: Any) -> Any:
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    return get_channel_layer()


def _listener(layer: Any, group: str) -> str:
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(group, channel)
    return str(channel)


def test_a_session_update_reaches_the_clerks_page_and_the_outlet_dashboard(layer: Any) -> None:
    page, dashboard = _listener(layer, session_group("s-1")), _listener(layer, outlet_group(4))
    other_outlet = _listener(layer, outlet_group(5))

    broadcast_session_update(session_id="s-1", outlet_id=4, payload={"state": "consented"})

    expected = {"type": SESSION_UPDATE_TYPE, "session": {"state": "consented"}}
    assert async_to_sync(layer.receive)(page) == expected
    assert async_to_sync(layer.receive)(dashboard) == expected
    with pytest.raises(TimeoutError):
        async_to_sync(asyncio.wait_for)(layer.receive(other_outlet), 0.1)


def test_a_revocation_reaches_every_socket_of_the_user(layer: Any) -> None:
    tablet = _listener(layer, user_group(9))

    broadcast_access_revoked(user_id=9, reason="signed_out", login_session_key="key-1")

    assert async_to_sync(layer.receive)(tablet) == {
        "type": ACCESS_REVOKED_TYPE,
        "reason": "signed_out",
        "login_session_key": "key-1",
    }


def test_a_layer_that_is_away_loses_the_push_without_raising(settings: Any, caplog: pytest.LogCaptureFixture) -> None:
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]}}
    }

    with caplog.at_level(logging.ERROR, logger="registration.realtime"):
        broadcast_session_update(session_id="s-1", outlet_id=4, payload={})
        broadcast_access_revoked(user_id=9, reason="deactivated")

    assert [record.getMessage() for record in caplog.records] == [
        "could not push the update of session s-1",
        "could not close the sockets of user 9",
    ]

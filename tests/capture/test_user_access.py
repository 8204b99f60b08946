"""Sockets that end with their user's access: a socket joins its user's group when it follows the
user and leaves it when it ends; a revocation for the user closes it with 4401, one for another
sign-in of the same user leaves it open; the start of that sign-in's customer mode closes it with
4403 unless it serves the customer's registration; a socket that follows nobody is never allowed a push.
(The re-check against the database before a push: tests/security/test_revocable_access.py.)"""

from __future__ import annotations

import asyncio

from channels.layers import InMemoryChannelLayer

from capture.user_access import CLOSE_CUSTOMER_MODE, CLOSE_UNAUTHENTICATED, FollowsItsUser
from registration.realtime import user_group


class Socket(FollowsItsUser):
    def __init__(self, layer: InMemoryChannelLayer, sign_in: str) -> None:
        self.channel_layer = layer
        self.channel_name = "socket-1"
        self.scope = {"session": type("SignIn", (), {"session_key": sign_in})()}
        self.closed: list[int] = []

    async def close(self, code: int) -> None:
        self.closed.append(code)


class User:
    pk = 7


def test_a_socket_is_in_its_users_group_while_it_follows_the_user() -> None:
    async def heard(layer: InMemoryChannelLayer, channel: str) -> bool:
        await layer.group_send(user_group(7), {"type": "access.revoked"})
        try:
            await asyncio.wait_for(layer.receive(channel), 0.1)
        except TimeoutError:
            return False
        return True

    async def run() -> tuple[bool, bool]:
        layer = InMemoryChannelLayer()
        socket = Socket(layer, "sign-in-1")
        socket.channel_name = await layer.new_channel()
        await socket.follow_user(User(), outlet_id=3)
        following = await heard(layer, socket.channel_name)
        await socket.unfollow_user()
        return following, await heard(layer, socket.channel_name)

    assert asyncio.run(run()) == (True, False)


def test_a_revocation_closes_the_socket_unless_it_names_another_sign_in() -> None:
    async def run(key: str) -> list[int]:
        socket = Socket(InMemoryChannelLayer(), "sign-in-1")
        await socket.follow_user(User(), outlet_id=3)
        await socket.access_revoked({"type": "access.revoked", "login_session_key": key})
        return socket.closed

    assert asyncio.run(run("")) == [CLOSE_UNAUTHENTICATED]
    assert asyncio.run(run("sign-in-1")) == [CLOSE_UNAUTHENTICATED]
    assert asyncio.run(run("sign-in-2")) == []


def test_a_socket_that_follows_nobody_is_never_allowed_a_push() -> None:
    assert asyncio.run(Socket(InMemoryChannelLayer(), "").user_still_allowed()) is False


def test_the_start_of_customer_mode_closes_the_sign_ins_sockets_of_other_screens() -> None:
    """The dashboard and another registration's socket close with 4403; the customer's own stays, and
    so does every socket of another sign-in."""

    async def run(serves: str, key: str) -> list[int]:
        socket = Socket(InMemoryChannelLayer(), "sign-in-1")
        await socket.follow_user(User(), outlet_id=3, session_id=serves)
        await socket.customer_mode_started(
            {"type": "customer_mode.started", "login_session_key": key, "session_id": "a"}
        )
        return socket.closed

    assert asyncio.run(run("", "sign-in-1")) == [CLOSE_CUSTOMER_MODE]
    assert asyncio.run(run("b", "sign-in-1")) == [CLOSE_CUSTOMER_MODE]
    assert asyncio.run(run("a", "sign-in-1")) == []
    assert asyncio.run(run("", "sign-in-2")) == []

"""A staff member's access ends at once: a revocation deletes the user's API token and, after the
commit, tells every socket of the user to close; a sign-out tells only the sockets of that sign-in
and keeps the token; nothing is said before the commit (a rolled-back change closes nothing)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from rest_framework.authtoken.models import Token

from registration.authentication import token_for
from registration.realtime import ACCESS_REVOKED_TYPE, user_group
from registration.services.access import access_revoke, access_signed_out

pytestmark = pytest.mark.django_db


@pytest.fixture
def sockets_of(settings: Any) -> Any:
    """`sockets_of(user)`: a channel in the user's group; `.said(channel)` what reached it (or None)."""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    layer = get_channel_layer()

    class Sockets:
        def __call__(self, user: Any) -> str:
            channel = async_to_sync(layer.new_channel)()
            async_to_sync(layer.group_add)(user_group(user.pk), channel)
            return str(channel)

        def said(self, channel: str) -> Any:
            try:
                return async_to_sync(asyncio.wait_for)(layer.receive(channel), 0.1)
            except TimeoutError:
                return None

    return Sockets()


def test_a_revocation_deletes_the_token_and_closes_the_users_sockets_after_the_commit(
    clerk: Any, sockets_of: Any, django_capture_on_commit_callbacks: Any
) -> None:
    token_for(clerk)
    tablet = sockets_of(clerk)

    with django_capture_on_commit_callbacks() as on_commit:
        assert access_revoke(user=clerk, reason="deactivated") == 1
    assert sockets_of.said(tablet) is None  # not before the commit
    for callback in on_commit:
        callback()

    assert not Token.objects.filter(user=clerk).exists()
    assert sockets_of.said(tablet) == {"type": ACCESS_REVOKED_TYPE, "reason": "deactivated", "login_session_key": ""}


def test_a_sign_out_names_its_sign_in_and_keeps_the_token(
    clerk: Any, sockets_of: Any, django_capture_on_commit_callbacks: Any
) -> None:
    token_for(clerk)
    tablet = sockets_of(clerk)

    with django_capture_on_commit_callbacks(execute=True):
        access_signed_out(user_id=clerk.pk, login_session_key="sign-in-1")

    assert Token.objects.filter(user=clerk).exists()
    assert sockets_of.said(tablet) == {
        "type": ACCESS_REVOKED_TYPE,
        "reason": "signed_out",
        "login_session_key": "sign-in-1",
    }


def test_a_sign_out_without_a_sign_in_closes_nothing(
    clerk: Any, sockets_of: Any, django_capture_on_commit_callbacks: Any
) -> None:
    tablet = sockets_of(clerk)

    with django_capture_on_commit_callbacks(execute=True) as on_commit:
        access_signed_out(user_id=clerk.pk, login_session_key="")

    assert on_commit == []
    assert sockets_of.said(tablet) is None

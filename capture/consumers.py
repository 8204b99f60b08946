"""Thin async consumers: authenticate, scope to the clerk's outlet, relay group messages."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from registration import selectors
from registration.errors import NotFound

from .groups import outlet_group, session_group

CLOSE_UNAUTHENTICATED = 4401
CLOSE_NOT_FOUND = 4404


class SessionConsumer(AsyncJsonWebsocketConsumer):  # type: ignore[misc]
    """Pushes one session's state changes to the clerk's page."""

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        session_id = self.scope["url_route"]["kwargs"]["session_id"]
        try:
            payload = await database_sync_to_async(_session_payload)(user, session_id)
        except NotFound:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.group = session_group(session_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "session", "session": payload})

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def session_update(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "session", "session": event["session"]})


class DashboardConsumer(AsyncJsonWebsocketConsumer):  # type: ignore[misc]
    """Pushes every session change of the clerk's outlet to the outlet dashboard."""

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        outlet = await database_sync_to_async(selectors.staff_outlet)(user)
        if outlet is None:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.group = outlet_group(outlet.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def session_update(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "session", "session": event["session"]})


def _session_payload(user: Any, session_id: str) -> dict[str, Any]:
    return selectors.session_public_payload(selectors.session_get_for_user(user, session_id))

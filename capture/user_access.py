"""Sockets that end with their user's access (the mixin every consumer of capture/consumers.py uses)."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async

from registration import selectors
from registration.realtime import user_group

CLOSE_UNAUTHENTICATED = 4401


class FollowsItsUser:
    """A socket that ends with its user's access: it joins the user's group (closed by
    `services.access_revoke` and a sign-out), and re-checks the user before every push."""

    channel_layer: Any
    channel_name: str
    scope: dict[str, Any]
    user_id: int | None = None
    outlet_id: int | None = None
    login_session_key = ""

    async def follow_user(self, user: Any, outlet_id: int) -> None:
        self.user_id, self.outlet_id = user.pk, outlet_id
        session = self.scope.get("session")
        self.login_session_key = (getattr(session, "session_key", None) or "") if session is not None else ""
        await self.channel_layer.group_add(user_group(user.pk), self.channel_name)

    async def unfollow_user(self) -> None:
        if self.user_id is not None:
            await self.channel_layer.group_discard(user_group(self.user_id), self.channel_name)

    async def user_still_allowed(self) -> bool:
        if self.user_id is None or self.outlet_id is None:
            return False
        return bool(
            await database_sync_to_async(selectors.socket_user_allowed)(
                user_id=self.user_id, outlet_id=self.outlet_id, login_session_key=self.login_session_key
            )
        )

    async def access_revoked(self, event: dict[str, Any]) -> None:
        key = event.get("login_session_key") or ""
        if not key or key == self.login_session_key:
            await self.end_for_access()

    async def end_for_access(self) -> None:
        await self.close(code=CLOSE_UNAUTHENTICATED)  # type: ignore[attr-defined]

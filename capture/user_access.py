"""Sockets that end with their user's access (the mixin every consumer of capture/consumers.py uses),
and that keep to the customer's screens while the sign-in is in customer mode."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async

from registration import selectors
from registration.customer_mode import customer_may_see
from registration.realtime import user_group

CLOSE_UNAUTHENTICATED = 4401
CLOSE_CUSTOMER_MODE = 4403
"""The sign-in's customer holds the tablet and this socket serves none of the customer's screens
(the dashboard, another registration): the page reloads, which shows the hand-back screen."""

CLOSE_CODES = {
    selectors.SOCKET_ACCESS_ENDED: CLOSE_UNAUTHENTICATED,
    selectors.SOCKET_CUSTOMER_MODE: CLOSE_CUSTOMER_MODE,
}


class FollowsItsUser:
    """A socket that ends with its user's access: it joins the user's group (closed by
    `services.access_revoke`, a sign-out and the start of customer mode), and re-checks the user
    before every push."""

    channel_layer: Any
    channel_name: str
    scope: dict[str, Any]
    user_id: int | None = None
    outlet_id: int | None = None
    login_session_key = ""
    serves_session = ""
    """The registration whose screen the socket serves; "" for one of no registration (the dashboard)."""

    async def follow_user(self, user: Any, outlet_id: int, session_id: Any = "") -> None:
        self.user_id, self.outlet_id, self.serves_session = user.pk, outlet_id, str(session_id)
        session = self.scope.get("session")
        self.login_session_key = (getattr(session, "session_key", None) or "") if session is not None else ""
        await self.channel_layer.group_add(user_group(user.pk), self.channel_name)

    async def unfollow_user(self) -> None:
        if self.user_id is not None:
            await self.channel_layer.group_discard(user_group(self.user_id), self.channel_name)

    async def access_refusal(self) -> int | None:
        """None while the socket may be pushed to, else the code it closes with."""
        if self.user_id is None or self.outlet_id is None:
            return CLOSE_UNAUTHENTICATED
        refusal = await database_sync_to_async(selectors.socket_refusal)(
            user_id=self.user_id,
            outlet_id=self.outlet_id,
            login_session_key=self.login_session_key,
            session_id=self.serves_session,
        )
        return CLOSE_CODES[refusal] if refusal else None

    async def user_still_allowed(self) -> bool:
        return await self.access_refusal() is None

    async def refused_in_customer_mode(self) -> bool:
        """At the connection (after the accept, so the page sees the code): whether the sign-in's
        customer mode refuses this socket, which is then closed."""
        if await self.access_refusal() != CLOSE_CUSTOMER_MODE:
            return False
        await self.end_for_access(CLOSE_CUSTOMER_MODE)
        return True

    async def access_revoked(self, event: dict[str, Any]) -> None:
        key = event.get("login_session_key") or ""
        if not key or key == self.login_session_key:
            await self.end_for_access()

    async def customer_mode_started(self, event: dict[str, Any]) -> None:
        """The sign-in handed the tablet to a customer: a socket that serves none of their screens ends."""
        key = event.get("login_session_key") or ""
        if key and key == self.login_session_key and not customer_may_see(event["session_id"], self.serves_session):
            await self.end_for_access(CLOSE_CUSTOMER_MODE)

    async def end_for_access(self, code: int = CLOSE_UNAUTHENTICATED) -> None:
        await self.close(code=code)  # type: ignore[attr-defined]

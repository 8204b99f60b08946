"""Channels group names and the one function that pushes a session's change to its screens (the
clerk's page and the outlet dashboard). It belongs to registration: a session's state is its to announce."""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)

SESSION_UPDATE_TYPE = "session.update"
ACCESS_REVOKED_TYPE = "access.revoked"
CUSTOMER_MODE_STARTED_TYPE = "customer_mode.started"


def session_group(session_id: UUID | str) -> str:
    return f"session.{session_id}"


def outlet_group(outlet_id: int) -> str:
    return f"outlet.{outlet_id}"


def user_group(user_id: int) -> str:
    """Every socket a user has open, on any screen: closed together when the user's access changes."""
    return f"user.{user_id}"


def broadcast_access_revoked(*, user_id: int, reason: str, login_session_key: str = "") -> None:
    """Close the user's sockets (call after commit); with `login_session_key`, only those of that
    sign-in (a sign-out on one tablet leaves the user's other tablets alone)."""
    message = {"type": ACCESS_REVOKED_TYPE, "reason": reason, "login_session_key": login_session_key}
    _send_to_user(user_id, message, failed="could not close the sockets of user %s")


def broadcast_customer_mode_started(*, user_id: int, login_session_key: str, session_id: UUID | str) -> None:
    """The sign-in handed the tablet to the customer of `session_id` (call after commit): its sockets
    that serve none of that customer's screens close (`registration.customer_mode:customer_may_see`)."""
    message = {
        "type": CUSTOMER_MODE_STARTED_TYPE,
        "login_session_key": login_session_key,
        "session_id": str(session_id),
    }
    _send_to_user(user_id, message, failed="could not close the clerk's sockets of user %s")


def _send_to_user(user_id: int, message: dict[str, Any], *, failed: str) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(user_group(user_id), message)
    except Exception:  # the sockets still re-check the user on their next push
        logger.exception(failed, user_id)


def broadcast_session_update(*, session_id: UUID | str, outlet_id: int, payload: dict[str, Any]) -> None:
    """Send a session's new state to the clerk's page and the outlet dashboard (call after commit)."""
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": SESSION_UPDATE_TYPE, "session": payload}
    try:
        async_to_sync(layer.group_send)(session_group(session_id), message)
        async_to_sync(layer.group_send)(outlet_group(outlet_id), message)
    except Exception:  # a lost push must never undo a committed decision; pages re-read on reconnect
        logger.exception("could not push the update of session %s", session_id)

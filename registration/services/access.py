"""A staff member's access ends: API tokens deleted, open sockets closed (after commit).

Called by the admin when it deactivates a user, changes a password or moves a user to another
outlet, by the sign-out page for that sign-in's sockets, and by the API's token revocation. Tokens
issued before a password or outlet change fail on their own as well (registration/authentication.py),
and every push re-checks its user (`selectors.socket_user_allowed`): this makes the end immediate.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db import transaction

from registration.authentication import token_revoke
from registration.realtime import broadcast_access_revoked


def access_revoke(*, user: Any, reason: str) -> int:
    """End every API token and socket of `user`; returns how many tokens were deleted."""
    deleted = token_revoke(user)
    transaction.on_commit(partial(broadcast_access_revoked, user_id=user.pk, reason=reason))
    return deleted


def access_signed_out(*, user_id: int, login_session_key: str) -> None:
    """A sign-out: the sockets opened under that sign-in close (the user's API token stays)."""
    if login_session_key:
        transaction.on_commit(
            partial(broadcast_access_revoked, user_id=user_id, reason="signed_out", login_session_key=login_session_key)
        )

"""The tablet's customer mode, in the audit log: the clerk hands the tablet to the customer, and
comes back only with their password (a refused return is recorded too). The flag itself lives on
the clerk's sign-in (registration/customer_mode.py); this module writes what happened, and closes the
sign-in's sockets that serve none of the customer's screens (the dashboard, another registration)."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db import transaction

from registration.audit import audit
from registration.models import VerificationSession
from registration.realtime import broadcast_customer_mode_started


def customer_mode_begin(*, clerk: Any, session: VerificationSession, login_session_key: str = "") -> None:
    """The clerk gave the tablet to the customer of `session`: only that customer's screens show.
    With the sign-in's `login_session_key` (its flag already saved), its other sockets close."""
    with transaction.atomic():
        audit(actor=clerk, action="customer_mode.started", target=session, outlet=session.outlet)
        if login_session_key:
            transaction.on_commit(
                partial(
                    broadcast_customer_mode_started,
                    user_id=clerk.pk,
                    login_session_key=login_session_key,
                    session_id=session.pk,
                )
            )


def customer_mode_end(*, clerk: Any, session_id: str, returned: bool) -> None:
    """The clerk came back with their password (`returned`), or someone tried and failed."""
    session = VerificationSession.objects.filter(pk=session_id).select_related("outlet").first()
    with transaction.atomic():
        audit(
            actor=clerk,
            action="customer_mode.ended" if returned else "customer_mode.return_refused",
            object_type=VerificationSession._meta.label_lower,
            object_id=session_id,
            outlet=session.outlet if session is not None else None,
        )

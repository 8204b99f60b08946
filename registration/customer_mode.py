"""Customer mode's rule, in one place: from the handover until the clerk's password, the clerk's
sign-in serves only the screens of one registration, the one whose customer holds the tablet.

The flag is in the sign-in (the Django session, server side). The pages and API calls ask here
through frontend/customer_mode.py (which of its pages are a registration's customer screens), the
sockets through capture/user_access.py (a socket serves one registration, or none: the dashboard)."""

from __future__ import annotations

from typing import Any

CUSTOMER_MODE_KEY = "shiming_customer_mode"
"""The sign-in's key that names the registration whose customer holds the tablet."""


def customer_mode_session(signed_in: Any) -> str:
    """The registration whose customer holds the tablet, or "" when the clerk does (`signed_in`: a
    Django session, or None where there is none)."""
    return str(signed_in.get(CUSTOMER_MODE_KEY, "")) if signed_in is not None else ""


def customer_may_see(customer_session: str, session_id: str) -> bool:
    """Whether a screen of registration `session_id` ("" for one of no registration: the dashboard,
    the clerk's lists) may show while the customer of `customer_session` holds the tablet ("" when
    the clerk does: everything may)."""
    return not customer_session or (bool(session_id) and str(session_id) == customer_session)

"""What a locked-out sign-in sees (django-axes' AXES_LOCKOUT_CALLABLE).

The rule (docs/deployment.md, "Sign-in lockout behind the proxy"): failures are counted per user
name *and* client address, and `AXES_FAILURE_LIMIT` of them lock that user name at that address
for `AXES_COOLOFF_TIME`. The client address is `proxies.client_ip_address`
(AXES_CLIENT_IP_CALLABLE): a client cannot buy more guesses by writing its own `X-Forwarded-For`,
and customers behind the proxy do not share one counter, so a stranger's five bad guesses lock the
user name for the stranger's address only.
"""

from __future__ import annotations

from typing import Any

from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from .error_messages import error_message

LOCKED_STATUS = 429


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict[str, Any] | None = None
) -> HttpResponse:
    """The sign-in page saying plainly that this user name is locked on this device, and for how long.

    API clients (the token endpoint) get the API's JSON error shape instead.
    """
    cool_off = get_cool_off(request)
    minutes = max(1, round(cool_off.total_seconds() / 60)) if cool_off else None
    context = {
        "username": get_client_username(request, credentials) or "",
        "failure_limit": get_failure_limit(request, credentials),
        "cooloff_minutes": minutes,
    }
    if request.path.startswith("/api/"):
        body = {
            "error": {
                "code": "locked_out",
                "message": error_message("locked_out"),
                "details": {"cooloff_minutes": minutes},
            }
        }
        return JsonResponse(body, status=LOCKED_STATUS)
    return render(request, "registration/login_locked.html", context, status=LOCKED_STATUS)

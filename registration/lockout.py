"""Sign-in lockout (django-axes): whose address a failure counts against, and what a locked-out sign-in sees.

The rule (README, "Sign-in lockout"): failures are counted per user name *and* client address, and
`AXES_FAILURE_LIMIT` of them lock that user name at that address for `AXES_COOLOFF_TIME`. The client
address is the TCP peer, unless the peer is one of `SHIMING_TRUSTED_PROXIES` (the TLS proxy): then it
is the nearest address in `X-Forwarded-For` that is not a trusted proxy. So a client cannot buy more
guesses by writing its own `X-Forwarded-For`, and customers behind the proxy do not share one counter:
a stranger's five bad guesses lock the user name for the stranger's address only.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Any

from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

LOCKED_STATUS = 429

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip())


def trusted_proxy_networks() -> tuple[IPNetwork, ...]:
    """`SHIMING_TRUSTED_PROXIES` (addresses or CIDR blocks) parsed once per value."""
    return _networks(tuple(settings.SHIMING_TRUSTED_PROXIES))


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _is_trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return any(address in network for network in trusted_proxy_networks())


def client_ip_address(request: HttpRequest) -> str:
    """The address a sign-in failure counts against (django-axes' AXES_CLIENT_IP_CALLABLE)."""
    peer_text = request.META.get("REMOTE_ADDR", "") or ""
    peer = _address(peer_text)
    if peer is None or not _is_trusted(peer):
        return peer_text
    hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):  # the proxy appends the address it saw: read from the right
        address = _address(hop)
        if address is None:
            break  # a malformed entry: nothing to its left can be trusted either
        if not _is_trusted(address):
            return str(address)
    return peer_text


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
        message = "Too many failed sign-ins: this user name is locked on this device."
        body = {"error": {"code": "locked_out", "message": message, "details": {"cooloff_minutes": minutes}}}
        return JsonResponse(body, status=LOCKED_STATUS)
    return render(request, "registration/login_locked.html", context, status=LOCKED_STATUS)

"""Which addresses may speak for others: the TLS proxies in `SHIMING_TRUSTED_PROXIES`.

The web process listens on loopback behind the proxy (docker/). A request's client address is its
TCP peer, unless the peer is a trusted proxy: then it is the nearest address in `X-Forwarded-For`
that is not a trusted proxy. The same test decides whether a proxy's `X-Forwarded-Proto` counts.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

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


def is_trusted_proxy(peer: str) -> bool:
    """Whether the TCP peer `peer` (an address as text) is one of the trusted proxies."""
    address = _address(peer)
    return address is not None and _is_trusted(address)


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

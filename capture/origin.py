"""The WebSocket Origin check: the page that opens a socket must come from this site, scheme and port included.

Channels' `AllowedHostsOriginValidator` compares the Origin's host name with ALLOWED_HOSTS only, so
`http://host` (a page served without TLS, or by a man in the middle) and `https://host:8443` (another
service on the same name) passed. Here the Origin must equal the socket's own origin: `https` when
the connection is secure (`wss`, or the trusted proxy says so in `SECURE_PROXY_SSL_HEADER`), the Host
header's name (in ALLOWED_HOSTS) and port, default ports made explicit; or be listed in
CSRF_TRUSTED_ORIGINS, the same list Django's CSRF check accepts.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host
from django.utils.http import is_same_domain

from registration.proxies import is_trusted_proxy

Origin = tuple[str, str, int]  # scheme, host name, port
DEFAULT_PORTS = {"http": 80, "https": 443}


def parse_origin(text: str) -> Origin | None:
    """("https", "host", 443) from "https://host", or None for anything that is not an http(s) origin."""
    try:
        parts = urlsplit(text.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname or parts.path not in ("", "/"):
        return None
    return parts.scheme, parts.hostname.lower(), port or DEFAULT_PORTS[parts.scheme]


def _header(scope: dict[str, Any], name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return bytes(value).decode("latin1")
    return ""


def _is_secure(scope: dict[str, Any]) -> bool:
    if scope.get("scheme") == "wss":
        return True
    proxy_header = settings.SECURE_PROXY_SSL_HEADER
    client = scope.get("client") or ("", 0)
    if not proxy_header or not is_trusted_proxy(str(client[0])):
        return False
    name, secure_value = proxy_header
    header = name.removeprefix("HTTP_").lower().replace("_", "-").encode()
    return _header(scope, header).split(",")[0].strip() == secure_value


def own_origin(scope: dict[str, Any]) -> Origin | None:
    """The origin of the page that may open this socket, or None if its Host is not one of ours."""
    domain, port = split_domain_port(_header(scope, b"host"))
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return None
    scheme = "https" if _is_secure(scope) else "http"
    return scheme, domain.strip("[]"), int(port) if port else DEFAULT_PORTS[scheme]


def _trusted(origin: Origin) -> bool:
    """Listed in CSRF_TRUSTED_ORIGINS ("https://*.example.com" also covers the subdomains, as in Django)."""
    scheme, host, port = origin
    for entry in settings.CSRF_TRUSTED_ORIGINS:
        wildcard = "://*." in entry
        pattern = parse_origin(entry.replace("://*.", "://", 1))
        if pattern is None or (pattern[0], pattern[2]) != (scheme, port):
            continue
        if host == pattern[1] or (wildcard and is_same_domain(host, "." + pattern[1])):
            return True
    return False


def origin_allowed(scope: dict[str, Any]) -> bool:
    origin = parse_origin(_header(scope, b"origin"))
    if origin is None:
        return False
    return origin == own_origin(scope) or _trusted(origin)


class SameOriginValidator:
    """ASGI middleware for WebSockets: refuse the handshake unless `origin_allowed`."""

    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] != "websocket":
            raise ValueError("SameOriginValidator guards WebSocket connections only")
        if origin_allowed(scope):
            return await self.application(scope, receive, send)
        return await WebsocketDenier()(scope, receive, send)

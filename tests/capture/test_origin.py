"""The WebSocket Origin check: the page's origin must equal the socket's own (scheme from `wss` or
a trusted proxy's header, the Host's name and port, default ports explicit), or be listed in
CSRF_TRUSTED_ORIGINS (a `*.` entry covers subdomains, same scheme and port only); anything that is
not an http(s) origin is refused. Checked on ASGI scopes, without a server."""

from __future__ import annotations

from typing import Any

import pytest

from capture.origin import origin_allowed, parse_origin


def _scope(
    origin: str,
    host: str = "shiming.example",
    *,
    scheme: str = "ws",
    headers: dict[str, str] | None = None,
    client: tuple[str, int] = ("192.0.2.1", 1),
) -> dict[str, Any]:
    sent = [(b"host", host.encode()), (b"origin", origin.encode())]
    sent += [(name.encode(), value.encode()) for name, value in (headers or {}).items()]
    return {"type": "websocket", "scheme": scheme, "headers": sent, "client": client}


@pytest.fixture(autouse=True)
def site(settings: Any) -> None:
    settings.ALLOWED_HOSTS = ["shiming.example"]
    settings.CSRF_TRUSTED_ORIGINS = ["https://*.outlets.example"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SHIMING_TRUSTED_PROXIES = ["10.0.0.5"]


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("https://Host.example", ("https", "host.example", 443)),
        ("http://host:8080/", ("http", "host", 8080)),
        ("null", None),
        ("file:///tmp/page.html", None),
        ("https://host/page", None),
        ("https://host:99999", None),
    ],
)
def test_only_an_http_origin_parses(text: str, parsed: tuple[str, str, int] | None) -> None:
    assert parse_origin(text) == parsed


def test_the_sites_own_origin_is_allowed_with_its_scheme_and_port() -> None:
    assert origin_allowed(_scope("https://shiming.example", scheme="wss"))
    assert origin_allowed(_scope("https://shiming.example:443", scheme="wss"))
    assert origin_allowed(_scope("http://shiming.example:8765", "shiming.example:8765"))


def test_another_scheme_port_or_host_is_refused() -> None:
    assert not origin_allowed(_scope("http://shiming.example", scheme="wss"))
    assert not origin_allowed(_scope("https://shiming.example:8443", scheme="wss"))
    assert not origin_allowed(_scope("https://evil.example", scheme="wss"))
    assert not origin_allowed(_scope("https://evil.example", "evil.example", scheme="wss"))


def test_only_a_trusted_proxy_may_say_the_connection_was_secure() -> None:
    forwarded = {"x-forwarded-proto": "https"}
    assert origin_allowed(_scope("https://shiming.example", client=("10.0.0.5", 1), headers=forwarded))
    assert not origin_allowed(_scope("https://shiming.example", client=("192.0.2.9", 1), headers=forwarded))


def test_a_trusted_origin_covers_its_subdomains_with_the_same_scheme_and_port() -> None:
    assert origin_allowed(_scope("https://a.outlets.example", scheme="wss"))
    assert origin_allowed(_scope("https://outlets.example", scheme="wss"))
    assert not origin_allowed(_scope("http://a.outlets.example", scheme="wss"))
    assert not origin_allowed(_scope("https://a.outlets.example:8443", scheme="wss"))
    assert not origin_allowed(_scope("https://notoutlets.example", scheme="wss"))

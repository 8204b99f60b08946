"""Whose address a request carries: the TCP peer, unless that peer is a trusted proxy; then the
nearest address in X-Forwarded-For that is not a trusted proxy, read from the right, and never
anything left of a malformed entry (an attacker writes the left part of the header)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import RequestFactory

from registration.proxies import client_ip_address, is_trusted_proxy

PROXY = "10.0.0.5"


def _address_of(peer: str, forwarded: str | None = None) -> str:
    request = RequestFactory().get("/", REMOTE_ADDR=peer)
    if forwarded is not None:
        request.META["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_ip_address(request)


@pytest.fixture(autouse=True)
def trusted_proxy(settings: Any) -> None:
    settings.SHIMING_TRUSTED_PROXIES = ["10.0.0.0/29", " ", "2001:db8::1"]


def test_an_untrusted_peer_is_the_client_whatever_it_forwards() -> None:
    assert _address_of("203.0.113.9", "198.51.100.1") == "203.0.113.9"


def test_behind_a_trusted_proxy_the_rightmost_untrusted_hop_is_the_client() -> None:
    assert _address_of(PROXY, "198.51.100.1, 203.0.113.7") == "203.0.113.7"
    assert _address_of(PROXY, "198.51.100.1, 203.0.113.7, 10.0.0.2") == "203.0.113.7"


def test_nothing_left_of_a_malformed_hop_is_believed() -> None:
    assert _address_of(PROXY, "198.51.100.1, not-an-address") == PROXY


def test_a_trusted_proxy_without_a_forwarded_client_is_itself_the_client() -> None:
    assert _address_of(PROXY) == PROXY
    assert _address_of(PROXY, "10.0.0.3") == PROXY


def test_trusted_proxies_are_the_listed_addresses_and_blocks_only(settings: Any) -> None:
    assert is_trusted_proxy("10.0.0.7")
    assert is_trusted_proxy("2001:db8::1")
    assert not is_trusted_proxy("10.0.0.8")
    assert not is_trusted_proxy("not-an-address")
    settings.SHIMING_TRUSTED_PROXIES = []
    assert not is_trusted_proxy("10.0.0.7")

"""Which ICE candidates an offer may carry, and which of the server's addresses an answer discloses.

aioice sends connectivity checks to every candidate address in the offer, with the offer's user
fragment: unfiltered, an offer steers the server's UDP at its own loopback or private network. And
aiortc answers with a host candidate for every interface, disclosing internal addresses. Both sides
keep public addresses, mDNS names (`*.local`, what browsers put instead of their host address) and
addresses inside `SHIMING_ICE_LOCAL_NETWORKS` (an outlet network the deployment serves directly).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

MAX_OFFER_CANDIDATES = 16
"""A browser offers a few per network interface (host, server-reflexive, relay): 16 is plenty."""
MAX_UFRAG_CHARS = 32
"""RFC 8839 allows 4-256 characters; browsers send 4 (Chromium) to 32 (Firefox's hex)."""

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class CandidateRefused(ValueError):
    """The offer's ICE attributes are out of bounds."""


def local_networks(entries: Sequence[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def reachable(address: str, allowed: Sequence[Network]) -> bool:
    """Whether a candidate's address may be used: an mDNS name, a public address, or one in `allowed`."""
    if address.endswith(".local"):
        return True
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False  # another host name: the server resolves nothing an offer names
    if any(ip in network for network in allowed):
        return True
    return ip.is_global and not ip.is_multicast


def offer_filtered(sdp: str, allowed: Sequence[Network]) -> str:
    """The offer with only usable candidates (at most `MAX_OFFER_CANDIDATES`); a user fragment
    longer than `MAX_UFRAG_CHARS` refuses the offer."""
    kept: list[str] = []
    candidates = 0
    for line in sdp.splitlines():
        if line.startswith("a=ice-ufrag:") and len(line.removeprefix("a=ice-ufrag:").strip()) > MAX_UFRAG_CHARS:
            raise CandidateRefused("ice-ufrag")
        if line.startswith("a=candidate:"):
            if candidates >= MAX_OFFER_CANDIDATES or not reachable(_address(line), allowed):
                continue
            candidates += 1
        kept.append(line)
    return "\r\n".join(kept) + "\r\n"


def answer_filtered(sdp: str, allowed: Sequence[Network]) -> str:
    """The answer without the server's loopback, link-local and private addresses (unless allowed)."""
    kept = [
        line for line in sdp.splitlines() if not line.startswith("a=candidate:") or reachable(_address(line), allowed)
    ]
    return "\r\n".join(kept) + "\r\n"


def _address(line: str) -> str:
    """`a=candidate:<foundation> <component> <transport> <priority> <address> <port> typ ...`"""
    fields = line.split()
    return fields[4] if len(fields) > 4 else ""

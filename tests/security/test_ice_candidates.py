"""WebRTC offers cannot steer the server's UDP, and answers do not disclose its internal addresses:
an offer's candidates in loopback, link-local or private ranges (outside `SHIMING_ICE_LOCAL_NETWORKS`)
are dropped, at most 16 are kept, a user fragment over 32 characters refuses the offer, and the
answer lists none of the server's non-public addresses (capture/webrtc/candidates.py)."""

from __future__ import annotations

import asyncio
import ipaddress
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from capture.webrtc.candidates import CandidateRefused, local_networks, offer_filtered
from capture.webrtc.peer import CapturePeer, OfferRejected
from tests.capture.fakes import BrowserPeer, FakeAnalysis

from .report import record_bad_input

pytestmark = [pytest.mark.security]

STEERING = ["127.0.0.1", "10.1.2.3", "192.168.0.10", "172.20.0.5", "169.254.169.254", "::1", "fe80::1", "224.0.0.1"]


def _candidate(address: str, index: int = 1) -> str:
    return f"a=candidate:{index} 1 udp 2130706431 {address} 40000 typ host"


def _with(sdp: str, extra: list[str], ufrag: str | None = None) -> str:
    lines = sdp.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith(("a=candidate:", "a=end-of-candidates")))
    lines[at:at] = extra
    if ufrag is not None:
        lines = [f"a=ice-ufrag:{ufrag}" if line.startswith("a=ice-ufrag:") else line for line in lines]
    return "\r\n".join(lines) + "\r\n"


def _addresses(sdp: str) -> list[str]:
    return [line.split()[4] for line in sdp.splitlines() if line.startswith("a=candidate:")]


async def _answer(offer: str, networks: list[str]) -> str:
    async def nothing(*_: Any) -> None:
        return None

    peer = CapturePeer(
        plan=["blink"],
        ice_servers=[],
        executor=ThreadPoolExecutor(max_workers=1),
        send=nothing,
        on_end=nothing,
        analysis_factory=lambda plan: FakeAnalysis(list(plan)),  # type: ignore[arg-type,return-value]
        ice_local_networks=networks,
    )
    try:
        return await peer.accept_offer(offer)
    finally:
        await peer.close("test")


def test_an_offer_cannot_point_the_server_at_internal_addresses() -> None:
    async def scenario() -> tuple[str, str]:
        browser = BrowserPeer()
        try:
            sdp = await browser.offer_sdp()
        finally:
            await browser.close()
        return sdp, offer_filtered(_with(sdp, [_candidate(address, i) for i, address in enumerate(STEERING)]), ())

    _original, filtered = asyncio.run(scenario())
    left = set(_addresses(filtered)) & set(STEERING)
    record_bad_input(
        "offer with loopback/private/link-local candidates",
        expected="dropped",
        got="dropped" if not left else f"kept {sorted(left)}",
        code="candidates",
    )
    assert not left
    assert "m=video" in filtered


def test_configured_outlet_networks_are_kept() -> None:
    sdp = (
        "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
        + _candidate("192.168.5.7")
        + "\r\n"
        + _candidate("10.0.0.1", 2)
        + "\r\n"
    )
    assert _addresses(offer_filtered(sdp, local_networks(["192.168.5.0/24"]))) == ["192.168.5.7"]


def test_an_offer_keeps_at_most_16_candidates() -> None:
    many = [_candidate(f"81.2.69.{index}", index) for index in range(1, 60)]
    sdp = "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n" + "\r\n".join(many) + "\r\n"
    kept = _addresses(offer_filtered(sdp, ()))
    record_bad_input("offer with 59 candidates", expected="16", got=str(len(kept)), code="candidates")
    assert len(kept) == 16


def test_a_long_ufrag_refuses_the_offer() -> None:
    sdp = "v=0\r\na=ice-ufrag:" + "u" * 200 + "\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
    with pytest.raises(CandidateRefused):
        offer_filtered(sdp, ())

    async def scenario() -> str:
        browser = BrowserPeer()
        try:
            offer = _with(await browser.offer_sdp(), [], ufrag="u" * 200)
        finally:
            await browser.close()
        try:
            await _answer(offer, [])
        except OfferRejected as refused:
            return refused.code
        return "answered"

    got = asyncio.run(scenario())
    record_bad_input("offer with a 200-character ufrag", expected="invalid_offer", got=got, code="candidates")
    assert got == "invalid_offer"


def test_the_answer_discloses_no_internal_address_of_the_server() -> None:
    async def scenario() -> str:
        browser = BrowserPeer()
        try:
            return await _answer(await browser.offer_sdp(), [])
        finally:
            await browser.close()

    answer = asyncio.run(scenario())
    internal = [
        address
        for address in _addresses(answer)
        if not address.endswith(".local") and not ipaddress.ip_address(address).is_global
    ]
    record_bad_input(
        "answer's host candidates",
        expected="public only",
        got="public only" if not internal else f"{internal}",
        code="candidates",
    )
    assert internal == []
    assert "m=video" in answer

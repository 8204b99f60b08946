"""A fair share of a web process's capture slots: one clerk holds at most two, and an outlet at its
share cannot take the last free slot while another outlet holds one
(capture/webrtc/registry.py:PeerRegistry.reserve); a page that never sends its offer gives its slot
back after 10 s (capture/webrtc/peer.py:PeerTimeouts)."""

from __future__ import annotations

import pytest

from capture.webrtc.peer import PeerTimeouts
from capture.webrtc.registry import CaptureBusy, PeerRegistry, SlotHolder

from .report import record_bad_input

pytestmark = [pytest.mark.security]

A1, A2, A3 = SlotHolder(outlet_id=1, clerk_id=11), SlotHolder(outlet_id=1, clerk_id=12), SlotHolder(1, 13)
B1, B2 = SlotHolder(outlet_id=2, clerk_id=21), SlotHolder(outlet_id=2, clerk_id=22)


def _taken(registry: PeerRegistry, session_id: str, holder: SlotHolder) -> bool:
    try:
        registry.reserve(session_id, holder)
    except CaptureBusy:
        return False
    return True


def test_one_clerk_cannot_take_every_slot() -> None:
    registry = PeerRegistry(limit=4)
    taken = [_taken(registry, f"s{index}", A1) for index in range(4)]
    record_bad_input("one clerk opens 4 captures", expected="2 of 4", got=f"{sum(taken)} of 4", code="busy")
    assert taken == [True, True, False, False]
    assert _taken(registry, "other-clerk", A2)
    assert _taken(registry, "other-outlet", B1)


def test_an_outlet_at_its_share_leaves_the_last_slot_to_the_others() -> None:
    registry = PeerRegistry(limit=4)
    assert _taken(registry, "a1", A1)
    assert _taken(registry, "b1", B1)
    assert _taken(registry, "a2", A2)  # outlet 1 now holds its share (4 slots / 2 outlets)
    assert not _taken(registry, "a3", A3)  # the last free slot stays with outlet 2
    assert _taken(registry, "b2", B2)


def test_a_lone_outlet_may_use_every_slot() -> None:
    registry = PeerRegistry(limit=4)
    assert all(_taken(registry, f"s{index}", holder) for index, holder in enumerate((A1, A1, A2, A2)))


def test_a_slot_without_an_offer_is_given_back_soon() -> None:
    assert PeerTimeouts().offer_seconds <= 10

"""The process's capture slots: as many captures as the limit (at least one), a session opened
twice on this process refused as already open, a released slot free again for anyone, and the
process's registry sized by `SHIMING_MAX_CAPTURE_SESSIONS` with one analysis thread per slot.
The fair share between clerks and outlets: tests/security/test_capture_slots.py; the trim after a
release: tests/capture/webrtc/test_memory.py."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from capture.webrtc.registry import CaptureAlreadyOpen, CaptureBusy, PeerRegistry, get_registry
from tests.peer_registry import fresh_peer_registry


def test_the_limit_is_at_least_one_capture() -> None:
    registry = PeerRegistry(limit=0)

    registry.reserve("a")
    with pytest.raises(CaptureBusy):
        registry.reserve("b")


def test_a_session_open_on_this_process_is_not_opened_twice() -> None:
    registry = PeerRegistry(limit=3)
    registry.reserve("a")

    with pytest.raises(CaptureAlreadyOpen):
        registry.reserve("a")
    assert registry.active_count == 1


def test_a_released_slot_is_free_again() -> None:
    async def run() -> None:
        registry = PeerRegistry(limit=2)
        registry.reserve("a")
        registry.reserve("b")
        with pytest.raises(CaptureBusy):
            registry.reserve("c")

        registry.release("a")
        registry.release("a")  # a second release changes nothing
        registry.reserve("c")
        assert registry.active_count == 2
        with pytest.raises(CaptureBusy):
            registry.reserve("d")

    asyncio.run(run())


def test_the_processs_registry_follows_the_setting(settings: Any) -> None:
    settings.SHIMING_MAX_CAPTURE_SESSIONS = 3

    with fresh_peer_registry():
        registry = get_registry()

        assert registry is get_registry()
        assert registry.limit == 3
        assert registry.executor._max_workers == 3  # noqa: SLF001  the pool's size has no public name

"""After a capture ends the web process hands the allocator's free pages back to the system, at
most once per interval (capture/webrtc/memory.py)."""

from __future__ import annotations

import asyncio
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from bench.load.stack import web_process_env
from capture.webrtc.memory import AllocatorTrim, glibc_malloc_trim
from capture.webrtc.registry import PeerRegistry, get_registry
from tests.environment import needs_library
from tests.processes import SUITE_ONLY_VARIABLES, run_python

pytestmark = pytest.mark.slow

PAGE = os.sysconf("SC_PAGE_SIZE")


def resident_mib() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * PAGE / 2**20


def fragment_the_heap() -> list[bytearray]:
    """About 256 MiB in 64 KiB blocks (below glibc's mmap threshold, so inside the heap), then all
    but every 16th freed: the free pages lie between live blocks, where free() keeps them."""
    blocks = [bytearray(64 * 1024) for _ in range(4096)]
    for block in blocks:  # touch every page, so it is resident
        block[::PAGE] = b"\x01" * len(block[::PAGE])
    return blocks[::16]


class CountingTrim:
    def __init__(self) -> None:
        self.calls = 0
        self.threads: list[str] = []

    def __call__(self) -> int:
        self.calls += 1
        self.threads.append(threading.current_thread().name)
        return 1


class ManualClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_trim_gives_freed_heap_pages_back_to_the_system() -> None:
    # The product runs on glibc (the production image is Debian): finding malloc_trim is part of the test.
    trim = glibc_malloc_trim()
    assert trim is not None, "no malloc_trim in the C library: SHIMING_MALLOC_TRIM_SECONDS would do nothing here"
    result: dict[str, float] = {}

    def in_a_thread() -> None:  # a thread of its own, as a capture's decoder: its own arena
        kept = fragment_the_heap()
        result["freed"] = resident_mib()
        AllocatorTrim(30, trim).trim_now()
        result["trimmed"] = resident_mib()
        result["kept_mib"] = len(kept) * 64 / 1024

    thread = threading.Thread(target=in_a_thread)
    thread.start()
    thread.join()
    # About 240 MiB was freed between the live blocks; free() alone keeps nearly all of it resident.
    assert result["freed"] - result["trimmed"] > 150, result


def test_one_trim_per_interval_however_many_captures_end() -> None:
    trim, clock = CountingTrim(), ManualClock()
    allocator = AllocatorTrim(30, trim, clock=clock)

    async def captures_end() -> None:
        loop = asyncio.get_running_loop()
        allocator.after_capture(loop)
        clock.now += 29
        allocator.after_capture(loop)
        allocator.after_capture(loop)
        clock.now += 1
        allocator.after_capture(loop)
        await loop.shutdown_default_executor()

    asyncio.run(captures_end())
    assert trim.calls == 2
    assert allocator.trims == 2
    assert threading.main_thread().name not in trim.threads  # never on the event loop's thread


@pytest.mark.parametrize(("interval", "trim"), [(0, CountingTrim()), (30, None)], ids=["interval 0", "no malloc_trim"])
def test_no_trim_when_switched_off_or_missing(interval: float, trim: CountingTrim | None) -> None:
    allocator = AllocatorTrim(interval, trim)

    async def capture_ends() -> None:
        loop = asyncio.get_running_loop()
        allocator.after_capture(loop)
        await loop.shutdown_default_executor()

    asyncio.run(capture_ends())
    assert not allocator.enabled
    assert allocator.trims == 0
    assert trim is None or trim.calls == 0


def test_the_registry_trims_when_a_held_capture_slot_is_released() -> None:
    trim = CountingTrim()
    registry = PeerRegistry(2, AllocatorTrim(30, trim))

    async def a_capture() -> None:
        loop = asyncio.get_running_loop()
        loop.set_default_executor(ThreadPoolExecutor(max_workers=1))  # in order: a no-op after it waits for it
        registry.release("never-reserved")  # a refused connection frees no capture's buffers
        await loop.run_in_executor(None, lambda: None)
        assert trim.calls == 0
        registry.reserve("session-1")
        registry.release("session-1")
        registry.release("session-1")  # released twice: one end
        await loop.shutdown_default_executor()

    asyncio.run(a_capture())
    assert trim.calls == 1
    assert registry.active_count == 0


def test_the_process_registry_trims_by_the_setting(settings: Any) -> None:
    settings.SHIMING_MALLOC_TRIM_SECONDS = 7.5  # the registry is built on first use (fresh_registry)
    made = get_registry()
    assert made.trim.interval == 7.5
    assert made.trim.enabled


# A fresh process frees ~240 MiB between live blocks in a thread of its own, then reports its RSS
# every 0.5 s for up to 30 s, with no trim call: what its allocator gives back by itself.
UNTRIMMED = """
import os, threading, time
from pathlib import Path
from capture.webrtc.memory import glibc_malloc_trim, process_allocator
PAGE = os.sysconf("SC_PAGE_SIZE")
def resident_mib():
    return int(Path("/proc/self/statm").read_text().split()[1]) * PAGE / 2**20
kept = []
def in_a_thread():
    blocks = [bytearray(64 * 1024) for _ in range(4096)]
    for block in blocks:
        block[::PAGE] = b"\\x01" * len(block[::PAGE])
    kept.extend(blocks[::16])
thread = threading.Thread(target=in_a_thread)
thread.start()
thread.join()
freed = resident_mib()
deadline = time.monotonic() + 30
while time.monotonic() < deadline and resident_mib() > freed - 150:
    time.sleep(0.5)
print(process_allocator(), glibc_malloc_trim() is None, round(freed - resident_mib()))
"""


def untrimmed_run(extra_env: dict[str, str]) -> tuple[str, bool, int]:
    without = (*SUITE_ONLY_VARIABLES, "LD_PRELOAD", "MALLOC_CONF")
    done = run_python(UNTRIMMED, {"MALLOC_ARENA_MAX": "2", **extra_env}, without=without, timeout=90)
    assert done.returncode == 0, done.stderr
    allocator, trim_off, released = done.stdout.split()
    return allocator, trim_off == "True", int(released)


@needs_library("jemalloc", "jemalloc is not installed (Debian: apt-get install libjemalloc2)")
def test_the_web_process_allocator_gives_freed_pages_back_by_itself() -> None:
    """docker/web.env (the production web process's allocator, which the load generator's servers
    also get) returns the freed pages within seconds without any trim, so the trim is off there."""
    allocator, trim_off, released = untrimmed_run(web_process_env("production"))

    assert allocator == "jemalloc", "docker/web.env's allocator did not load"
    assert trim_off
    assert released > 150


def test_glibc_without_the_trim_keeps_the_freed_pages() -> None:
    """The contrast that makes the test above mean something: glibc alone keeps them resident."""
    allocator, trim_off, released = untrimmed_run(web_process_env("glibc"))

    assert allocator == "glibc"
    assert not trim_off
    assert released < 50

"""The web process's allocator, and handing glibc's free pages back to the system after captures.

Every capture decodes its video in a thread of its own and frees tens of MiB of frame buffers when
it ends. glibc keeps what is freed inside its heaps for reuse, and returns to the system only the
free top of a heap: the free pages between live chunks stay resident, so a long-running web
process creeps up in RSS with no live object behind it (docs/capacity.md, "1,000 sessions in a
row").

The production web process therefore allocates with jemalloc (`docker/web.env`, loaded by
`docker/entrypoint`): its size classes keep fragmentation bounded and its background thread
returns pages unused for a few seconds, so RSS follows the captures open rather than the busiest
moment so far (docs/capacity.md, "Memory"). Where glibc allocates (`make run`, a host without
jemalloc), `malloc_trim(0)` releases every whole free page of every arena
(`madvise(MADV_DONTNEED)`) after a capture; it holds each arena's lock while it walks it, so it
runs in a thread off the event loop, and at most once per interval however many captures end.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import logging
import threading
import time
from collections.abc import Callable

logger = logging.getLogger(__name__)


def process_allocator() -> str:
    """Which malloc this process runs: "jemalloc" when it was preloaded (it exports `mallctl`),
    "glibc" where the C library has `malloc_trim`, else "other" (musl, macOS)."""
    if hasattr(ctypes.CDLL(None), "mallctl"):
        return "jemalloc"
    return "glibc" if _libc_malloc_trim() is not None else "other"


def glibc_malloc_trim() -> Callable[[], int] | None:
    """The C library's `malloc_trim(0)` where glibc is this process's allocator; None where it is
    not (jemalloc preloaded: glibc's heaps hold nearly nothing, jemalloc returns its own pages) or
    where the C library has no such call (musl, macOS)."""
    if process_allocator() != "glibc":
        return None
    return _libc_malloc_trim()


def _libc_malloc_trim() -> Callable[[], int] | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        trim = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return lambda: int(trim(0))


class AllocatorTrim:
    """Trims the allocator after a capture ends, at most once every `interval` seconds (0: never)."""

    def __init__(
        self,
        interval: float,
        trim: Callable[[], int] | None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval = interval
        self._trim = trim
        self._clock = clock
        self._last: float | None = None
        self._lock = threading.Lock()
        self.trims = 0
        """Trims run so far (the load generator's diagnostic reports it)."""

    @property
    def enabled(self) -> bool:
        return self._trim is not None and self.interval > 0

    def after_capture(self, loop: asyncio.AbstractEventLoop) -> None:
        """A capture ended: trim in the loop's default executor unless one ran within the interval."""
        if not self.enabled:
            return
        now = self._clock()
        if self._last is not None and now - self._last < self.interval:
            return
        self._last = now
        loop.run_in_executor(None, self.trim_now)

    def trim_now(self) -> None:
        """Trim now, in the calling thread (one trim at a time)."""
        if self._trim is None:
            return
        with self._lock:
            started = time.perf_counter()
            released = self._trim()
            self.trims += 1
        logger.debug(
            "malloc_trim: %s in %.1f ms", "released" if released else "nothing", 1000 * (time.perf_counter() - started)
        )

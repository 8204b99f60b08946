"""The per-process registry of capture peers: the concurrency limit, the analysis thread pool,
and closing every peer when the server shuts down."""

from __future__ import annotations

import asyncio
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from .memory import AllocatorTrim, glibc_malloc_trim

if TYPE_CHECKING:
    from .peer import CapturePeer

logger = logging.getLogger(__name__)


CAPTURES_PER_CLERK = 2


@dataclass(frozen=True)
class SlotHolder:
    """Who a capture slot is for: the outlet and the clerk whose session runs in it."""

    outlet_id: int
    clerk_id: int


class CaptureBusy(Exception):
    """This process already runs as many captures as it may."""


class CaptureAlreadyOpen(Exception):
    """This session's challenge is already open on another connection of this process."""


class PeerRegistry:
    """Live capture peers by session id. One per process; all methods run on the event loop."""

    def __init__(self, limit: int, trim: AllocatorTrim | None = None) -> None:
        self.limit = max(1, limit)
        self.trim = trim or AllocatorTrim(0, None)
        self._reserved: set[str] = set()
        self._holders: dict[str, SlotHolder] = {}
        self._peers: dict[str, CapturePeer] = {}
        self._executor: ThreadPoolExecutor | None = None
        self._executor_lock = threading.Lock()
        self._shutdown_hooked = False

    @property
    def executor(self) -> ThreadPoolExecutor:
        """The thread pool for landmark work: one thread per allowed capture, made on first use."""
        with self._executor_lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=self.limit, thread_name_prefix="capture-analysis")
            return self._executor

    def reserve(self, session_id: str, holder: SlotHolder | None = None) -> None:
        """Take a slot for `session_id`, or raise `CaptureAlreadyOpen` / `CaptureBusy`.

        Fair share: one clerk holds at most `CAPTURES_PER_CLERK` slots (a customer per tablet, and a
        second while the first one ends), and an outlet that holds its share of the process
        (`limit / outlets holding slots`, at least one) may take the last free slot only when no
        other outlet holds any: one outlet, or one clerk, cannot take every slot from the others."""
        if session_id in self._reserved:
            raise CaptureAlreadyOpen(session_id)
        if len(self._reserved) >= self.limit or (holder is not None and not self._fair(holder)):
            raise CaptureBusy(session_id)
        self._reserved.add(session_id)
        if holder is not None:
            self._holders[session_id] = holder
        self._hook_server_shutdown()

    def _fair(self, holder: SlotHolder) -> bool:
        held = list(self._holders.values())
        if sum(other.clerk_id == holder.clerk_id for other in held) >= CAPTURES_PER_CLERK:
            return False
        outlets = {other.outlet_id for other in held} | {holder.outlet_id}
        share = max(1, self.limit // len(outlets))
        mine = sum(other.outlet_id == holder.outlet_id for other in held)
        last_free = len(self._reserved) == self.limit - 1
        return mine < share or not (last_free and len(outlets) > 1)

    def attach(self, session_id: str, peer: CapturePeer) -> None:
        self._peers[session_id] = peer

    def release(self, session_id: str) -> None:
        held = session_id in self._reserved
        self._reserved.discard(session_id)
        self._holders.pop(session_id, None)
        self._peers.pop(session_id, None)
        if held:  # a capture's buffers were just freed
            self.trim.after_capture(asyncio.get_running_loop())

    @property
    def active_count(self) -> int:
        return len(self._reserved)

    def peers(self) -> list[CapturePeer]:
        return list(self._peers.values())

    async def close_all(self, reason: str = "server_shutdown") -> None:
        """Close every peer (server shutdown); each peer reports its own end to its consumer."""
        peers = self.peers()
        if peers:
            logger.info("closing %d capture peer(s): %s", len(peers), reason)
        await asyncio.gather(*(peer.close(reason) for peer in peers), return_exceptions=True)

    def shutdown_executor(self) -> None:
        with self._executor_lock:
            if self._executor is not None:
                self._executor.shutdown(wait=False, cancel_futures=True)
                self._executor = None

    def _hook_server_shutdown(self) -> None:
        """Under Daphne (Twisted on asyncio) close all peers before the reactor stops."""
        if self._shutdown_hooked:
            return
        self._shutdown_hooked = True
        try:
            from twisted.internet import defer, reactor
        except ImportError:  # pragma: no cover - Daphne always brings Twisted
            return
        if not getattr(reactor, "running", False):
            return

        def before_shutdown() -> defer.Deferred[None]:
            future = asyncio.ensure_future(self.close_all())
            future.add_done_callback(lambda _: self.shutdown_executor())
            return defer.Deferred.fromFuture(future)

        cast(Any, reactor).addSystemEventTrigger("before", "shutdown", before_shutdown)


_registry: PeerRegistry | None = None


def get_registry() -> PeerRegistry:
    """The process's registry, sized by SHIMING_MAX_CAPTURE_SESSIONS."""
    global _registry
    if _registry is None:
        from django.conf import settings

        _registry = PeerRegistry(
            settings.SHIMING_MAX_CAPTURE_SESSIONS,  # the extractor pool's size too
            AllocatorTrim(settings.SHIMING_MALLOC_TRIM_SECONDS, glibc_malloc_trim()),
        )
    return _registry

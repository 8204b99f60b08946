"""The web server a load run starts: Daphne with the product's ASGI app, answering SIGUSR1 with a
diagnostic file (peer connections, capture slots, asyncio tasks, threads and their CPU)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import threading
from pathlib import Path


def thread_cpu_seconds() -> dict[str, float]:
    """This process's CPU seconds so far by thread group (Python thread names, else the OS name:
    mediapipe names its graph threads); "ended threads" is what threads that exited used (the
    per-connection video decoders, mostly)."""
    import re

    ticks = os.sysconf("SC_CLK_TCK")
    names = {thread.native_id: thread.name for thread in threading.enumerate()}
    groups: dict[str, float] = {}
    for entry in Path("/proc/self/task").iterdir():
        with contextlib.suppress(OSError, ValueError):
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            name = names.get(int(entry.name)) or (entry / "comm").read_text().strip()
            group = re.sub(r"[-_/]\d+([-_]\d+)*$", "", name)
            groups[group] = groups.get(group, 0.0) + (int(fields[11]) + int(fields[12])) / ticks
    times = os.times()
    groups["ended threads"] = times.user + times.system - sum(groups.values())
    return {group: round(seconds, 2) for group, seconds in sorted(groups.items())}


def tracemalloc_depth() -> int:
    """SHIMING_BENCH_TRACEMALLOC: frames each traced allocation keeps (0 or unset: no tracing)."""
    value = os.environ.get("SHIMING_BENCH_TRACEMALLOC", "").strip() or "0"
    if not value.isdigit():
        raise SystemExit(f"SHIMING_BENCH_TRACEMALLOC={value!r}: give a number of frames (0 for no tracing)")
    return int(value)


def serve(port: int) -> None:
    """Run Daphne on `port` with the product's ASGI app, answering SIGUSR1 with a diagnostic file
    in $SHIMING_BENCH_DIAG_DIR: peer connections open, capture slots, asyncio tasks, threads."""
    from daphne.cli import CommandLineInterface
    from daphne.server import twisted_loop

    folder = Path(os.environ["SHIMING_BENCH_DIAG_DIR"])
    # SHIMING_BENCH_TRACEMALLOC=N (a leak hunt, slower): Python allocations traced N frames deep; each
    # diagnostic also counts the live objects by type and dumps a snapshot (to
    # $SHIMING_BENCH_TRACEMALLOC_DIR, else next to the diagnostic files).
    tracing = tracemalloc_depth()
    snapshots = Path(os.environ.get("SHIMING_BENCH_TRACEMALLOC_DIR") or folder)
    reports = [0]
    if tracing:
        import tracemalloc

        tracemalloc.start(tracing)

    def report() -> None:
        import gc

        from aiortc import RTCPeerConnection
        from channels.layers import get_channel_layer

        from capture.webrtc.analysis import EXTRACTORS
        from capture.webrtc.memory import process_allocator
        from capture.webrtc.registry import get_registry

        gc.collect()
        open_pcs = sum(
            1 for obj in gc.get_objects() if type(obj) is RTCPeerConnection and obj.connectionState != "closed"
        )
        names = [t.name for t in threading.enumerate()]
        registry = get_registry()
        payload = {
            "peer_connections_open": open_pcs,
            "capture_slots_reserved": registry.active_count,
            "capture_peers": len(registry.peers()),
            "asyncio_tasks": len(asyncio.all_tasks(twisted_loop)),
            "python_threads": len(names),
            "analysis_pool_threads": sum(name.startswith("capture-analysis") for name in names),
            "other_pool_threads": sum(name.startswith(("ThreadPoolExecutor", "asyncio_")) for name in names),
            "thread_cpu_seconds": thread_cpu_seconds(),
            "channel_buffers": getattr(get_channel_layer(), "buffered_channels", None),
            "extractors_idle": EXTRACTORS.idle,
            "allocator": process_allocator(),
            "allocator_trims": registry.trim.trims,
        }
        if tracing:
            import collections
            import tracemalloc

            payload["python_traced_mib"] = round(tracemalloc.get_traced_memory()[0] / 2**20, 1)
            kinds = collections.Counter(type(obj).__qualname__ for obj in gc.get_objects())
            payload["object_counts"] = dict(kinds.most_common(40))
            reports[0] += 1
            tracemalloc.take_snapshot().dump(str(snapshots / f"{os.getpid()}-{reports[0]}.tracemalloc"))
        tmp = folder / f"{os.getpid()}.tmp"
        tmp.write_text(json.dumps(payload))
        tmp.replace(folder / f"{os.getpid()}.json")

    signal.signal(signal.SIGUSR1, lambda *_: twisted_loop.call_soon_threadsafe(report))
    CommandLineInterface().run(["-b", "127.0.0.1", "-p", str(port), "config.asgi:application"])

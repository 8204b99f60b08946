"""A flame graph and a table of the top costs from py-spy's raw (collapsed) stacks of the web
process, with the waiting left out.

    py-spy record --native -r 20 -d 25 -f raw -o web.raw --pid <daphne pid>
    .venv/bin/python bench/flame.py web.raw --svg docs/capacity-profile.svg

With --native, py-spy also samples threads blocked in a lock, a queue or a poll (the analysis
pool waiting for work, the decoder waiting for packets, the event loop in epoll): every stack
that passes through one of `WAITS` is dropped, so what is left is CPU work. mediapipe's graph
runs in threads of its own that py-spy does not see (their CPU is in the bench's per-thread
figures); the analysis thread waiting for it shows as `wait_until_idle`, kept as "landmarks".
"""

from __future__ import annotations

import argparse
import html
import re
import sys
import zlib
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

WAITS = (
    "PyThread_acquire_lock_timed",
    "_queue_SimpleQueue_get",
    "Condition.wait",
    "Queue.get",
    "epoll_wait",
    "EpollSelector.select",
    "poll",
    "pthread_cond_timedwait",
    "pthread_cond_wait",
)
# The parts of the web process, by the first frame (from the root) that names one.
PARTS = (
    ("landmarks (mediapipe graph, waited on)", ("FaceMeshGraph.landmark_lists",)),
    ("analysis: engine + OpenCV measures", ("LivenessSessionAnalysis.process",)),
    ("frame to RGB (swscale)", ("analysis_pixels",)),
    ("video decode (libvpx)", ("decoder_worker",)),
    ("frame pump (budget, hand-off to the pool)", ("CapturePeer._pump_track", "FramePump.")),
    ("decoded frames freed (PyAV)", ("__pyx_tp_dealloc_2av_5video_5frame_VideoFrame",)),
    ("RTP/SRTP receive, jitter buffer, RTCP", ("RTCDtlsTransport.__run", "RTCRtpReceiver")),
    ("ICE / UDP", ("Connection.datagram_received", "StunProtocol", "aioice", "_SelectorDatagramTransport")),
    (
        "Django / Channels request handling (API, pages, consumers)",
        ("APIView.dispatch", "WhiteNoiseMiddleware.__call__", "ProtocolTypeRouter.__call__", "ASGIHandler"),
    ),
    ("capture services (DB, store the trace)", ("capture_finish", "capture_start", "capture_abort")),
    ("channel layer (Redis)", ("RedisChannelLayer", "AbstractConnection")),
    ("WebSocket / Twisted", ("WebSocketProtocol", "Connection.doRead", "Connection._dataReceived", "callWithLogger")),
)


def read(path: Path) -> list[tuple[list[str], int]]:
    rows = []
    for line in path.read_text().splitlines():
        if line.strip():
            stack, count = line.rsplit(" ", 1)
            rows.append(([re.sub(r" \(.*\)$", "", frame) for frame in stack.split(";")], int(count)))
    return rows


def working(rows: list[tuple[list[str], int]]) -> list[tuple[list[str], int]]:
    """Stacks doing work: none of their frames is a wait (except the wait for the face mesh)."""
    kept = []
    for frames, count in rows:
        if "FaceMeshGraph.landmark_lists" in frames or not any(frame in WAITS for frame in frames):
            kept.append((frames, count))
    return kept


def part_of(frames: Sequence[str]) -> str:
    for part, names in PARTS:
        if any(frame in names or frame.startswith(names) for frame in frames):
            return part
    return "other (event loop, asyncio, Python)"


def table(rows: list[tuple[list[str], int]]) -> list[tuple[str, int]]:
    parts: Counter[str] = Counter()
    for frames, count in rows:
        parts[part_of(frames)] += count
    return parts.most_common()


def svg(rows: list[tuple[list[str], int]], title: str, width: int = 1200, row: int = 16) -> str:
    """A plain flame graph (root at the bottom), frames under 0.2 % of the width left out."""
    tree: dict[str, object] = {}
    totals: dict[tuple[str, ...], int] = Counter()
    for frames, count in rows:
        for depth in range(1, len(frames) + 1):
            totals[tuple(frames[:depth])] += count
        node = tree
        for frame in frames:
            node = node.setdefault(frame, {})  # type: ignore[assignment]
    total = sum(count for _, count in rows) or 1
    depth_max = max((len(frames) for frames, _ in rows), default=1)
    height = (depth_max + 3) * row
    boxes: list[str] = []

    def draw(node: dict[str, object], prefix: tuple[str, ...], x: float, depth: int) -> None:
        for name in sorted(node):
            path = (*prefix, name)
            share = totals[path] / total
            w = share * width
            if w < width * 0.002:
                x += w
                continue
            y = height - (depth + 2) * row
            hue = 20 + zlib.crc32(name.encode()) % 40  # stable colours from run to run
            label = html.escape(name)
            text = html.escape(name[: max(0, int(w / 7) - 1)])
            boxes.append(
                f'<g><title>{label} ({100 * share:.1f} %)</title><rect x="{x:.1f}" y="{y}" width="{w:.1f}" '
                f'height="{row - 1}" fill="hsl({hue},80%,60%)"/>'
                f'<text x="{x + 2:.1f}" y="{y + row - 4}">{text}</text></g>'
            )
            draw(node[name], path, x, depth + 1)  # type: ignore[arg-type]
            x += w

    draw(tree, (), 0.0, 0)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="monospace" '
        f'font-size="11"><rect width="100%" height="100%" fill="#fff"/>'
        f'<text x="4" y="14">{html.escape(title)}</text>{"".join(boxes)}</svg>\n'
    )


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("raw", type=Path)
    parser.add_argument("--svg", type=Path, default=None)
    parser.add_argument("--title", default="web process under bench/load_tablets.py (waits left out)")
    args = parser.parse_args(argv)
    rows = read(args.raw)
    busy = working(rows)
    total = sum(count for _, count in busy)
    print(f"samples: {sum(count for _, count in rows)}, working: {total}")
    print("| part of the web process | share of the working samples |\n|---|---|")
    for part, count in table(busy):
        print(f"| {part} | {100 * count / total:.1f} % |")
    if args.svg:
        args.svg.write_text(svg(busy, args.title))
        print(f"flame graph written to {args.svg}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

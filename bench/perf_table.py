"""The web process's CPU by part, from a `perf record` of a running Daphne (every thread, native
frames: mediapipe's graph threads and the decoders included, which py-spy does not sample).

    perf record -e cpu-clock -F 400 -p <daphne pid> -o web.perf -- sleep 40
    .venv/bin/python bench/perf_table.py web.perf [more.perf ...]

Each sample is put in one part by its thread name and its library or symbol; prints a Markdown
table per file (share of the samples, largest first). Needs Debian's linux-perf. Not a test.
"""

from __future__ import annotations

import argparse
import collections
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

ROW = re.compile(r"\s+([\d.]+)%\s+(\S+)\s+(\S+)\s+\[.\]\s+(.*)")
# (where the sample is, the part): the first that matches names it. "mediapipe/..." threads are the
# face-mesh graphs; everything else runs on Python's threads (comm "python").
Parts = tuple[tuple[tuple[str, ...], str], ...]
GRAPH_PARTS: Parts = (
    (("xnn_", "tflite"), "face mesh: neural network (TFLite XNNPACK, mediapipe's graph threads)"),
    (("cv::",), "face mesh: image to tensor (OpenCV's warp inside mediapipe)"),
)
LIBRARY_PARTS: Parts = (
    (("libvpx", "libavcodec"), "video decode (libvpx, FFmpeg)"),
    (("libswscale", "libavutil"), "frame to RGB (libswscale) and frame buffers"),
    (("cv2",), "OpenCV in the analysis (grey, optical flow, sharpness, digest)"),
    (("_framework_bindings",), "mediapipe on the calling thread (the image packet)"),
    (("multiarray", "openblas", "linalg"), "NumPy (engine, landmarks)"),
    (("dlib",), "document photo: dlib HOG face detection"),
    (("libpython",), "Python (aiortc's RTP path, asyncio, Channels, Django, the engine)"),
    (("kernel",), "kernel (scheduling, system calls, UDP)"),
    (("libc.so", "libc-"), "C library (malloc, memcpy)"),
    (("jemalloc",), "jemalloc"),
    (("srtp", "cffi", "ssl", "crypto", "_rust"), "SRTP, DTLS (C)"),
)


def part(thread: str, library: str, symbol: str) -> str:
    if thread.startswith("mediapipe"):
        for markers, name in GRAPH_PARTS:
            if any(marker in symbol for marker in markers):
                return name
        return "face mesh: graph overhead (packets, protobuf, allocation, scheduling)"
    for markers, name in LIBRARY_PARTS:
        if any(marker in library for marker in markers):
            return name
    return "other native code (psycopg, JSON, hashes, ...)"


def shares(perf_data: Path) -> list[tuple[str, float]]:
    report = subprocess.run(
        ["perf", "report", "-i", str(perf_data), "--stdio", "--sort", "comm,dso,sym", "--percent-limit", "0"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    parts: dict[str, float] = collections.defaultdict(float)
    for line in report.splitlines():
        match = ROW.match(line)
        if match:
            parts[part(match[2], match[3], match[4])] += float(match[1])
    total = sum(parts.values())
    ranked = sorted(parts.items(), key=lambda item: -item[1])
    return [(name, 100 * value / total) for name, value in ranked] if total else []


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("perf_data", type=Path, nargs="+", help="files written by perf record")
    args = parser.parse_args(argv)
    if shutil.which("perf") is None:
        parser.error("perf is not installed (Debian: apt-get install linux-perf)")
    for path in args.perf_data:
        if not path.is_file():
            parser.error(f"no such file: {path}")
        print(f"{path}\n\n| part of the web process | share of the samples |\n|---|---|")
        for name, share in shares(path):
            print(f"| {name} | {share:.1f} % |")
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

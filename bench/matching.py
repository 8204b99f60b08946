"""Benchmark of one face match on one core: warm latency, throughput, peak memory, overhead vs bare DeepFace.

    .venv/bin/python bench/matching.py [--pairs 40] [--testdata ../shared/testdata]

Pins itself to one CPU (the first it may use: `taskset -c 1 ...` picks CPU 1) and one
TensorFlow / OpenMP thread (a Celery worker process with ``--concurrency`` equal to the cores).
Runs the production matcher and a bare ``DeepFace.verify``
(model Dlib, detector mediapipe, align off: the fastest bare configuration measured in issue 4)
on the same decoded pairs, interleaved, after a warm-up, and the production matcher with three
live frames (the probe, its mirror image and the probe again: the cost of several frames, the
reference embedded once). Prints a table; not a test.
This script imports deepface for the bare baseline only; the product imports it in one module.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

for _name in ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_name, "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
if hasattr(os, "sched_setaffinity"):  # one core: the first this process may use (`taskset -c N` picks it)
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from registration.face_matching.base import FaceMatchingError, MatchResult  # noqa: E402
from registration.face_matching.deepface_matcher import DeepFaceMatcher, MatcherConfig  # noqa: E402

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def rss_mb() -> float:
    with Path("/proc/self/status").open(encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def load_pairs(testdata: Path, count: int) -> list[tuple[bytes, bytes]]:
    with (testdata / "verification" / "pairs.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    genuine = [r for r in rows if r["same"] == "1"][: count // 2]
    impostor = [r for r in rows if r["same"] == "0"][: count - len(genuine)]
    return [((testdata / r["img_a"]).read_bytes(), (testdata / r["img_b"]).read_bytes()) for r in genuine + impostor]


def decode(data: bytes) -> np.ndarray:
    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)


def timed(call: object, *args: object) -> tuple[float, object]:
    started = time.perf_counter()
    try:
        outcome = call(*args)  # type: ignore[operator]
    except (FaceMatchingError, ValueError) as error:
        outcome = error
    return (time.perf_counter() - started) * 1000, outcome


def row(label: str, values: list[float]) -> str:
    return (
        f"{label:<44} {statistics.median(values):>8.1f} {percentile(values, 0.95):>8.1f} "
        f"{statistics.fmean(values):>8.1f} {1000 / statistics.fmean(values):>8.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=40)
    parser.add_argument("--testdata", type=Path, default=PROJECT_ROOT.parent / "shared" / "testdata")
    options = parser.parse_args()

    rss_start = rss_mb()
    matcher = DeepFaceMatcher(MatcherConfig(deepface_home=Path(tempfile.mkdtemp(prefix="bench-deepface-"))))
    started = time.perf_counter()
    matcher.warm_up()
    load_seconds = time.perf_counter() - started
    rss_warm = rss_mb()

    from deepface import DeepFace

    def bare_verify(reference: np.ndarray, probe: np.ndarray) -> object:
        return DeepFace.verify(reference, probe, model_name="Dlib", detector_backend="mediapipe", align=False)

    pairs = load_pairs(options.testdata, options.pairs)
    decoded = [(decode(a), decode(b)) for a, b in pairs]
    timed(matcher.match, *decoded[0])  # the first call of each path is not "warm"
    timed(bare_verify, *decoded[0])

    production, from_bytes, bare, three_frames, parts = [], [], [], [], []
    failures = {"production": 0, "bare": 0}
    for (ref_bytes, probe_bytes), (reference, probe) in zip(pairs, decoded, strict=True):
        ms, outcome = timed(matcher.match, reference, probe)
        production.append(ms)
        if isinstance(outcome, MatchResult):
            parts.append(outcome.timings)
        else:
            failures["production"] += 1
        bytes_ms, _ = timed(matcher.match, ref_bytes, probe_bytes)
        from_bytes.append(bytes_ms)
        three_ms, _ = timed(matcher.match, reference, [probe, cv2.flip(probe, 1), probe])
        three_frames.append(three_ms)
        bare_ms, bare_outcome = timed(bare_verify, reference, probe)
        bare.append(bare_ms)
        failures["bare"] += isinstance(bare_outcome, Exception)

    print(
        f"pairs: {len(pairs)} from {options.testdata / 'verification' / 'pairs.csv'}; "
        f"CPU affinity {sorted(os.sched_getaffinity(0))}"
    )
    print(f"model load + warm-up: {load_seconds:.1f} s; RSS {rss_start:.0f} MB at start, {rss_warm:.0f} MB warm")
    print()
    print(f"{'one match (ms)':<44} {'p50':>8} {'p95':>8} {'mean':>8} {'match/s':>8}")
    print(row("production, decoded BGR arrays", production))
    print(row("production, encoded bytes (decode included)", from_bytes))
    print(row("production, 3 live frames (best of)", three_frames))
    print(row("bare DeepFace.verify (Dlib, mediapipe, align off)", bare))
    print()
    print("where the production time goes (ms, p50 / p95):")
    for name in ("detect_reference_ms", "detect_probe_ms", "embed_reference_ms", "embed_probe_ms", "total_ms"):
        values = [getattr(t, name) for t in parts]
        print(f"  {name:<22} {statistics.median(values):>8.1f} {percentile(values, 0.95):>8.1f}")
    overhead = statistics.fmean(production) / statistics.fmean(bare) - 1
    print()
    print(f"overhead of production over bare verify (mean, same decoded pairs): {overhead:+.1%} (target <= +10%)")
    three_overhead = statistics.fmean(three_frames) / statistics.fmean(bare) - 1
    p95_ratio = percentile(production, 0.95) / percentile(bare, 0.95) - 1
    three_p95_ratio = percentile(three_frames, 0.95) / percentile(bare, 0.95) - 1
    print(f"p95 of production over bare verify: {p95_ratio:+.1%}; with 3 frames: {three_p95_ratio:+.1%}")
    print(f"mean of production with 3 frames over bare verify: {three_overhead:+.1%}")
    print(f"throughput per worker process (production, arrays): {1000 / statistics.fmean(production):.2f} matches/s")
    print(f"failures: production {failures['production']}, bare {failures['bare']}")
    print(f"peak RSS: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()

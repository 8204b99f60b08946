"""Benchmark of one face match on one core: warm latency, throughput, peak memory, ratio to bare DeepFace.

    .venv/bin/python bench/matching.py [--matcher omz|dlib] [--pairs 40] [--testdata ../shared/testdata]
        [--models ../shared/models]

``--matcher omz`` (the default, the product's: OMZ 0095 on OpenVINO, files from ``--models``) or
``dlib`` (the DeepFace matcher).
Pins itself to one CPU (the first it may use: `taskset -c 1 ...` picks CPU 1) and one
TensorFlow / OpenMP thread (a Celery worker process with ``--concurrency`` equal to the cores).
Runs the production matcher and a bare ``DeepFace.verify``
(model Dlib, detector mediapipe, align off: the fastest bare configuration measured in issue 4)
on the same decoded pairs, interleaved, after a warm-up, and the production matcher with three
live frames (the probe, its mirror image and the probe again: the cost of several frames, the
reference embedded once). Each is run twice: with the reference portrait embedded in the match,
and with its embedding made beforehand (as the product does while the customer does the
challenge; that time is printed apart, off the match's path). ``--rounds N`` repeats the pairs N
times (p95 of 40 values is the 38th: noisy on a shared machine). Prints a table; not a test.
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

from registration.face_matching.base import (  # noqa: E402
    FaceEmbedding,
    FaceMatcher,
    FaceMatchingError,
    ImageRole,
    MatchResult,
    MatchTimings,
)
from registration.face_matching.deepface_matcher import DeepFaceMatcher, MatcherConfig  # noqa: E402
from registration.face_matching.omz_matcher import OmzConfig, OmzMatcher  # noqa: E402
from registration.face_matching.weights import link_dlib_weights  # noqa: E402

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


def distance_of(outcome: object) -> float | str:
    if isinstance(outcome, MatchResult):
        return outcome.score
    return getattr(outcome, "reason_code", type(outcome).__name__)


def ratio_row(label: str, values: list[float], bare: list[float]) -> str:
    mean_ratio = statistics.fmean(values) / statistics.fmean(bare) - 1
    p50_ratio = statistics.median(values) / statistics.median(bare) - 1
    p95_ratio = percentile(values, 0.95) / percentile(bare, 0.95) - 1
    return f"{label:<44} {p50_ratio:>+8.1%} {p95_ratio:>+8.1%} {mean_ratio:>+8.1%}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=1, help="times each pair is measured")
    parser.add_argument("--testdata", type=Path, default=PROJECT_ROOT.parent / "shared" / "testdata")
    parser.add_argument("--matcher", choices=("omz", "dlib"), default="omz")
    parser.add_argument("--models", type=Path, default=PROJECT_ROOT.parent / "shared" / "models")
    options = parser.parse_args()

    rss_start = rss_mb()
    matcher: FaceMatcher = (
        OmzMatcher(OmzConfig(models_dir=options.models))
        if options.matcher == "omz"
        else DeepFaceMatcher(MatcherConfig(deepface_home=Path(tempfile.mkdtemp(prefix="bench-deepface-"))))
    )
    started = time.perf_counter()
    matcher.warm_up()
    load_seconds = time.perf_counter() - started
    rss_warm = rss_mb()

    # The bare baseline reads the Dlib weights where DeepFace looks (it would try to download them).
    deepface_home = Path(tempfile.mkdtemp(prefix="bench-bare-deepface-"))
    link_dlib_weights(deepface_home)
    os.environ["DEEPFACE_HOME"] = str(deepface_home)
    from deepface import DeepFace

    def bare_verify(reference: np.ndarray, probe: np.ndarray) -> object:
        return DeepFace.verify(reference, probe, model_name="Dlib", detector_backend="mediapipe", align=False)

    def embed_reference(reference: np.ndarray) -> FaceEmbedding | np.ndarray:
        try:
            return matcher.embed(reference, ImageRole.REFERENCE)
        except FaceMatchingError:
            return reference  # the match then reports the same error, as the product's fallback does

    pairs = load_pairs(options.testdata, options.pairs)
    decoded = [(decode(a), decode(b)) for a, b in pairs]
    timed(matcher.match, *decoded[0])  # the first call of each path is not "warm"
    timed(bare_verify, *decoded[0])

    series: dict[str, list[float]] = {name: [] for name in SERIES}
    parts: list[MatchTimings] = []
    precompute: list[float] = []
    failures = {"production": 0, "bare": 0}
    same = {"pairs": 0, "identical": 0}  # the precomputed reference must not change a single distance
    for _ in range(options.rounds):
        for (ref_bytes, probe_bytes), (reference, probe) in zip(pairs, decoded, strict=True):
            frames = [probe, cv2.flip(probe, 1), probe]
            ms, outcome = timed(matcher.match, reference, probe)
            series["production"].append(ms)
            if isinstance(outcome, MatchResult):
                parts.append(outcome.timings)
            else:
                failures["production"] += 1
            series["bytes"].append(timed(matcher.match, ref_bytes, probe_bytes)[0])
            three_ms, three_outcome = timed(matcher.match, reference, frames)
            series["three"].append(three_ms)
            precompute_ms, embedding = timed(embed_reference, reference)
            precompute.append(precompute_ms)
            pre_ms, pre_outcome = timed(matcher.match, embedding, probe)
            series["pre_one"].append(pre_ms)
            pre_three_ms, pre_three_outcome = timed(matcher.match, embedding, frames)
            series["pre_three"].append(pre_three_ms)
            same["pairs"] += 1
            same["identical"] += distance_of(outcome) == distance_of(pre_outcome)
            same["identical"] += distance_of(three_outcome) == distance_of(pre_three_outcome)
            bare_ms, bare_outcome = timed(bare_verify, reference, probe)
            series["bare"].append(bare_ms)
            failures["bare"] += isinstance(bare_outcome, Exception)
    report(options, series, parts, precompute, failures, load_seconds, (rss_start, rss_warm))
    print(
        f"distances with the reference precomputed identical to those computed in the match: "
        f"{same['identical']} of {2 * same['pairs']} (1 and 3 frames; failures compare as their error code)"
    )


SERIES = {
    "production": "production, decoded BGR arrays",
    "bytes": "production, encoded bytes (decode included)",
    "three": "production, 3 live frames (best of)",
    "pre_one": "reference precomputed, 1 live frame",
    "pre_three": "reference precomputed, 3 live frames",
    "bare": "bare DeepFace.verify (Dlib, mediapipe, align off)",
}


def report(
    options: argparse.Namespace,
    series: dict[str, list[float]],
    parts: list[MatchTimings],
    precompute: list[float],
    failures: dict[str, int],
    load_seconds: float,
    rss: tuple[float, float],
) -> None:
    bare = series["bare"]
    print(f"matcher: {options.matcher}")
    print(
        f"pairs: {options.pairs} from {options.testdata / 'verification' / 'pairs.csv'}, {options.rounds} round(s); "
        f"CPU affinity {sorted(os.sched_getaffinity(0))}"
    )
    print(f"model load + warm-up: {load_seconds:.1f} s; RSS {rss[0]:.0f} MB at start, {rss[1]:.0f} MB warm")
    print()
    print(f"{'one match (ms)':<44} {'p50':>8} {'p95':>8} {'mean':>8} {'match/s':>8}")
    for name, label in SERIES.items():
        print(row(label, series[name]))
    print(row("(off the match's path) reference embedding", precompute))
    print()
    print(f"{'ratio to bare DeepFace.verify, same pairs':<44} {'p50':>8} {'p95':>8} {'mean':>8}")
    for name, label in SERIES.items():
        if name != "bare":
            print(ratio_row(label, series[name], bare))
    print()
    print("where the production time goes (ms, p50 / p95; reference embedded in the match, one frame):")
    for name in ("decode_ms", "detect_reference_ms", "detect_probe_ms", "embed_reference_ms", "embed_probe_ms"):
        values = [getattr(t, name) for t in parts]
        print(f"  {name:<22} {statistics.median(values):>8.1f} {percentile(values, 0.95):>8.1f}")
    values = [t.total_ms for t in parts]
    print(f"  {'total_ms':<22} {statistics.median(values):>8.1f} {percentile(values, 0.95):>8.1f}")
    print()
    for name, label in (("production", "1 frame"), ("three", "3 frames")):
        for precomputed in (False, True):
            values = series[("pre_" + ("one" if name == "production" else "three")) if precomputed else name]
            p95_ratio = percentile(values, 0.95) / percentile(bare, 0.95) - 1
            where = "reference precomputed" if precomputed else "reference in the match"
            print(f"p95 over bare verify, {label}, {where}: {p95_ratio:+.1%}")
    product_ratio = percentile(series["pre_three"], 0.95) / percentile(bare, 0.95)
    print(
        f"match p95 with the product's live frames (3, reference embedded ahead) / bare DeepFace.verify p95: "
        f"{product_ratio:.2f}x (target <= 0.5x)"
    )
    print(
        f"throughput per worker process (product path: precomputed, 3 frames): "
        f"{1000 / statistics.fmean(series['pre_three']):.2f} matches/s"
    )
    print(f"failures: production {failures['production']}, bare {failures['bare']}")
    if failures["bare"]:
        print("bare DeepFace.verify raised on some pairs (its detector found no face): those are its failure times")
    print(f"peak RSS: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()

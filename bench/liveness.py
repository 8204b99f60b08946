"""Liveness latency bench: per-frame extraction and engine time on one core.

    .venv/bin/python bench/liveness.py [--testdata ../shared/testdata] [--repeat 2] [--light] [--bare]

Plays the real clips in testdata/liveness_video/ resized to 640x480 through the frame budget
(15 fps), times `LandmarkExtractor.extract` and `ChallengeEngine.process` separately per
admitted frame, and prints p50/p95 and how many concurrent 15 fps sessions one core carries.
With `--light` the plan has a screen-light step too (the extractor measures the skin and
backdrop patches of every frame; the engine records them and decides once).
With `--bare` each admitted frame also goes through a bare mediapipe `FaceMesh.process` (the same
settings as the product's graph: one face, refined landmarks, tracking mode), interleaved frame by
frame in the same run, and the ratio of extraction + engine to it is printed at p50 and p95 (the
target of issue 28: at most 1.3x). Pinned to one CPU, with the math libraries limited to one
thread. Not a test.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

# One core, one thread: set before numpy / OpenCV / mediapipe load their thread pools.
for _variable in (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "TF_NUM_INTRAOP_THREADS",
    "TF_NUM_INTEROP_THREADS",
):
    os.environ[_variable] = "1"
os.environ.setdefault("GLOG_minloglevel", "2")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def pin_to_one_core() -> str:
    """Restrict this process to its first allowed CPU, before any library starts a thread
    (Linux affinity is per thread; threads started later inherit it)."""
    if not hasattr(os, "sched_setaffinity"):
        return "affinity not supported: not pinned"
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return f"pinned to CPU {cpu}"


PINNING = pin_to_one_core()

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from liveness import ChallengeEngine, ChallengePlan, FrameBudget, LivenessConfig  # noqa: E402
from liveness.extractor import LandmarkExtractor  # noqa: E402
from liveness.light import LightConfig, draw_sequence  # noqa: E402

FRAME_SIZE = (640, 480)


def clip_frames(path: Path) -> tuple[list[np.ndarray], float]:
    capture = cv2.VideoCapture(str(path))
    fps = float(capture.get(cv2.CAP_PROP_FPS))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        # RGB, as the capture asks PyAV for (`to_ndarray(format="rgb24")`).
        frames.append(cv2.cvtColor(cv2.resize(frame, FRAME_SIZE, interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2RGB))
    capture.release()
    return frames, fps


Timings = dict[str, list[float]]


def time_clip(
    frames: list[np.ndarray],
    fps: float,
    extractor: LandmarkExtractor,
    config: LivenessConfig,
    timings: Timings,
    light: bool = False,
    bare: Any = None,
) -> None:
    """Append, per admitted frame, wall-clock and CPU milliseconds of extraction and engine.

    CPU time is the process's (all threads: mediapipe runs its graph on its own threads), so
    time stolen by other processes on the shared machine does not count; wall time does."""
    extractor.reset(light=light)
    if bare is not None:
        bare.reset()
    plan = ChallengePlan.parse("light,blink,turn_left,turn_right" if light else "blink,turn_left,turn_right")
    if light:
        plan = plan.with_gaps((0.5, 1.0, 1.0, 1.0)).with_light(draw_sequence(random.Random(0), config.light))
    engine = ChallengeEngine(plan, config)
    budget = FrameBudget(config.fps_budget)
    for index, frame in enumerate(frames):
        t = index / fps
        if not budget.admit(t):
            continue
        if bare is not None:
            bare_cpu = time.process_time()
            bare.process(frame)
            timings["bare FaceMesh cpu"].append((time.process_time() - bare_cpu) * 1000)
        wall0, cpu0 = time.perf_counter(), time.process_time()
        features = extractor.extract(frame, t)
        wall1, cpu1 = time.perf_counter(), time.process_time()
        engine.process(features, t)
        wall2, cpu2 = time.perf_counter(), time.process_time()
        timings["extraction wall"].append((wall1 - wall0) * 1000)
        timings["engine wall"].append((wall2 - wall1) * 1000)
        timings["total wall"].append((wall2 - wall0) * 1000)
        timings["extraction cpu"].append((cpu1 - cpu0) * 1000)
        timings["engine cpu"].append((cpu2 - cpu1) * 1000)
        timings["total cpu"].append((cpu2 - cpu0) * 1000)


def bare_face_mesh() -> Any:
    """mediapipe's own FaceMesh solution with the product graph's settings (`FaceMeshGraph`)."""
    import mediapipe as mp

    return mp.solutions.face_mesh.FaceMesh(
        static_image_mode=False,
        max_num_faces=1,
        refine_landmarks=True,
        min_detection_confidence=0.5,
        min_tracking_confidence=0.5,
    )


def row(label: str, values: np.ndarray) -> str:
    p50, p95, p99 = np.percentile(values, [50, 95, 99])
    return f"{label:<22}{p50:>8.2f}{p95:>8.2f}{p99:>8.2f}{values.mean():>8.2f}{values.max():>8.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--testdata", type=Path, default=PROJECT_ROOT.parent / "shared" / "testdata")
    parser.add_argument("--repeat", type=int, default=2, help="passes over the clips (the first warms up)")
    parser.add_argument(
        "--multi-face-every",
        type=int,
        default=LivenessConfig().multi_face_check_every,
        help="frames between two runs of the face detector that counts faces",
    )
    parser.add_argument("--light", action="store_true", help="a plan with the screen-light step")
    parser.add_argument("--bare", action="store_true", help="time bare mediapipe FaceMesh on the same frames too")
    args = parser.parse_args()
    cv2.setNumThreads(1)
    config = LivenessConfig(multi_face_check_every=args.multi_face_every, light=LightConfig(enabled=args.light))
    clips = sorted((args.testdata / "liveness_video").glob("*.mp4"))
    decoded = [clip_frames(path) for path in clips]
    names: tuple[str, ...] = (
        "extraction wall",
        "engine wall",
        "total wall",
        "extraction cpu",
        "engine cpu",
        "total cpu",
    )
    if args.bare:
        names += ("bare FaceMesh cpu",)
    timings: Timings = {name: [] for name in names}
    bare = bare_face_mesh() if args.bare else None
    with LandmarkExtractor(config, color="rgb") as extractor:
        for run in range(args.repeat):
            sink: Timings = timings if run > 0 or args.repeat == 1 else {name: [] for name in names}
            for frames, fps in decoded:
                time_clip(frames, fps, extractor, config, sink, light=args.light, bare=bare)
    count = len(timings["total cpu"])
    print(
        f"liveness bench: {len(clips)} clips at {FRAME_SIZE[0]}x{FRAME_SIZE[1]}, "
        f"{count} admitted frames at <= {config.fps_budget:g} fps, {PINNING}, "
        f"light step {'on' if args.light else 'off'}"
    )
    print(f"load average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs (other processes share the machine)")
    print(f"{'per frame (ms)':<22}{'p50':>8}{'p95':>8}{'p99':>8}{'mean':>8}{'max':>8}")
    for name in names:
        print(row(name, np.array(timings[name])))
    if bare is not None:
        bare.close()
        ours, reference = np.array(timings["total cpu"]), np.array(timings["bare FaceMesh cpu"])
        ratios = np.percentile(ours, [50, 95]) / np.percentile(reference, [50, 95])
        print(f"extraction + engine / bare FaceMesh (cpu): p50 {ratios[0]:.2f}x, p95 {ratios[1]:.2f}x (target <= 1.3x)")
    budget_ms = 1000.0 / config.fps_budget
    for kind in ("cpu", "wall"):
        total = np.array(timings[f"total {kind}"])
        by_mean, by_p95 = int(budget_ms // total.mean()), int(budget_ms // np.percentile(total, 95))
        print(
            f"sessions per core at {config.fps_budget:g} fps ({kind} time): "
            f"{by_mean} by the mean, {by_p95} if every frame took the p95"
        )


if __name__ == "__main__":
    main()

"""Where a frame's extraction + engine time goes, part by part, against bare mediapipe FaceMesh.

    .venv/bin/python bench/liveness_parts.py [--testdata ../shared/testdata] [--clips 4]

Plays the first clips of testdata/liveness_video/ as bench/liveness.py does (640x480, the frame
budget, pinned to one core) and calls the extractor's parts one by one on each admitted frame:
the face-mesh graph, grey conversion, the repeat digest, the landmark array, the face count, the
optical flow, the eye-appearance patches, the measures, and the engine; and bare
`FaceMesh.process` on the same frame. Prints CPU milliseconds per frame (p50, p95, mean) of the
second pass. A profile, not the product's path: `bench/liveness.py --bare` gives the ratio. Not a
test.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from bench.liveness import PINNING, bare_face_mesh, clip_frames  # noqa: E402 - pins the core first

# isort: split
import cv2  # noqa: E402
import numpy as np  # noqa: E402

from liveness import ChallengeEngine, ChallengePlan, FrameBudget, LivenessConfig  # noqa: E402
from liveness import extractor as parts  # noqa: E402
from liveness.extractor import LandmarkExtractor  # noqa: E402
from liveness.eye_appearance import texture_motion  # noqa: E402


def timed(timings: dict[str, list[float]], name: str, function: Callable[..., Any], *args: Any) -> Any:
    started = time.process_time()
    result = function(*args)
    timings.setdefault(name, []).append((time.process_time() - started) * 1000)
    return result


def one_frame(
    timings: dict[str, list[float]], extractor: LandmarkExtractor, engine: ChallengeEngine, frame: Any, t: float
) -> None:
    """The extractor's steps in its own order (`LandmarkExtractor.extract`), each timed."""
    config = LivenessConfig()
    gray = timed(timings, "grey conversion", cv2.cvtColor, frame, cv2.COLOR_RGB2GRAY)
    faces = timed(timings, "face-mesh graph", extractor._mesh.landmark_lists, frame)  # noqa: SLF001 - a profile
    digest = timed(timings, "repeat digest", parts._digest, gray)  # noqa: SLF001 - a profile
    if not faces:
        return
    height, width = gray.shape
    mesh = timed(timings, "landmark array", parts._mesh_array, faces[0], width, height)  # noqa: SLF001 - a profile
    count = timed(timings, "face count (every few frames)", extractor._count_faces, frame)  # noqa: SLF001 - a profile
    seeds = None if extractor._previous is None else extractor._previous[1]  # noqa: SLF001 - a profile
    flow = timed(timings, "optical flow", extractor._track, gray, mesh)  # noqa: SLF001 - a profile
    motion = timed(timings, "texture motion", texture_motion, seeds, flow)
    eyes = timed(timings, "eye-appearance patches", extractor._eyes.measure, t, gray, mesh, motion)  # noqa: SLF001 - a profile
    features = timed(timings, "measures", parts._measure, mesh, gray, count, flow, eyes, t, digest, config)  # noqa: SLF001 - a profile
    timed(timings, "engine", engine.process, features, t)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--testdata", type=Path, default=PROJECT_ROOT.parent / "shared" / "testdata")
    parser.add_argument("--clips", type=int, default=4)
    args = parser.parse_args()
    config = LivenessConfig()
    decoded = [clip_frames(path) for path in sorted((args.testdata / "liveness_video").glob("*.mp4"))[: args.clips]]
    timings: dict[str, list[float]] = {}
    bare = bare_face_mesh()
    with LandmarkExtractor(config, color="rgb") as extractor:
        for run in range(2):
            sink: dict[str, list[float]] = timings if run else {}
            for frames, fps in decoded:
                extractor.reset()
                bare.reset()
                engine, budget = (
                    ChallengeEngine(ChallengePlan.parse("blink,turn_left,turn_right"), config),
                    FrameBudget(config.fps_budget),
                )
                for index, frame in enumerate(frames):
                    if budget.admit(index / fps):
                        timed(sink, "bare FaceMesh.process", bare.process, frame)
                        started = time.process_time()
                        one_frame(sink, extractor, engine, frame, index / fps)
                        sink.setdefault("all parts", []).append((time.process_time() - started) * 1000)
    bare.close()
    print(f"liveness parts: {len(decoded)} clips, {len(timings['all parts'])} frames, {PINNING}")
    print(f"load average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs (other processes share the machine)")
    print(f"{'CPU ms per frame':<32}{'p50':>8}{'p95':>8}{'mean':>8}")
    for name, values in timings.items():
        array = np.array(values)
        print(f"{name:<32}{np.percentile(array, 50):>8.3f}{np.percentile(array, 95):>8.3f}{array.mean():>8.3f}")


if __name__ == "__main__":
    main()

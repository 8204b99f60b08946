"""How much parallax a head turn makes, by the face mesh's own geometry (`turn_min_parallax_per_degree`).

    .venv/bin/python bench/turn_parallax.py [--testdata ../shared/testdata]

Takes the first face mesh of each shared live clip that has one (a frontal face), turns its 3-D
planar-check anchors about the vertical axis from the frontal band to the turn threshold and back
in 1-degree steps, projects them (orthographic, and from 8 face sizes away), and prints the summed
per-step parallax (`liveness.planarity.motion_fit`, the guards' measure) per degree travelled. A
real head turning shows at least this plus the tracking noise; the turn rule asks for less.
"""

from __future__ import annotations

import argparse
import itertools
import math
import sys
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

import cv2  # noqa: E402
import mediapipe as mp  # noqa: E402
import numpy as np  # noqa: E402
import numpy.typing as npt  # noqa: E402

from liveness import LivenessConfig  # noqa: E402
from liveness.landmarks import ANCHOR_INDICES  # noqa: E402
from liveness.planarity import motion_fit  # noqa: E402

Points = npt.NDArray[np.float64]


def projected(anchors: Points, degrees: float, distance: float | None) -> Points:
    """The centred 3-D anchors turned by `degrees` about the vertical axis, seen by a camera."""
    angle = math.radians(degrees)
    rotation = np.array([[math.cos(angle), 0, math.sin(angle)], [0, 1, 0], [-math.sin(angle), 0, math.cos(angle)]])
    turned = anchors @ rotation.T
    if distance is None:
        return turned[:, :2]
    result: Points = turned[:, :2] * distance / (distance + turned[:, 2:3])
    return result


def parallax_per_degree(anchors: Points, band: float, threshold: float, distance: float | None) -> float:
    """Summed per-step parallax of a turn from `band` to `threshold` degrees and back, per degree."""
    steps = [*range(round(band), round(threshold) + 1), *range(round(threshold) - 1, round(band) - 1, -1)]
    total = sum(
        motion_fit(projected(anchors, a, distance), projected(anchors, b, distance)).parallax
        for a, b in itertools.pairwise(steps)
    )
    return total / (2.0 * (threshold - band))


def first_mesh(path: Path, graph: Any) -> Points | None:
    """The (478, 3) mesh in pixels (z scaled like x, as the extractor's) of the clip's first frame."""
    capture = cv2.VideoCapture(str(path))
    ok, frame = capture.read()
    capture.release()
    if not ok:
        return None
    found = graph.process(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)).multi_face_landmarks
    if not found:
        return None
    height, width = frame.shape[:2]
    return np.array([(p.x * width, p.y * height, p.z * width) for p in found[0].landmark], dtype=np.float64)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--testdata", type=Path, default=PROJECT_ROOT.parent / "shared" / "testdata")
    args = parser.parse_args()
    config = LivenessConfig()
    band, threshold = config.frontal_band_degrees, config.turn_yaw_degrees
    print(f"turn parallax bench: {band:g} -> {threshold:g} degrees and back, 1-degree steps")
    print(f"rule: turn_min_parallax_per_degree {config.turn_min_parallax_per_degree:g}")
    clips = sorted((args.testdata / "liveness_video").glob("*.mp4"))
    if not clips:
        parser.error(f"no clips under {args.testdata / 'liveness_video'}")
    graph = mp.solutions.face_mesh.FaceMesh(static_image_mode=True, refine_landmarks=True)
    try:
        for path in clips:
            mesh = first_mesh(path, graph)
            if mesh is None:
                continue
            anchors = mesh[list(ANCHOR_INDICES)]
            anchors = anchors - anchors.mean(axis=0)
            size = float(np.sqrt((anchors[:, :2] ** 2).sum(axis=1).mean()))
            flat = parallax_per_degree(anchors, band, threshold, None)
            near = parallax_per_degree(anchors, band, threshold, 8.0 * size)
            print(f"  {path.name}: {flat:.4f} orthographic, {near:.4f} from 8 face sizes")
    finally:
        graph.close()


if __name__ == "__main__":
    main()

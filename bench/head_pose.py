"""Head-pose bench: the product's yaw and pitch against labelled angles (AFLW2000-3D photos).

    .venv/bin/python bench/head_pose.py [--testdata ../shared/testdata] [--max-abs-yaw 90]

Runs the product's own path (mediapipe's face mesh through `FaceMeshGraph`, then
`liveness.landmarks.head_pose`) on every photo of `head_pose/aflw2000/` and prints, by labelled
yaw bin, how many faces were found and the bias, scale and spread of the read yaw; then the
least-squares scale and correlation over the set, and what a `turn_yaw_degrees` turn means in
labelled degrees. The labels are 3-D model fits, not sensor readings: the figures describe the
estimator on a population, never one photo. Not a test (`tests/liveness/test_head_pose_labelled.py`
holds the set-level bounds).
"""

from __future__ import annotations

import argparse
import csv
import itertools
import math
import sys
from collections.abc import Iterable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from liveness import LivenessConfig  # noqa: E402
from liveness.extractor import _mesh_array  # noqa: E402
from liveness.landmarks import head_pose  # noqa: E402
from liveness.mediapipe_graph import FaceMeshGraph  # noqa: E402

YAW_BINS = (-90, -60, -45, -30, -15, 0, 15, 30, 45, 60, 90)
# The usual AFLW2000 filter: a label beyond 99 degrees is a failed fit.
MAX_LABEL_DEGREES = 99.0


@dataclass(frozen=True, slots=True)
class PoseReading:
    """One photo: its labelled yaw and pitch, and what the product read (None: no face)."""

    image: str
    label_yaw: float
    label_pitch: float
    read_yaw: float | None
    read_pitch: float | None


def read_labels(testdata: Path) -> list[tuple[str, float, float]]:
    """(image, yaw, pitch) of every labelled photo inside the usual filter."""
    with (testdata / "head_pose" / "aflw2000" / "poses.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    labels = []
    for row in rows:
        angles = [float(row[key]) for key in ("yaw_deg", "pitch_deg", "roll_deg")]
        if max(abs(angle) for angle in angles) <= MAX_LABEL_DEGREES:
            labels.append((row["image"], angles[0], angles[1]))
    return labels


def measure(testdata: Path, labels: Iterable[tuple[str, float, float]] | None = None) -> list[PoseReading]:
    """Read every labelled photo with the product's mesh and pose estimator (one face each)."""
    folder = testdata / "head_pose" / "aflw2000"
    readings = []
    with closing(FaceMeshGraph()) as graph:
        for image, yaw, pitch in labels if labels is not None else read_labels(testdata):
            bgr = cv2.imread(str(folder / image))
            if bgr is None:
                raise FileNotFoundError(folder / image)
            graph.reset()  # independent photos: detect afresh, never track from the last one
            faces = graph.landmark_lists(np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)))
            if not faces:
                readings.append(PoseReading(image, yaw, pitch, None, None))
                continue
            read_yaw, read_pitch, _ = head_pose(_mesh_array(faces[0], bgr.shape[1], bgr.shape[0]))
            readings.append(PoseReading(image, yaw, pitch, read_yaw, read_pitch))
    return readings


@dataclass(frozen=True, slots=True)
class SetFigures:
    """The estimator over a set of photos: read = scale x label (through 0), correlation, and the
    residual spread after the scale (median absolute, degrees)."""

    count: int
    scale: float
    correlation: float
    median_abs_residual: float
    p90_abs_residual: float


def set_figures(readings: list[PoseReading], max_abs_yaw: float) -> SetFigures:
    """Scale, correlation and spread of the read yaw over photos labelled within +-max_abs_yaw."""
    pairs = [(r.label_yaw, r.read_yaw) for r in readings if r.read_yaw is not None and abs(r.label_yaw) <= max_abs_yaw]
    labels = np.array([label for label, _ in pairs])
    reads = np.array([read for _, read in pairs])
    scale = float(labels @ reads / (labels @ labels))
    residual = np.abs(reads - scale * labels)
    return SetFigures(
        count=len(pairs),
        scale=scale,
        correlation=float(np.corrcoef(labels, reads)[0, 1]),
        median_abs_residual=float(np.median(residual)),
        p90_abs_residual=float(np.percentile(residual, 90)),
    )


def bin_rows(readings: list[PoseReading]) -> list[str]:
    """One line per labelled yaw bin: photos, faces found, median read, bias, read/label, spread."""
    lines = [f"{'labelled yaw':<14}{'photos':>7}{'found':>7}{'median read':>13}{'bias':>8}{'read/label':>12}{'IQR':>7}"]
    for low, high in itertools.pairwise(YAW_BINS):
        inside = [r for r in readings if low <= r.label_yaw < high]
        found = [r for r in inside if r.read_yaw is not None]
        if not found:
            lines.append(f"{f'[{low},{high})':<14}{len(inside):>7}{0:>7}")
            continue
        read = np.array([r.read_yaw for r in found], dtype=float)
        label = np.array([r.label_yaw for r in found])
        error = read - label
        ratio = np.median(read / label) if np.all(np.abs(label) > 5) else math.nan
        q1, q3 = np.percentile(error, [25, 75])
        lines.append(
            f"{f'[{low},{high})':<14}{len(inside):>7}{len(found):>7}{np.median(read):>13.1f}"
            f"{np.median(error):>8.1f}{ratio:>12.2f}{q3 - q1:>7.1f}"
        )
    return lines


def turn_in_labelled_degrees(readings: list[PoseReading], threshold: float) -> tuple[float, float, float]:
    """The labelled yaw at which the read yaw reaches `threshold`, and the 10-90 % range of the
    labelled yaw of photos read within 2 degrees of it (both directions folded)."""
    near = [abs(r.label_yaw) for r in readings if r.read_yaw is not None and abs(abs(r.read_yaw) - threshold) <= 2.0]
    figures = set_figures(readings, 60.0)
    if not near:
        return threshold / figures.scale, math.nan, math.nan
    low, high = np.percentile(near, [10, 90])
    return threshold / figures.scale, float(low), float(high)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--testdata", type=Path, default=PROJECT_ROOT.parent / "shared" / "testdata")
    parser.add_argument("--max-abs-yaw", type=float, default=60.0, help="labelled range of the set figures")
    args = parser.parse_args()
    readings = measure(args.testdata)
    found = sum(r.read_yaw is not None for r in readings)
    print(f"head-pose bench: {len(readings)} AFLW2000-3D photos inside the +-99 degree filter, {found} faces found")
    print("\n".join(bin_rows(readings)))
    for limit in (30.0, args.max_abs_yaw):
        figures = set_figures(readings, limit)
        print(
            f"|labelled yaw| <= {limit:g}: {figures.count} photos, read = {figures.scale:.3f} x label, "
            f"correlation {figures.correlation:.3f}, |residual| median {figures.median_abs_residual:.1f}, "
            f"p90 {figures.p90_abs_residual:.1f} degrees"
        )
    threshold = LivenessConfig().turn_yaw_degrees
    at, low, high = turn_in_labelled_degrees(readings, threshold)
    print(
        f"a {threshold:g}-degree turn (turn_yaw_degrees) is a labelled {at:.1f} degrees by the scale; "
        f"photos read at {threshold:g}+-2 were labelled {low:.1f}-{high:.1f} (10-90 %)"
    )


if __name__ == "__main__":
    main()

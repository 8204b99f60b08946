"""The head-pose estimator on photos with labelled angles reads real degrees, over the set.

The turn step asks for `turn_yaw_degrees` (25) of read yaw. What that asks of a customer in real
degrees depends on the estimator's scale, so the scale is held to a product requirement rather
than to one run: a read 25 must be a real turn between about 22 and 30 degrees (scale 0.85-1.15),
far from the 10-degree frontal band on one side and from a turn an elderly customer cannot make on
the other. The spread must stay well inside the frontal band (median residual under 4 degrees),
and faces within +-45 degrees must be found. Bounds hold over the shared AFLW2000-3D photos, never
per photo: the labels are 3-D model fits with errors of their own (`bench/head_pose.py` prints the
figures by yaw bin).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.head_pose import PoseReading, measure, set_figures

pytestmark = pytest.mark.model

SCALE_RANGE = (0.85, 1.15)
MIN_CORRELATION = 0.95
MAX_MEDIAN_RESIDUAL = 4.0
MIN_FOUND_WITHIN_45 = 0.95


@pytest.fixture(scope="module")
def readings(testdata: Path) -> list[PoseReading]:
    return measure(testdata)


def test_the_read_yaw_has_real_degrees_over_the_set(readings: list[PoseReading]) -> None:
    figures = set_figures(readings, 60.0)
    assert figures.count >= 500
    assert SCALE_RANGE[0] <= figures.scale <= SCALE_RANGE[1], figures
    assert figures.correlation >= MIN_CORRELATION, figures
    assert figures.median_abs_residual <= MAX_MEDIAN_RESIDUAL, figures


def test_both_directions_read_alike(readings: list[PoseReading]) -> None:
    """A left turn and a right turn of the same size ask the same of the customer."""
    right = set_figures([r for r in readings if r.label_yaw > 0], 60.0)
    left = set_figures([r for r in readings if r.label_yaw < 0], 60.0)
    assert abs(right.scale - left.scale) <= 0.15, (left, right)


def test_faces_within_45_degrees_are_found(readings: list[PoseReading]) -> None:
    within = [r for r in readings if abs(r.label_yaw) <= 45.0]
    found = sum(r.read_yaw is not None for r in within)
    assert found / len(within) >= MIN_FOUND_WITHIN_45


def test_a_flat_estimator_would_fail_the_scale_bound(readings: list[PoseReading]) -> None:
    """The bound has teeth: an estimator reading two thirds of every angle (a flattened depth)
    would ask customers for 37 real degrees and fails it."""
    flattened = [
        PoseReading(r.image, r.label_yaw, r.label_pitch, None if r.read_yaw is None else r.read_yaw * 0.66, None)
        for r in readings
    ]
    assert set_figures(flattened, 60.0).scale < SCALE_RANGE[0]

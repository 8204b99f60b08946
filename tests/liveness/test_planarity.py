"""Is landmark motion that of a flat photo? A rigid 2-D move deforms nothing; a photo tilted in
perspective deforms its landmarks but a homography explains them (no parallax); a real head's
turn, points at different depths seen through a pinhole, leaves parallax no homography removes.
Both figures are in units of the face's size, so scale and distance do not change them."""

from __future__ import annotations

import math

import numpy as np
import pytest

from liveness.planarity import Points, fit_homography, motion_fit

RNG = np.random.default_rng(7)
# A face's anchors: x, y in a unit-sized face, z its depth (the nose tip nearest the camera).
FACE = np.array(
    [[-0.4, -0.3, 0.1], [0.4, -0.3, 0.1], [0.0, 0.0, -0.35], [-0.25, 0.35, 0.05], [0.25, 0.35, 0.05], [0.0, 0.55, 0.1]]
    + [[x, y, 0.0] for x, y in RNG.uniform(-0.5, 0.5, size=(6, 2))]
)


def _project(
    points: np.ndarray, *, yaw_degrees: float = 0.0, tilt_degrees: float = 0.0, distance: float = 3.0
) -> Points:
    yaw, tilt = math.radians(yaw_degrees), math.radians(tilt_degrees)
    turn = np.array([[math.cos(yaw), 0, math.sin(yaw)], [0, 1, 0], [-math.sin(yaw), 0, math.cos(yaw)]])
    nod = np.array([[1, 0, 0], [0, math.cos(tilt), -math.sin(tilt)], [0, math.sin(tilt), math.cos(tilt)]])
    moved = points @ (nod @ turn).T
    depth = moved[:, 2] + distance
    return np.asarray(500 * moved[:, :2] / depth[:, None] + 320, dtype=np.float64)


def test_a_rigid_move_in_the_image_deforms_nothing() -> None:
    reference = _project(FACE)
    angle = math.radians(12)
    rotation = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    moved = 1.3 * reference @ rotation.T + [40.0, -25.0]

    fit = motion_fit(reference, moved)

    assert fit.deformation == pytest.approx(0.0, abs=1e-6)
    assert fit.parallax == pytest.approx(0.0, abs=1e-6)


def test_a_flat_photo_tilted_in_perspective_deforms_but_shows_no_parallax() -> None:
    photo = FACE * [1.0, 1.0, 0.0]  # every point on one plane

    fit = motion_fit(_project(photo), _project(photo, yaw_degrees=30, tilt_degrees=15, distance=1.5))

    assert fit.deformation > 0.02
    assert fit.parallax < 1e-6


def test_a_real_head_turning_shows_parallax() -> None:
    fit = motion_fit(_project(FACE), _project(FACE, yaw_degrees=25))

    assert fit.parallax > 0.02


def test_the_figures_do_not_depend_on_the_faces_size_in_the_image() -> None:
    near = motion_fit(_project(FACE), _project(FACE, yaw_degrees=25))
    scaled = motion_fit(3.0 * _project(FACE), 3.0 * _project(FACE, yaw_degrees=25))

    assert scaled.parallax == pytest.approx(near.parallax, rel=1e-6)
    assert scaled.deformation == pytest.approx(near.deformation, rel=1e-6)


def test_a_homography_fitted_to_a_planar_move_maps_the_points_back() -> None:
    photo = FACE * [1.0, 1.0, 0.0]
    source, target = _project(photo, yaw_degrees=20), _project(photo)
    homography = fit_homography(source, target)

    mapped = np.c_[source, np.ones(len(source))] @ homography.T
    assert mapped[:, :2] / mapped[:, 2:] == pytest.approx(target, abs=1e-6)


def test_a_face_without_size_is_no_motion() -> None:
    point = np.zeros((6, 2))

    assert (motion_fit(point, point + 1.0).deformation, motion_fit(point, point).parallax) == (0.0, 0.0)

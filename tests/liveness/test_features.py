"""One frame's features as the trace stores them: every field survives the compact JSON form and
back (the worker judges the stored trace), a trace written before the eye-change and light fields
existed still reads, the light's colours are stored only when measured, and every quality state has
its hint for the page (none when the frame is fine)."""

from __future__ import annotations

import json

from liveness.features import QUALITY_HINTS, FrameFeatures, Quality

MEASURED = FrameFeatures(
    t=1.25,
    n_faces=1,
    quality=Quality.OK,
    frame_width=640,
    frame_height=480,
    box=(200.0, 120.0, 180.0, 220.0),
    ear_left=0.31,
    ear_right=0.27,
    eye_change=(0.05, 0.07),
    yaw=-12.5,
    pitch=3.0,
    roll=1.5,
    brightness=128.0,
    sharpness=41.0,
    face_size=0.28,
    anchors=((250.0, 200.0), (330.0, 201.0)),
    flow=((251.0, 200.5), (-1.0, -1.0)),
    signature=(0.41, 0.93),
    digest="9f2c",
    skin=(180.0, 140.0, 120.0),
    backdrop=(30.0, 30.0, 35.0),
)


def test_every_field_survives_the_stored_form() -> None:
    stored = json.loads(json.dumps(MEASURED.to_dict()))

    assert FrameFeatures.from_dict(stored) == MEASURED


def test_the_lights_colours_are_stored_only_when_measured() -> None:
    plain = FrameFeatures(t=0.0, n_faces=0, quality=Quality.NO_FACE)

    assert "sk" not in plain.to_dict()
    assert FrameFeatures.from_dict(plain.to_dict()) == plain


def test_a_trace_from_before_the_eye_change_and_light_fields_still_reads() -> None:
    older = {key: value for key, value in MEASURED.to_dict().items() if key not in {"ec", "sk", "bg"}}

    read = FrameFeatures.from_dict(older)

    assert (read.eye_change, read.skin, read.backdrop) == ((), (), ())
    assert read.anchors == MEASURED.anchors


def test_the_derived_measures() -> None:
    assert MEASURED.ear == (0.31 + 0.27) / 2
    assert MEASURED.face_center == (290.0, 230.0)
    assert MEASURED.face_width == 180.0
    assert MEASURED.has_face
    assert not FrameFeatures(t=0.0, n_faces=1, quality=Quality.CUT_OFF).has_face  # no landmarks measured


def test_every_quality_state_has_its_hint_and_a_fine_frame_none() -> None:
    assert set(QUALITY_HINTS) == set(Quality)
    assert QUALITY_HINTS[Quality.OK] is None
    assert all(QUALITY_HINTS[quality] for quality in Quality if quality is not Quality.OK)

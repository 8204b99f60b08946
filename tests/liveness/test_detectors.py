"""The blink and turn detectors on numbers: an eye closure is a blink only with eye-pixel evidence."""

from __future__ import annotations

import dataclasses

from liveness import EventType, LivenessConfig
from liveness.detectors import BlinkDetector
from liveness.features import FrameFeatures

from .synthetic import FaceStream, blink_ear, times

CONFIG = LivenessConfig()


def closures(stream: FaceStream, config: LivenessConfig = CONFIG) -> list[EventType]:
    detector = BlinkDetector(config)
    events = []
    for t in times(0.0, 3.0):
        frame = stream.frame(t, ear=min(blink_ear(t, at=a) for a in (1.0, 2.0)))
        event = detector.update(frame.t, frame.ear_left, frame.ear_right, frame.eye_change)
        if event is not None:
            events.append(event.type)
    return events


def test_a_real_eye_closure_is_a_blink() -> None:
    assert closures(FaceStream()) == [EventType.BLINK, EventType.BLINK]


def test_a_printed_eye_whose_fitted_lids_close_does_not_blink() -> None:
    """The mesh's eye ratio dips exactly as in a blink, but the eye's pixels never change."""
    assert closures(FaceStream(printed=True)) == []


def test_the_evidence_threshold_is_the_rule() -> None:
    """With the rule off (threshold 0) the printed closure counts: the threshold is what stops it."""
    rule_off = dataclasses.replace(CONFIG, blink_min_eye_change=0.0)
    assert closures(FaceStream(printed=True), rule_off) == [EventType.BLINK, EventType.BLINK]


def test_a_frame_without_measured_eye_change_gives_no_evidence() -> None:
    """An old trace frame (no `ec`) reads back with no eye change: it cannot make a blink."""
    frame = FrameFeatures.from_dict({**FaceStream().frame(0.5).to_dict(), "ec": []})
    legacy = {key: value for key, value in frame.to_dict().items() if key != "ec"}
    assert FrameFeatures.from_dict(legacy).eye_change == ()
    detector = BlinkDetector(CONFIG)
    for t in times(0.0, 2.0):
        detector_event = detector.update(t, blink_ear(t, at=1.0), blink_ear(t, at=1.0), ())
        assert detector_event is None

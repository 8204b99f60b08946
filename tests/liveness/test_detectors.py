"""The blink and turn detectors on numbers: an eye closure is a blink only with eye-pixel evidence."""

from __future__ import annotations

import dataclasses

from liveness import EventType, LivenessConfig
from liveness.detectors import BlinkDetector
from liveness.features import FrameFeatures

from .synthetic import FaceStream, blink_ear, times, turn_yaw

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


def deep_turn_then_blink(*, yaw_known: bool) -> list[EventType]:
    """A narrow eye (0.15 open) that reads 0.6 while the head is turned 45 degrees for a second
    (as antispoofing_real.mov's does), then a blink 0.5 s after the head is back."""
    detector = BlinkDetector(CONFIG)
    events = []
    for t in times(0.0, 4.0):
        turned = 1.0 <= t < 2.0
        yaw = turn_yaw(t, at=1.0, peak=45.0)
        ear = 0.6 if turned else blink_ear(t, at=2.5, base=0.15)
        change = (0.6,) if 2.5 <= t < 2.7 else (0.05,)
        event = detector.update(t, ear, ear, change, relative_yaw=yaw if yaw_known else 0.0)
        if event is not None:
            events.append(event.type)
    return events


def test_a_blink_after_a_deep_turn_is_found() -> None:
    """The open-eye level is learnt in the frontal band only: a level learnt from the turned head's
    wide eye ratio made the frontal eyes after the turn look shut, and the blink never reopened."""
    assert deep_turn_then_blink(yaw_known=True) == [EventType.BLINK]
    assert deep_turn_then_blink(yaw_known=False) == []


def test_an_eye_that_narrows_while_the_head_is_turned_is_not_a_blink() -> None:
    """The turn's own narrowing of an eye (beyond `blink_start_max_abs_yaw`) starts no closure."""
    detector = BlinkDetector(CONFIG)
    events = []
    for t in times(0.0, 3.0):
        yaw = 20.0 if 1.0 <= t < 1.4 else 0.0
        ear = 0.1 if 1.0 <= t < 1.4 else 0.3
        event = detector.update(t, ear, ear, (0.6,), relative_yaw=yaw)
        if event is not None:
            events.append(event)
    assert events == []


def test_a_blink_while_turning_a_little_still_counts() -> None:
    """People blink while they turn a little: within `blink_start_max_abs_yaw` a closure counts."""
    detector = BlinkDetector(CONFIG)
    events = []
    for t in times(0.0, 3.0):
        yaw = 12.0 if 1.8 <= t < 2.4 else 0.0
        event = detector.update(t, blink_ear(t, at=2.0), blink_ear(t, at=2.0), (0.6,), relative_yaw=yaw)
        if event is not None:
            events.append(event.type)
    assert CONFIG.frontal_band_degrees < 12.0 < CONFIG.blink_start_max_abs_yaw
    assert events == [EventType.BLINK]

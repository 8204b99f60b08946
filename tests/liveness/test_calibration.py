"""The calibration's open-eye level is the configured baseline percentile."""

from __future__ import annotations

import pytest

from liveness import ChallengeEngine, ChallengePlan, LivenessConfig

from .synthetic import FaceStream


def test_calibration_uses_the_configured_baseline_percentile() -> None:
    """The open-eye level of the calibration is the config's percentile, as the blink detector's."""
    stream = FaceStream()
    for percentile, expected in ((80.0, 0.32), (50.0, 0.3)):
        engine = ChallengeEngine(ChallengePlan.parse("blink"), LivenessConfig(baseline_percentile=percentile))
        ears = [0.28, 0.30, 0.32, 0.32, 0.32, 0.30, 0.28, 0.30, 0.32, 0.30, 0.28, 0.30, 0.32, 0.30, 0.28]
        for index, ear in enumerate(ears):
            engine.process(stream.frame(index / 15, ear=ear), index / 15)
        assert engine.calibration is not None
        assert engine.calibration.ear_left == pytest.approx(expected)

"""The liveness configuration round-trips through the dict stored with a trace."""

from __future__ import annotations

from liveness import LivenessConfig


def test_config_round_trips_through_a_dict() -> None:
    config = LivenessConfig(turn_yaw_degrees=30.0)
    assert LivenessConfig.from_dict({**config.to_dict(), "unknown": 1}) == config

"""A trace of an unknown version is refused, not replayed."""

from __future__ import annotations

import pytest

from liveness import ChallengePlan, LivenessConfig, recompute_verdict

CONFIG = LivenessConfig()


def test_trace_version_is_checked() -> None:
    with pytest.raises(ValueError, match="version"):
        recompute_verdict({"version": 99, "frames": []}, ChallengePlan.parse("blink"), CONFIG)

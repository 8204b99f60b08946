"""The liveness engine's configuration from Django settings (the engine itself knows no Django)."""

from __future__ import annotations

from django.conf import settings

from liveness import LivenessConfig


def liveness_config() -> LivenessConfig:
    return LivenessConfig(
        fps_budget=settings.SHIMING_LIVENESS_FPS,
        step_count=settings.SHIMING_LIVENESS_STEPS,
        turn_yaw_degrees=settings.SHIMING_LIVENESS_TURN_DEGREES,
        step_timeout_seconds=settings.SHIMING_LIVENESS_STEP_TIMEOUT_SECONDS,
        session_timeout_seconds=settings.SHIMING_LIVENESS_SESSION_TIMEOUT_SECONDS,
    )

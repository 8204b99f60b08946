"""The liveness engine's configuration from Django settings (the engine itself knows no Django)."""

from __future__ import annotations

from django.conf import settings

from liveness import LivenessConfig
from liveness.light import LightConfig


def liveness_config(*, light: bool = False, declined: bool = False) -> LivenessConfig:
    """The settings' thresholds; `light` is the policy switch as the attempt's plan was drawn with
    and `declined` the customer's no-lights choice (see `plan_config`)."""
    return LivenessConfig(
        light=LightConfig(enabled=light, declined=light and declined),
        fps_budget=settings.SHIMING_LIVENESS_FPS,
        step_count=settings.SHIMING_LIVENESS_STEPS,
        turn_yaw_degrees=settings.SHIMING_LIVENESS_TURN_DEGREES,
        step_timeout_seconds=settings.SHIMING_LIVENESS_STEP_TIMEOUT_SECONDS,
        session_timeout_seconds=settings.SHIMING_LIVENESS_SESSION_TIMEOUT_SECONDS,
    )


def plan_config(plan: list[str]) -> LivenessConfig:
    """The configuration an attempt at `plan` runs with (stored with its trace): the light switch
    was on for a plan with a light step, or with the no-lights path's extra actions instead."""
    config = liveness_config()
    extra = len(plan) - config.step_count
    declined = "light" not in plan and extra == config.light.no_lights_extra_steps
    return liveness_config(light="light" in plan or declined, declined=declined)

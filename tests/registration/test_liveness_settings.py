"""The engine's configuration from the settings: every liveness threshold comes from its
`SHIMING_LIVENESS_*` setting, and an attempt's configuration follows from its plan: a plan with a
light step ran with the light switch on, a plan with the no-lights path's extra actions ran with it
on and declined, any other plan with it off."""

from __future__ import annotations

from typing import Any

import pytest

from registration.liveness_settings import liveness_config, plan_config


@pytest.fixture(autouse=True)
def thresholds(settings: Any) -> None:
    settings.SHIMING_LIVENESS_FPS = 12.0
    settings.SHIMING_LIVENESS_STEPS = 3
    settings.SHIMING_LIVENESS_TURN_DEGREES = 22.0
    settings.SHIMING_LIVENESS_STEP_TIMEOUT_SECONDS = 7.0
    settings.SHIMING_LIVENESS_SESSION_TIMEOUT_SECONDS = 35.0


def test_the_thresholds_are_the_settings() -> None:
    config = liveness_config()

    assert (config.fps_budget, config.step_count, config.turn_yaw_degrees) == (12.0, 3, 22.0)
    assert (config.step_timeout_seconds, config.session_timeout_seconds) == (7.0, 35.0)
    assert not config.light.enabled


def test_declining_the_lights_counts_only_when_the_lights_were_on() -> None:
    assert liveness_config(light=True, declined=True).light.declined
    assert not liveness_config(light=False, declined=True).light.declined


@pytest.mark.parametrize(
    ("plan", "enabled", "declined"),
    [
        (["blink", "turn_left", "blink"], False, False),
        (["blink", "light", "turn_right", "blink"], True, False),
        (["blink", "turn_left", "blink", "turn_right", "blink"], True, True),
        (["blink", "turn_left", "blink", "turn_right"], False, False),
    ],
)
def test_an_attempts_light_switch_follows_from_its_plan(plan: list[str], enabled: bool, declined: bool) -> None:
    light = plan_config(plan).light

    assert (light.enabled, light.declined) == (enabled, declined)

"""The screen-light step as the footage plays it: the configuration its customers are judged with
and the features the engine reads from their frames at its frame budget."""

from __future__ import annotations

import dataclasses

import numpy as np

from liveness import ChallengePlan, FrameFeatures, LivenessConfig
from liveness.extractor import LandmarkExtractor
from liveness.light import LightConfig

from .customer import FPS

LIGHT = LightConfig(enabled=True)
# The footage turns 23-25 degrees (README.md of the actors); a light-only plan needs no blink.
LIGHT_CONFIG = LivenessConfig(turn_yaw_degrees=20.0, light=LIGHT)
LIGHT_ONLY_CONFIG = dataclasses.replace(LIGHT_CONFIG, require_blink=False)
LIGHT_ONLY = ChallengePlan.parse("light")


def extracted(frames: list[np.ndarray], extractor: LandmarkExtractor) -> list[FrameFeatures]:
    """The features of `frames` (30 fps) at the light configuration's frame budget, with the light
    measurements on."""
    extractor.reset(light=True)
    step = round(FPS / LIGHT_CONFIG.fps_budget)
    return [extractor.extract(frame, round(index / FPS, 4)) for index, frame in enumerate(frames) if index % step == 0]

"""The screen-light step as the footage plays it: the configuration its customers are judged with
and the features the engine reads from their frames at its frame budget."""

from __future__ import annotations

import dataclasses

import numpy as np

from liveness import ChallengePlan, FrameFeatures, LivenessConfig
from liveness.extractor import LandmarkExtractor
from liveness.light import LightConfig

from .customer import FPS, SHALLOW_TURNS

LIGHT = LightConfig(enabled=True)
# The light step's customer: the face its figures were measured on (docs/liveness.md). With the
# deep-turning customer's smaller face the lit customer failed 3 of 3 tries over H.264
# (light_mismatch, tests/capture/webrtc): not looked into yet. The light plans need no deep turn.
LIGHT_FOOTAGE = SHALLOW_TURNS
# The product's thresholds with the light step on; a light-only plan needs no blink.
LIGHT_CONFIG = LivenessConfig(light=LIGHT)
LIGHT_ONLY_CONFIG = dataclasses.replace(LIGHT_CONFIG, require_blink=False)
LIGHT_ONLY = ChallengePlan.parse("light")


def extracted(frames: list[np.ndarray], extractor: LandmarkExtractor) -> list[FrameFeatures]:
    """The features of `frames` (30 fps) at the light configuration's frame budget, with the light
    measurements on."""
    extractor.reset(light=True)
    step = round(FPS / LIGHT_CONFIG.fps_budget)
    return [extractor.extract(frame, round(index / FPS, 4)) for index, frame in enumerate(frames) if index % step == 0]

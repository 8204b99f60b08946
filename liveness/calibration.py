"""The engine's bookkeeping of time and of the frontal pose: when recent frames reached the
server (`ArrivalClock`), and the robust calibration from the first frontal frames."""

from __future__ import annotations

from bisect import bisect_left
from collections import deque

import numpy as np

from .features import FrameFeatures
from .results import Calibration

CLOCK_HISTORY_SECONDS = 10.0
"""Longer than any blink or turn: their starts must still be found."""


class ArrivalClock:
    """Media times of recent frames and when each reached the server (the injected clock)."""

    def __init__(self) -> None:
        self._t: deque[float] = deque()
        self._rx: deque[float] = deque()

    def remember(self, t: float, received_at: float) -> None:
        self._t.append(t)
        self._rx.append(received_at)
        while self._t and self._t[0] < t - CLOCK_HISTORY_SECONDS:
            self._t.popleft()
            self._rx.popleft()

    def received_at(self, t: float) -> float:
        """When the frame of media time `t` (an event's start) reached the server."""
        index = min(bisect_left(self._t, t), len(self._t) - 1)
        return self._rx[index]


def calibration_from(samples: list[FrameFeatures], t: float, percentile: float) -> Calibration:
    """Robust statistics: a high percentile of the eye ratios (`baseline_percentile`, as the
    blink detector's open-eye level, so a blink during calibration does not lower it) and
    medians of the pose and the face signature."""
    signatures = np.array([sample.signature for sample in samples if sample.signature])
    signature = tuple(round(float(value), 4) for value in np.median(signatures, axis=0)) if len(signatures) else ()
    return Calibration(
        ear_left=float(np.percentile([sample.ear_left for sample in samples], percentile)),
        ear_right=float(np.percentile([sample.ear_right for sample in samples], percentile)),
        yaw=float(np.median([sample.yaw for sample in samples])),
        pitch=float(np.median([sample.pitch for sample in samples])),
        signature=signature,
        completed_at=t,
    )

"""Blink and turn detectors: small state machines fed one admitted frame at a time."""

from __future__ import annotations

from collections import deque

from .config import LivenessConfig
from .events import EventType, LivenessEvent


class BlinkDetector:
    """A blink: the eyes close below a fraction of the person's own open-eye level and open
    again (hysteresis) within `blink_max_seconds`.

    Each eye has its own open-eye level, a high percentile of its recent eye ratios, so it
    follows the person (narrow eyes, glasses, a slow change of pose) and a blink inside the
    window barely moves it. The closure of a frame mixes the mean and the smaller of the two
    eyes' fractions, so a one-eyed closure (a wink, or an eye hidden by a glasses reflection)
    still counts. The eyes count as open again above `blink_open_ratio`, or once they have
    recovered `blink_recovery_fraction` of the way from the deepest point back to the open
    level (after a blink people often keep their eyes a little narrower than before).

    The ratios come from a fitted face model, which can close its eyelids on a picture of open
    eyes (a print tilted, bent or re-compressed). So a closure is a blink only if an eye's pixels
    changed during it (`FrameFeatures.eye_change`, the face's own motion taken out) by at least
    `blink_min_eye_change`: an eyelid covering the iris does that, a printed eye does not.
    """

    def __init__(self, config: LivenessConfig) -> None:
        self._config = config
        self._history: deque[tuple[float, float, float]] = deque()
        self._closed_at: float | None = None
        self._deepest = 1.0
        self._eye_change = 0.0

    def baseline(self) -> tuple[float, float] | None:
        """The current open-eye level of (left, right) eye, or None while too few frames."""
        if len(self._history) < self._config.baseline_min_frames:
            return None
        percentile = self._config.baseline_percentile
        left = _percentile([entry[1] for entry in self._history], percentile)
        right = _percentile([entry[2] for entry in self._history], percentile)
        return left, right

    def reset(self) -> None:
        """Forget the person (after a restart)."""
        self._history.clear()
        self._closed_at = None

    def interrupt(self) -> None:
        """The face was lost: an eye closure in progress does not count."""
        self._closed_at = None

    def update(
        self,
        t: float,
        ear_left: float,
        ear_right: float,
        eye_change: tuple[float, ...] = (),
        *,
        relative_yaw: float = 0.0,
    ) -> LivenessEvent | None:
        """Feed one frame's eye ratios and eye change; return a blink when one has just ended.

        Only frames inside the frontal band (`relative_yaw`, degrees from the calibrated pose) set
        the open-eye level: turned away, the eye ratios follow the turn, not the eyelids (a narrow
        eye read 0.12 frontal and 0.8 at 50 degrees), so a level learnt there made the frontal eyes
        after a deep turn look closed for the level's whole window, and a blink then never looked
        open again. A closure begins only within `blink_start_max_abs_yaw`: further out, a turn's
        own narrowing of an eye looked like a blink."""
        baseline = self.baseline()
        if abs(relative_yaw) <= self._config.frontal_band_degrees:
            self._remember(t, ear_left, ear_right)
        if baseline is None or min(baseline) <= 0.0:
            return None
        closure = eye_closure(ear_left / baseline[0], ear_right / baseline[1])
        changed = max(eye_change, default=0.0)
        if self._closed_at is None:
            if abs(relative_yaw) <= self._config.blink_start_max_abs_yaw and closure < self._config.blink_close_ratio:
                self._closed_at, self._deepest, self._eye_change = t, closure, changed
            return None
        self._deepest = min(self._deepest, closure)
        self._eye_change = max(self._eye_change, changed)
        if not self._reopened(closure):
            return None
        started, self._closed_at = self._closed_at, None
        if t - started > self._config.blink_max_seconds:
            return None  # a long eye closure, not a blink
        if self._eye_change < self._config.blink_min_eye_change:
            return None  # the model's eyelids closed, the eye's pixels did not: not an eyelid
        return LivenessEvent(EventType.BLINK, started, t, self._deepest)

    def _reopened(self, closure: float) -> bool:
        recovered = self._deepest + self._config.blink_recovery_fraction * (1.0 - self._deepest)
        return closure > self._config.blink_open_ratio or closure > recovered

    def _remember(self, t: float, ear_left: float, ear_right: float) -> None:
        self._history.append((t, ear_left, ear_right))
        horizon = t - self._config.baseline_window_seconds
        while self._history and self._history[0][0] < horizon:
            self._history.popleft()


def _percentile(values: list[float], percentile: float) -> float:
    """Linear-interpolated percentile (as numpy's default) of a short list, without numpy."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * percentile / 100.0
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def eye_closure(left_fraction: float, right_fraction: float) -> float:
    """How open the eyes are as a fraction of their open level (1 open, 0 shut)."""
    return 0.5 * min(left_fraction, right_fraction) + 0.25 * (left_fraction + right_fraction)


class TurnDetector:
    """A turn: yaw, relative to the frontal pose, leaves the frontal band, passes the turn
    threshold and comes back inside the band. The sign gives the person's own direction."""

    def __init__(self, config: LivenessConfig) -> None:
        self._config = config
        self._started_at: float | None = None
        self._sign = 0
        self._peak = 0.0
        self._widest: dict[int, float] = {}  # by side (+1 right, -1 left): the largest yaw since `mark`
        self._out_since_mark = 0.0  # the largest yaw since `mark` of the excursion under way

    def mark(self) -> None:
        """Measure `widest` and `still_out` from now on (a step's prompt has just gone out)."""
        self._widest = {}
        self._out_since_mark = 0.0

    def widest(self, kind: EventType) -> float:
        """How far (degrees from frontal) the head went toward `kind`'s side since `mark`, in an
        excursion that has ended or is still under way, counted as a turn or not."""
        sign = 1 if kind is EventType.TURN_RIGHT else -1
        under_way = self._peak if self._started_at is not None and self._sign == sign else 0.0
        return max(self._widest.get(sign, 0.0), under_way)

    def still_out(self, kind: EventType) -> float:
        """How far (degrees from frontal) the head went toward `kind`'s side since `mark` in an
        excursion still under way: the head has not come back inside the frontal band. 0 if none."""
        sign = 1 if kind is EventType.TURN_RIGHT else -1
        return self._out_since_mark if self._started_at is not None and self._sign == sign else 0.0

    def reset(self) -> None:
        """Forget any excursion in progress."""
        self._started_at = None
        self._sign = 0
        self._peak = 0.0
        self._out_since_mark = 0.0

    def update(self, t: float, relative_yaw: float) -> LivenessEvent | None:
        """Feed one frame's yaw from frontal; return a turn when the head has come back."""
        band = self._config.frontal_band_degrees
        sign = 1 if relative_yaw > 0 else -1
        if self._started_at is not None and abs(relative_yaw) > band and sign != self._sign:
            event = self._close(t)  # swung through frontal between two frames
            self._open(t, relative_yaw)
            return event
        if self._started_at is None:
            if abs(relative_yaw) > band:
                self._open(t, relative_yaw)
            return None
        self._peak = max(self._peak, abs(relative_yaw))
        self._out_since_mark = max(self._out_since_mark, abs(relative_yaw))
        return self._close(t) if abs(relative_yaw) <= band else None

    def _open(self, t: float, relative_yaw: float) -> None:
        self._started_at = t
        self._sign = 1 if relative_yaw > 0 else -1
        self._peak = self._out_since_mark = abs(relative_yaw)

    def _close(self, t: float) -> LivenessEvent | None:
        started, peak, sign = self._started_at, self._peak, self._sign
        self._widest[sign] = max(self._widest.get(sign, 0.0), peak)
        self.reset()
        if started is None or peak < self._config.turn_yaw_degrees:
            return None
        # + yaw: the person turned to their own right (face toward the image's left).
        kind = EventType.TURN_RIGHT if sign > 0 else EventType.TURN_LEFT
        return LivenessEvent(kind, started, t, peak)

"""Anti-spoofing guards fed frame by frame: injection, identity jumps and planar motion."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from .config import LivenessConfig
from .features import FrameFeatures
from .planarity import motion_fit
from .results import Reason

_MIN_FLOW_POINTS = 8
_MAX_STEP_MOTION = 0.1  # per-frame cap: one bad optical-flow frame must not dominate a window
_MOTION_HISTORY_SECONDS = 12.0  # long enough to cover the slowest turn


class InjectionGuard:
    """Frames that repeat exactly, or timestamps that cannot come from a live camera.

    "Frames from the future": the media time, counted from an anchor frame, may not run ahead of
    the server's clock from that frame by more than `max_clock_drift_seconds` (a recording pushed
    faster than it was filmed). The anchor is the first frame, except when that frame alone is
    stamped early: Chromium's H.264 sender can send as its first frame one stamped seconds before
    its second (docs/liveness.md, "The early first frame"), and a tablet that does the same is
    honest. So a first frame whose stamp is that far behind the second's is judged by itself
    (it only has to be earlier) and the stream is anchored on the second frame instead, once.
    Every later frame is judged as before: a jump or a stream that runs fast after the first frame
    is still caught, and the first frame's stamp carries nothing an injection could use.
    """

    def __init__(self, config: LivenessConfig) -> None:
        self._config = config
        self._first: tuple[float, float] | None = None
        self._last_t: float | None = None
        self._frames = 0
        self._last_digest = ""
        self._identical_run = 0
        self.reanchored = False
        """True on the one frame where the stream was re-anchored (its first frame was stamped early)."""

    def check(self, frame: FrameFeatures, received_at: float) -> Reason | None:
        """The injection reason this frame reveals, if any."""
        self.reanchored = False
        if self._last_t is not None and frame.t <= self._last_t:
            return Reason.IMPOSSIBLE_TIMESTAMPS
        self._frames += 1
        self._last_t = frame.t
        if self._first is None:
            self._first = (frame.t, received_at)
        elif self._frames == 2 and self._ahead(frame, received_at) > self._config.max_clock_drift_seconds:
            self._first, self.reanchored = (frame.t, received_at), True  # the first frame was stamped early
        if self._ahead(frame, received_at) > self._config.max_clock_drift_seconds:
            return Reason.IMPOSSIBLE_TIMESTAMPS  # frames from the future
        return self._check_repeats(frame.digest)

    def _ahead(self, frame: FrameFeatures, received_at: float) -> float:
        """Seconds the media time ran ahead of the clock since the anchor frame."""
        assert self._first is not None  # noqa: S101 - set on the first frame
        return (frame.t - self._first[0]) - (received_at - self._first[1])

    def _check_repeats(self, digest: str) -> Reason | None:
        if digest and digest == self._last_digest:
            self._identical_run += 1
        else:
            self._identical_run = 0
        self._last_digest = digest
        if self._identical_run >= self._config.max_identical_frames:
            return Reason.REPEATED_FRAMES
        return None


class FaceContinuityGuard:
    """A face that jumps across the frame, or whose proportions change: someone else."""

    def __init__(self, config: LivenessConfig) -> None:
        self._config = config
        self._previous: FrameFeatures | None = None
        self._reference: tuple[float, ...] = ()
        self._recent: deque[bool] = deque(maxlen=config.identity_window_frames)

    def set_reference(self, signature: tuple[float, ...]) -> None:
        """The calibrated person's proportions."""
        self._reference = signature
        self._recent.clear()

    def reset(self) -> None:
        """Forget the person."""
        self._previous = None
        self._reference = ()
        self._recent.clear()

    def jumped(self, frame: FrameFeatures, relative_yaw: float, relative_pitch: float) -> bool:
        """True when this frame shows a different face from the one before."""
        previous, self._previous = self._previous, frame
        if previous is not None and self._moved_too_far(previous, frame):
            return True
        return self._identity_changed(frame, relative_yaw, relative_pitch)

    def _moved_too_far(self, previous: FrameFeatures, frame: FrameFeatures) -> bool:
        if frame.t - previous.t > self._config.face_jump_max_gap_seconds or previous.face_width <= 0:
            return False
        (x0, y0), (x1, y1) = previous.face_center, frame.face_center
        shift = float(np.hypot(x1 - x0, y1 - y0)) / previous.face_width
        scale = max(frame.face_width, 1e-6) / previous.face_width
        limit = self._config.face_jump_max_scale
        return shift > self._config.face_jump_max_widths or not 1.0 / limit <= scale <= limit

    def _identity_changed(self, frame: FrameFeatures, relative_yaw: float, relative_pitch: float) -> bool:
        limit = self._config.identity_max_abs_yaw
        if not self._reference or len(frame.signature) != len(self._reference):
            return False
        if abs(relative_yaw) > limit or abs(relative_pitch) > limit:
            return False
        difference = signature_difference(frame.signature, self._reference)
        self._recent.append(difference > self._config.identity_max_difference)
        return sum(self._recent) >= self._config.identity_confirm_frames


def signature_difference(signature: tuple[float, ...], reference: tuple[float, ...]) -> float:
    """Mean relative difference between two face signatures."""
    values = np.asarray(signature)
    base = np.maximum(np.asarray(reference), 1e-6)
    return float(np.mean(np.abs(values - base) / base))


@dataclass(frozen=True, slots=True)
class MotionSample:
    """One frame's motion: `deformation` beyond a rigid 2-D motion, `parallax` beyond a
    homography, both from the optical flow of the anchors since the previous frame."""

    t: float
    deformation: float
    parallax: float
    yaw_step: float = 0.0
    """How far the face model's yaw moved between the two frames, in degrees."""


def frame_motion(previous: FrameFeatures | None, frame: FrameFeatures) -> MotionSample | None:
    """The motion sample of `frame`, or None without enough tracked points."""
    if previous is None or not previous.anchors or len(frame.flow) != len(previous.anchors):
        return None
    pairs = [(a, f) for a, f in zip(previous.anchors, frame.flow, strict=True) if f[0] >= 0.0 and f[1] >= 0.0]
    if len(pairs) < _MIN_FLOW_POINTS:
        return None
    source = np.array([a for a, _ in pairs], dtype=np.float64)
    target = np.array([f for _, f in pairs], dtype=np.float64)
    fit = motion_fit(source, target)
    return MotionSample(
        frame.t,
        min(fit.deformation, _MAX_STEP_MOTION),
        min(fit.parallax, _MAX_STEP_MOTION),
        abs(frame.yaw - previous.yaw),
    )


class PlanarMotionGuard:
    """A flat photo swung or tilted: plenty of motion, all of it explained by a homography."""

    def __init__(self, config: LivenessConfig) -> None:
        self._config = config
        self._samples: deque[MotionSample] = deque()

    def reset(self) -> None:
        """Forget the recent motion."""
        self._samples.clear()

    def add(self, sample: MotionSample) -> bool:
        """Record a frame's motion; True when the recent window moved like a plane."""
        self._samples.append(sample)
        while self._samples and self._samples[0].t < sample.t - _MOTION_HISTORY_SECONDS:
            self._samples.popleft()
        recent = self.spanning(sample.t - self._config.planar_window_seconds, sample.t)
        return self.is_planar(recent, self._config.planar_min_deformation)

    def spanning(self, t_start: float, t_end: float) -> list[MotionSample]:
        """The samples of the frames from `t_start` to `t_end` still in the window."""
        return [sample for sample in self._samples if t_start <= sample.t <= t_end]

    def is_planar(self, samples: list[MotionSample], min_deformation: float) -> bool:
        """Enough deformation and too little of it outside a homography."""
        deformation = sum(sample.deformation for sample in samples)
        parallax = sum(sample.parallax for sample in samples)
        if deformation < min_deformation:
            return False
        return parallax < self._config.planar_max_parallax_ratio * deformation

    def parallax_per_degree(self, t_start: float, t_end: float) -> float:
        """The frames' summed parallax (motion beyond a homography) from `t_start` to `t_end` over
        the degrees the face model's yaw travelled meanwhile (0 when it did not move)."""
        samples = self.spanning(t_start, t_end)
        travelled = sum(sample.yaw_step for sample in samples)
        return sum(sample.parallax for sample in samples) / travelled if travelled > 0.0 else 0.0

    def turn_moved_the_image(self, t_start: float, t_end: float) -> bool:
        """The image showed the parallax a head turning this far makes (`turn_min_parallax_per_degree`):
        a fitted model's yaw that swung over a still or bent picture does not."""
        return self.parallax_per_degree(t_start, t_end) >= self._config.turn_min_parallax_per_degree

    def turn_is_planar(self, t_start: float, t_end: float) -> bool:
        """A turn whose motion a homography explains (or that shows no parallax at all)."""
        samples = self.spanning(t_start, t_end)
        parallax = sum(sample.parallax for sample in samples)
        if parallax < self._config.planar_min_parallax:
            return True
        return self.is_planar(samples, 0.0)

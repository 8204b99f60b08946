"""Synthetic frame features: a 3-D face (or a flat photo) posed and projected, no model."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import numpy as np

from liveness import ChallengeEngine, FrameFeatures, LivenessUpdate, Phase, Quality

# A rough face in millimetres: x to the image's right, y down, z away from the camera. The
# nose tip sticks out toward the camera and the outline lies behind the eyes, as on a head.
_FACE = np.array(
    [
        (0, 10, -45), (0, 25, -35), (0, -20, -25), (0, -35, -20), (0, -90, -10), (0, 90, -5),
        (-45, -30, 0), (-15, -30, -5), (45, -30, 0), (15, -30, -5), (-25, 55, -10), (25, 55, -10),
        (-75, -25, 40), (75, -25, 40), (-72, 20, 35), (72, 20, 35), (-60, 50, 30), (60, 50, 30),
        (-40, 80, 15), (40, 80, 15), (-40, -50, -10), (40, -50, -10), (-15, 25, -30), (15, 25, -30),
    ],
    dtype=np.float64,
)  # fmt: skip
SIGNATURE = (0.3, 0.3, 0.43, 0.46, 0.39, 1.47, 0.44)
FOCAL, DISTANCE, CENTRE = 800.0, 600.0, (320.0, 240.0)


def project(
    yaw: float, pitch: float = 0.0, *, flat: bool = False, shift: tuple[float, float] = (0.0, 0.0)
) -> tuple[tuple[float, float], ...]:
    """Image positions of the face's anchors, the head turned by `yaw` (+ = own right)."""
    points = _FACE.copy()
    if flat:
        points[:, 2] = 0.0
    # + yaw turns the face toward the image's left: rotate about the vertical axis.
    a, b = math.radians(-yaw), math.radians(pitch)
    rot_y = np.array([[math.cos(a), 0, math.sin(a)], [0, 1, 0], [-math.sin(a), 0, math.cos(a)]])
    rot_x = np.array([[1, 0, 0], [0, math.cos(b), -math.sin(b)], [0, math.sin(b), math.cos(b)]])
    posed = points @ (rot_x @ rot_y).T + np.array([0.0, 0.0, DISTANCE])
    xs = FOCAL * posed[:, 0] / posed[:, 2] + CENTRE[0] + shift[0]
    ys = FOCAL * posed[:, 1] / posed[:, 2] + CENTRE[1] + shift[1]
    return tuple((round(float(x), 2), round(float(y), 2)) for x, y in zip(xs, ys, strict=True))


class FaceStream:
    """Builds consecutive frames; each frame's flow is where the last frame's anchors went.

    A real face's eye pixels change as its eye ratio drops (`FrameFeatures.eye_change`: the drop
    against the most open eye 0.1-0.4 s before, as a fraction of it); a `printed` face's eye
    pixels never change, whatever its fitted eye ratio does."""

    def __init__(self, *, printed: bool = False) -> None:
        self._last_pose: tuple[float, float, bool, tuple[float, float]] | None = None
        self._count = 0
        self._printed = printed
        self._ears: list[tuple[float, float, float]] = []

    def frame(
        self,
        t: float,
        *,
        ear: float = 0.3,
        ear_left: float | None = None,
        ear_right: float | None = None,
        yaw: float = 0.0,
        pitch: float = 0.0,
        flat: bool = False,
        shift: tuple[float, float] = (0.0, 0.0),
        quality: Quality = Quality.OK,
        signature: tuple[float, ...] = SIGNATURE,
        digest: str | None = None,
        n_faces: int = 1,
    ) -> FrameFeatures:
        self._count += 1
        left = ear if ear_left is None else ear_left
        right = ear if ear_right is None else ear_right
        eye_change = self._eye_change(t, left, right)
        anchors = project(yaw, pitch, flat=flat, shift=shift)
        flow: tuple[tuple[float, float], ...] = ()
        if self._last_pose is not None:
            flow = anchors  # the texture of the last frame's points is where the points are now
        self._last_pose = (yaw, pitch, flat, shift)
        xs = [x for x, _ in anchors]
        ys = [y for _, y in anchors]
        return FrameFeatures(
            t=round(t, 4),
            n_faces=n_faces,
            quality=quality,
            frame_width=640,
            frame_height=480,
            box=(min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)),
            ear_left=left,
            ear_right=right,
            eye_change=eye_change,
            yaw=yaw,
            pitch=pitch,
            roll=0.0,
            brightness=120.0,
            sharpness=200.0,
            face_size=0.3,
            anchors=anchors,
            flow=flow,
            signature=signature,
            digest=digest if digest is not None else f"{self._count:016x}",
        )

    def _eye_change(self, t: float, left: float, right: float) -> tuple[float, float]:
        earlier = [entry for entry in self._ears if t - 0.4 <= entry[0] <= t - 0.1]
        self._ears = [entry for entry in self._ears if entry[0] >= t - 0.4] + [(t, left, right)]
        if self._printed or not earlier:
            return (0.0, 0.0)
        open_left, open_right = max(entry[1] for entry in earlier), max(entry[2] for entry in earlier)
        return (
            round(max(0.0, open_left - left) / max(open_left, 1e-6), 4),
            round(max(0.0, open_right - right) / max(open_right, 1e-6), 4),
        )


def no_face(t: float) -> FrameFeatures:
    """A frame in which no face was found."""
    return FrameFeatures(t=t, n_faces=0, quality=Quality.NO_FACE, frame_width=640, frame_height=480, digest=f"{t}")


def times(start: float, end: float, fps: float = 15.0) -> list[float]:
    """Frame times from `start` (inclusive) to `end` (exclusive)."""
    count = round((end - start) * fps)
    return [start + index / fps for index in range(count)]


def feed(engine: ChallengeEngine, frames: Iterable[FrameFeatures]) -> list[LivenessUpdate]:
    """Process frames with the clock equal to the media time."""
    return [engine.process(frame, frame.t) for frame in frames]


def blink_ear(t: float, at: float, base: float = 0.3, depth: float = 0.3, duration: float = 0.2) -> float:
    """Eye ratio of a blink starting at `at` (closed to `depth` x base for `duration`)."""
    return base * depth if at <= t < at + duration else base


def turn_yaw(t: float, at: float, peak: float, duration: float = 1.0) -> float:
    """Yaw of a head turn starting at `at`: out to `peak` and back within `duration`."""
    if not at <= t < at + duration:
        return 0.0
    return peak * math.sin(math.pi * (t - at) / duration)


ACTION_YAW = {"turn_left": -35.0, "turn_right": 35.0}
ACTIONS = ("blink", "turn_left", "turn_right")


def perform(
    engine: ChallengeEngine,
    stream: FaceStream,
    *,
    until: float,
    respond: Callable[[str], str | None] = lambda step: step,
    reaction: float = 0.5,
    ack_delay: float | None = 0.1,
    extra: Callable[[float], str | None] = lambda t: None,
    fps: float = 15.0,
) -> list[LivenessUpdate]:
    """A synthetic customer who watches the prompts (clock = media time).

    Frontal and open-eyed, except: `reaction` s after a step's prompt appears they do
    `respond(step)` ("blink", "turn_left", "turn_right" or None for nothing); the page
    acknowledges the prompt `ack_delay` s after it appeared (None: never). `extra(t)` names an
    action to start at frame time t regardless of prompts (a natural blink, a stray turn)."""
    updates: list[LivenessUpdate] = []
    actions: list[tuple[str, float]] = []
    acks: list[tuple[int, float]] = []
    seen_prompt: tuple[int, str] | None = None
    for t in times(0.0, until, fps):
        for index, at in [ack for ack in acks if ack[1] <= t]:
            engine.prompt_shown(index, at)
            acks.remove((index, at))
        stray = extra(t)
        if stray is not None:
            actions.append((stray, t))
        ear = min((blink_ear(t, at=start) for kind, start in actions if kind == "blink"), default=0.3)
        yaw = sum(turn_yaw(t, at=start, peak=ACTION_YAW[kind]) for kind, start in actions if kind in ACTION_YAW)
        update = engine.process(stream.frame(t, ear=ear, yaw=yaw), t)
        updates.append(update)
        prompt = (update.step_index, update.prompt)
        if update.phase is Phase.CHALLENGE and update.prompt in ACTIONS and seen_prompt != prompt:
            seen_prompt = prompt
            action = respond(update.prompt)
            if action is not None:
                actions.append((action, t + reaction))
            if ack_delay is not None:
                acks.append((update.step_index, t + ack_delay))
    return updates

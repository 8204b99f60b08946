"""Customers (and attackers) in front of the camera, assembled from real footage.

ONE implementation, for the engine's unit tests, the capture tests and the load generator
(`bench/load_tablets.py` imports it; it needs only numpy and OpenCV, no Django). All of it plays
`liveness_video/liveportrait_d3.mp4` from the shared test data (one person, so the identity
guard sees one face throughout):

- idle: the most frontal open-eyed stretch (10.9-11.3 s), played forth and back without a cut;
  the engine calibrates on it and it holds still in the gaps;
- blink: 0.0-0.9 s (a closure of one eye that the blink detector counts; cut before the other eye starts closing);
- turn_left: 7.7-10.0 s, the person turning to their own left (about 23 degrees from the idle
  pose by the head pose, which reads real degrees: tests/liveness/test_landmarks.py) and back; it
  ends where the idle stretch begins;
- turn_right: the same, mirrored (the clip has no turn to the right).

A `Customer` watches the prompt the page shows (`see(prompt, t)`) and starts the matching clip
segment after a human reaction delay (0.3-1.0 s, random); `respond` changes what it does (the
lazy and the wrong-way customers). `LoopingRecording` ignores the prompts and replays a
recording that does every action now and then. Frames are BGR 640x480 (the tablet's size), at
30 fps of media time.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from liveness import ChallengePlan, LivenessConfig, Phase
from liveness.extractor import LandmarkExtractor
from liveness.session import LivenessSession

Frame = npt.NDArray[np.uint8]
FPS = 30.0
FRAME_SIZE = (640, 480)
CLIP = "liveness_video/liveportrait_d3.mp4"
STEPS = ("blink", "turn_left", "turn_right")
PROMPTS = (*STEPS, "light")
REACTION_SECONDS = (0.3, 1.0)


@dataclass(frozen=True, slots=True)
class Segment:
    """Frames [start, end) of the clip (30 fps indices), mirrored or not."""

    start: int
    end: int
    mirrored: bool = False

    @property
    def length(self) -> int:
        return self.end - self.start


IDLE = Segment(328, 339)
SEGMENTS = {
    "blink": Segment(0, 27),
    "turn_left": Segment(231, 300),
    "turn_right": Segment(231, 300, mirrored=True),
}


def testdata_dir() -> Path:
    """The shared test data (SHIMING_TESTDATA, else ../shared/testdata from the project)."""
    configured = os.environ.get("SHIMING_TESTDATA")
    return Path(configured) if configured else Path(__file__).resolve().parents[3] / "shared" / "testdata"


@cache
def footage(testdata: Path | None = None) -> tuple[Frame, ...]:
    """Every frame of the clip as the tablet would send it: 480x480 centred on a 640x480 frame."""
    path = (testdata or testdata_dir()) / CLIP
    capture = cv2.VideoCapture(str(path))
    frames: list[Frame] = []
    width, height = FRAME_SIZE
    while True:
        ok, image = capture.read()
        if not ok:
            break
        canvas = np.full((height, width, 3), 96, dtype=np.uint8)
        left = (width - height) // 2
        canvas[:, left : left + height] = cv2.resize(image, (height, height), interpolation=cv2.INTER_AREA)
        frames.append(canvas)
    capture.release()
    if len(frames) < IDLE.end:
        raise FileNotFoundError(f"cannot read {path}")
    return tuple(frames)


def _frame(segment: Segment, index: int) -> Frame:
    image = footage()[segment.start + index]
    return np.ascontiguousarray(image[:, ::-1]) if segment.mirrored else image


def _idle_frame(tick: int) -> Frame:
    """Forth and back over the idle stretch, so it never cuts."""
    period = 2 * (IDLE.length - 1)
    position = tick % period
    return _frame(IDLE, position if position < IDLE.length else period - position)


def segment_frames(name: str) -> list[Frame]:
    """Every frame of one segment in playing order ("idle": one forth-and-back period, to loop),
    for a player outside Python (the browser tests pre-render them; `tests/e2e/customer_camera.py`)."""
    if name == "idle":
        return [_idle_frame(tick) for tick in range(2 * (IDLE.length - 1))]
    segment = SEGMENTS[name]
    return [_frame(segment, index) for index in range(segment.length)]


def follow(step: str) -> str | None:
    """Does what the prompt asks."""
    return step


class Customer:
    """Follows the prompts: after a reaction delay, does what `respond(prompt)` names (or nothing)."""

    def __init__(
        self,
        rng: random.Random,
        *,
        respond: Callable[[str], str | None] = follow,
        reaction: tuple[float, float] = REACTION_SECONDS,
    ) -> None:
        self._rng = rng
        self._respond = respond
        self._reaction = reaction
        self._last_prompt: str | None = None
        self._queued: list[tuple[float, str]] = []
        self._playing: tuple[float, Segment] | None = None
        self.actions: list[tuple[float, str]] = []
        """What was done and when (media seconds), for the tests' messages."""

    def see(self, prompt: str | None, t: float) -> None:
        """The page shows `prompt` (a step code, or None between steps) at media time `t`."""
        if prompt == self._last_prompt:
            return
        self._last_prompt = prompt
        if prompt in STEPS:
            action = self._respond(prompt)
            if action is not None:
                self._queued.append((t + self._rng.uniform(*self._reaction), action))

    def directions(self, step_count: int) -> dict[str, object]:
        """This customer's choices, drawn here, for a player that only plays what it is told (the
        browser): the segment it plays for each prompt (None: nothing) and the reaction delay
        (seconds) after the k-th prompt is shown."""
        return {
            "respond": {step: self._respond(step) for step in STEPS},
            "reactions": [round(self._rng.uniform(*self._reaction), 3) for _ in range(step_count)],
        }

    def frame(self, t: float) -> Frame:
        """The camera frame at media time `t` (call with increasing t)."""
        if self._playing is not None:
            started, segment = self._playing
            index = round((t - started) * FPS)
            if index < segment.length:
                return _frame(segment, index)
            self._playing = None
        if self._queued and self._queued[0][0] <= t:
            _, action = self._queued.pop(0)
            self._playing = (t, SEGMENTS[action])
            self.actions.append((round(t, 3), action))
            return _frame(SEGMENTS[action], 0)
        return _idle_frame(round(t * FPS))


class LoopingRecording:
    """A replayed recording of the customer: every action now and then, deaf to the prompts.

    The loop is `script` (actions separated by idle spans, seconds); `offset` starts it part way."""

    SCRIPT: tuple[tuple[float, str], ...] = (
        (1.6, "blink"),
        (1.2, "turn_left"),
        (0.9, "blink"),
        (1.4, "turn_right"),
        (1.0, "blink"),
        (0.8, "turn_right"),
        (1.3, "turn_left"),
    )

    def __init__(self, offset: float = 0.0) -> None:
        self._offset = offset
        self._timeline: list[tuple[float, float, Segment | None]] = []  # (start, end, segment or idle)
        clock = 0.0
        for idle, action in self.SCRIPT:
            self._timeline.append((clock, clock + idle, None))
            clock += idle
            segment = SEGMENTS[action]
            self._timeline.append((clock, clock + segment.length / FPS, segment))
            clock += segment.length / FPS
        self.period = clock

    def see(self, prompt: str | None, t: float) -> None:
        """A recording does not look at the screen."""

    def frame(self, t: float) -> Frame:
        position = (t + self._offset) % self.period
        for start, end, segment in self._timeline:
            if start <= position < end:
                if segment is None:
                    return _idle_frame(round(position * FPS))
                return _frame(segment, min(int((position - start) * FPS), segment.length - 1))
        return _idle_frame(0)


def lazy(step: str) -> str | None:
    """Never responds."""
    return None


def wrong_way(step: str) -> str | None:
    """Turns the other way; blinks when asked."""
    return {"turn_left": "turn_right", "turn_right": "turn_left"}.get(step, step)


class _MediaClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _linear_light(hex_colour: str) -> npt.NDArray[np.float32]:
    """Linear light (0-1 per channel, BGR like the frames) of a '#rrggbb' page colour."""
    rgb = np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)], np.float64) / 255.0
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    return np.asarray(linear[::-1], np.float32)


class Screen:
    """What the capture page shows: during a light step, its colours one after another from the
    moment the page displayed them (None: no overlay, the page's own steady light)."""

    def __init__(self) -> None:
        self._colours: tuple[str, ...] = ()
        self._start = 0.0
        self._seconds = 0.0

    def show(self, colours: tuple[str, ...], seconds: float, start: float) -> None:
        self._colours, self._seconds, self._start = colours, seconds, start

    def light_at(self, t: float) -> str | None:
        if not self._colours or t < self._start:
            return None
        slot = int((t - self._start) / self._seconds)
        return self._colours[slot] if slot < len(self._colours) else None


class LitCamera:
    """A tablet camera filming `actor` with the screen a forearm from the face.

    `tinted=True`: the face is lit by the colour on screen `latency` seconds earlier (display +
    exposure + capture, 80-300 ms, drawn per run), the screen adding `strength` (10-25 % of the
    room's light, drawn per run) to the face and next to nothing to the corners of the frame.
    Always, as a camera does: auto-exposure gain and white balance that drift slowly (+-3 %, per
    channel) and sensor noise. `tinted=False` is a replay or a print: the same camera, but what
    it films does not reflect the screen (the untinted replay)."""

    def __init__(self, actor: Customer | LoopingRecording, rng: random.Random, *, tinted: bool = True) -> None:
        self.actor = actor
        self.screen = Screen()
        self._tinted = tinted
        self._rng = np.random.default_rng(rng.randrange(2**32))
        self.latency = rng.uniform(0.08, 0.3)
        self.strength = rng.uniform(0.10, 0.25)
        self._gains = np.ones(3, np.float32)
        width, height = FRAME_SIZE
        ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
        self._mask = np.exp(-(((xs - width / 2) / 190.0) ** 2 + ((ys - height / 2) / 210.0) ** 2))[..., None]
        self._noise = [self._rng.normal(0.0, 2.0, (height, width, 3)).astype(np.float32) for _ in range(6)]
        self._tints: dict[str, npt.NDArray[np.float32]] = {}

    def see(self, prompt: str | None, t: float) -> None:
        self.actor.see(prompt, t)

    def frame(self, t: float) -> Frame:
        return self.under(self.actor.frame(t), self.screen.light_at(t - self.latency))

    def under(self, frame: Frame, colour: str | None) -> Frame:
        """`frame` as this camera films it with `colour` on the screen (None: the page's own light)."""
        image = frame.astype(np.float32)
        if colour is not None and self._tinted:
            image *= self._tint(colour)
        self._gains = np.clip(self._gains * (1.0 + self._rng.normal(0.0, 0.002, 3)), 0.97, 1.03).astype(np.float32)
        image *= self._gains
        image += self._noise[int(self._rng.integers(len(self._noise)))]
        return np.clip(image, 0, 255).astype(np.uint8)

    def _tint(self, colour: str) -> npt.NDArray[np.float32]:
        """How much brighter each pixel gets under `colour` (camera gamma 1/2.2), once per colour."""
        if colour not in self._tints:
            factor = (1.0 + self.strength * self._mask * _linear_light(colour)) ** (1.0 / 2.2)
            self._tints[colour] = np.asarray(factor, np.float32)
        return self._tints[colour]


Actor = Customer | LoopingRecording | LitCamera


def perform(
    actor: Actor,
    plan: ChallengePlan,
    config: LivenessConfig,
    extractor: LandmarkExtractor,
    *,
    seconds: float = 40.0,
    acknowledge: bool = True,
) -> LivenessSession:
    """Put `actor` in front of a live session (the media clock is the server clock, the page
    shows each prompt as it comes and acknowledges it at once; a light step's colours go on the
    `LitCamera`'s screen then) until the verdict or `seconds`."""
    clock = _MediaClock()
    session = LivenessSession(plan, config, clock=clock, extractor=extractor)
    shown: tuple[int, str] | None = None
    for index in range(int(seconds * FPS)):
        t = index / FPS
        clock.now = t
        update = session.offer(actor.frame(t), t)
        if update is None:
            continue
        prompt = update.prompt if update.phase is Phase.CHALLENGE and update.prompt in PROMPTS else None
        if prompt is not None and shown != (update.step_index, prompt):
            shown = (update.step_index, prompt)
            if isinstance(actor, LitCamera) and update.light:
                actor.screen.show(update.light, update.light_seconds, t)
            if acknowledge:
                session.prompt_shown(update.step_index, at=t)
        actor.see(prompt, t)
        if session.finished:
            break
    return session

"""Customers (and attackers) in front of the camera, assembled from real footage.

ONE implementation, for the engine's unit tests, the capture tests, the browser suite and the load
generator (`bench/load_tablets.py` imports it; it needs only numpy and OpenCV, no Django). A
customer plays ONE clip of the shared test data (one person, so the identity guard sees one face
throughout), cut into segments (`Footage`):

- `DEEP_TURNS` (the default): `liveness_video/antispoofing_real.mov`, a person turning far both
  ways, its face cropped and scaled to the tablet's frame as a customer standing closer would be
  filmed. idle: a still frontal stretch; turn_right: frontal to about +50 degrees and back (the
  clip's own turn, played out and back: the face leaves the frame after it); turn_left: the
  clip's own sweep out to about -47 degrees, then its own return; blink: a closure of both eyes.
  Every turn passes the product's default 25 degrees by 20 or more (bench/actors/README.md says
  why each cut is where it is).
- `SHALLOW_TURNS`: `liveness_video/liveportrait_d3.mp4`, the earlier customer: its turn reaches
  only about 23-25 degrees (so it fails the default threshold: bench/honest_customers.py measures
  it), turn_right is the turn mirrored.

A `Customer` watches the prompt the page shows (`see(prompt, t)`) and starts the matching clip
segment after a human reaction delay (0.3-1.0 s, random); `respond` changes what it does (the
lazy and the wrong-way customers). `LoopingRecording` ignores the prompts and replays a
recording that does every action now and then. Frames are BGR 640x480 (the tablet's size), at
30 fps of media time (a 15 fps clip shows each of its frames twice).
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable, Mapping
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
STEPS = ("blink", "turn_left", "turn_right")
PROMPTS = (*STEPS, "light")
REACTION_SECONDS = (0.3, 1.0)


@dataclass(frozen=True, slots=True)
class Segment:
    """Frames of the clip in playing order (the clip's own frame indices), mirrored or not, cut
    out around `centre` (the clip's pixels) when the footage is cropped: each segment's crop puts
    the face where the idle stretch has it, so a cut between segments does not jump."""

    frames: tuple[int, ...]
    mirrored: bool = False
    centre: tuple[int, int] = (0, 0)

    @classmethod
    def span(cls, start: int, end: int, *, mirrored: bool = False, centre: tuple[int, int] = (0, 0)) -> Segment:
        """Frames [start, end)."""
        return cls(tuple(range(start, end)), mirrored, centre)


@dataclass(frozen=True, slots=True)
class Footage:
    """One clip cut into the customer's idle stretch and one segment per action."""

    clip: str
    idle: Segment
    segments: Mapping[str, Segment]
    crop: tuple[int, int] | None = None
    """Width and height (the clip's pixels, 4:3) cut around each segment's centre and scaled to
    the tablet's frame; None: the whole frame, fitted into the tablet's height."""

    def __hash__(self) -> int:
        return hash(self.clip)


def _out_and_back(frames: tuple[int, ...]) -> tuple[int, ...]:
    """A turn played out to its peak and back the same way (the clip loses the face after it)."""
    return (*frames, *frames[-2::-1])


DEEP_TURNS = Footage(
    clip="liveness_video/antispoofing_real.mov",
    idle=Segment.span(9, 18, centre=(480, 350)),
    segments={
        # The face moves ~85 px across the clip in these 0.4 s: a crop mid-way (527) or one that
        # follows the face made the cut in read as a second closure (too_early); this one leaves
        # a jump of half a face width at the cut out, which aiortc's VP8 once took for identity_jump.
        "blink": Segment.span(77, 83, centre=(500, 350)),
        "turn_right": Segment(_out_and_back((94, *range(99, 109))), centre=(424, 346)),
        "turn_left": Segment((*range(137, 142), *range(174, 179)), centre=(441, 334)),
    },
    crop=(400, 300),
)
SHALLOW_TURNS = Footage(
    clip="liveness_video/liveportrait_d3.mp4",
    idle=Segment.span(328, 339),
    segments={
        "blink": Segment.span(0, 27),
        "turn_left": Segment.span(231, 300),
        "turn_right": Segment.span(231, 300, mirrored=True),
    },
)
FOOTAGES = (DEEP_TURNS, SHALLOW_TURNS)
# What a real encoder carries (aiortc's VP8 in the capture tests, the load generator and the
# deployment check; Chromium's in the browser suite): DEEP_TURNS's small eyes do not survive it.
# Over aiortc 3 of 4 sessions of the load test failed every attempt at 25 degrees; in Chromium the
# README screens passed 1 of 4, 2 of 4 with the face at ~900 kbit/s (blinks at 0.6-0.7 of the open
# level or lost, a "closure" as a turn comes back). So those run SHALLOW_TURNS, which turns only
# ~23 degrees left and ~25 right, at ENCODED_TURN_DEGREES, under the product's 25: the one place
# that setting is made (docs/liveness.md). The margin is thin both ways: d3's blink moves the head
# by up to ~18 degrees (once read as a 20.03-degree turn in CI). The engine tests and
# bench/honest_customers.py run DEEP_TURNS at the product's thresholds.
ENCODED_FOOTAGE = SHALLOW_TURNS
ENCODED_TURN_DEGREES = 20.0
CLIP = DEEP_TURNS.clip


def testdata_dir() -> Path:
    """The shared test data (SHIMING_TESTDATA, else ../shared/testdata from the project)."""
    configured = os.environ.get("SHIMING_TESTDATA")
    return Path(configured) if configured else Path(__file__).resolve().parents[3] / "shared" / "testdata"


@cache
def clip_frames(clip: str, testdata: Path | None = None) -> tuple[tuple[Frame, ...], float]:
    """Every frame of `clip` as decoded, and its frame rate."""
    path = (testdata or testdata_dir()) / clip
    capture = cv2.VideoCapture(str(path))
    fps = capture.get(cv2.CAP_PROP_FPS) or FPS
    frames: list[Frame] = []
    while True:
        ok, image = capture.read()
        if not ok:
            break
        frames.append(np.asarray(image, np.uint8))
    capture.release()
    if not frames:
        raise FileNotFoundError(f"cannot read {path}")
    return tuple(frames), fps


def footage(testdata: Path | None = None, source: Footage = DEEP_TURNS) -> tuple[Frame, ...]:
    """Every frame of the clip as decoded, after rendering every segment for the tablet: call it
    before a camera starts, or its first frames would come late and then in a burst."""
    frames = clip_frames(source.clip, testdata)[0]
    for name in ("idle", *source.segments):
        rendered(source, name)
    return frames


def _tablet_frame(source: Footage, image: Frame, segment: Segment) -> Frame:
    """One frame of the clip as the tablet sends it (640x480)."""
    width, height = FRAME_SIZE
    if source.crop is not None:
        crop_w, crop_h = source.crop
        x, y = segment.centre[0] - crop_w // 2, segment.centre[1] - crop_h // 2
        window = image[y : y + crop_h, x : x + crop_w]
        framed = np.asarray(cv2.resize(window, FRAME_SIZE, interpolation=cv2.INTER_CUBIC), np.uint8)
    else:
        framed = np.full((height, width, 3), 96, dtype=np.uint8)
        left = (width - height) // 2
        framed[:, left : left + height] = cv2.resize(image, (height, height), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(framed[:, ::-1]) if segment.mirrored else framed


@cache
def rendered(source: Footage, name: str) -> tuple[Frame, ...]:
    """A segment ("idle" or an action) at 30 fps of media time, as the tablet sends it."""
    frames, fps = clip_frames(source.clip)
    segment = source.idle if name == "idle" else source.segments[name]
    once = [_tablet_frame(source, frames[index], segment) for index in segment.frames]
    repeat = FPS / fps
    return tuple(once[int(tick / repeat)] for tick in range(round(len(once) * repeat)))


def _idle_frame(source: Footage, tick: int) -> Frame:
    """Forth and back over the idle stretch, so it never cuts."""
    idle = rendered(source, "idle")
    period = 2 * (len(idle) - 1)
    position = tick % period
    return idle[position if position < len(idle) else period - position]


def segment_frames(name: str, source: Footage = DEEP_TURNS) -> list[Frame]:
    """Every frame of one segment in playing order ("idle": one forth-and-back period, to loop),
    for a player outside Python (the browser tests pre-render them; `tests/e2e/customer_camera.py`)."""
    if name == "idle":
        return [_idle_frame(source, tick) for tick in range(2 * (len(rendered(source, "idle")) - 1))]
    return list(rendered(source, name))


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
        source: Footage = DEEP_TURNS,
    ) -> None:
        self._rng = rng
        self.source = source
        self._respond = respond
        self._reaction = reaction
        self._last_prompt: str | None = None
        self._queued: list[tuple[float, str]] = []
        self._playing: tuple[float, tuple[Frame, ...]] | None = None
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
            started, frames = self._playing
            index = round((t - started) * FPS)
            if index < len(frames):
                return frames[index]
            self._playing = None
        if self._queued and self._queued[0][0] <= t:
            _, action = self._queued.pop(0)
            self._playing = (t, rendered(self.source, action))
            self.actions.append((round(t, 3), action))
            return self._playing[1][0]
        return _idle_frame(self.source, round(t * FPS))


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

    def __init__(self, offset: float = 0.0, *, source: Footage = DEEP_TURNS) -> None:
        self._offset = offset
        self.source = source
        # (start, end, the action's frames or None for idle)
        self._timeline: list[tuple[float, float, tuple[Frame, ...] | None]] = []
        clock = 0.0
        for idle, action in self.SCRIPT:
            self._timeline.append((clock, clock + idle, None))
            clock += idle
            frames = rendered(source, action)
            self._timeline.append((clock, clock + len(frames) / FPS, frames))
            clock += len(frames) / FPS
        self.period = clock

    def see(self, prompt: str | None, t: float) -> None:
        """A recording does not look at the screen."""

    def frame(self, t: float) -> Frame:
        position = (t + self._offset) % self.period
        for start, end, frames in self._timeline:
            if start <= position < end:
                if frames is None:
                    return _idle_frame(self.source, round(position * FPS))
                return frames[min(int((position - start) * FPS), len(frames) - 1)]
        return _idle_frame(self.source, 0)


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

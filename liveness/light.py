"""The screen-light challenge: the page lights the face with a server-drawn colour sequence.

For `LightConfig.duration` the page fills the screen with one palette colour after another. A
face a forearm away from the screen is lit by it and the background far behind is not, so the
colour of the skin *relative to the background* follows the sequence, a display→camera latency
later. A print lit by the room, a replayed recording or an injected stream made before the
sequence was drawn does not follow it (`light_mismatch`).

The measure is the chromaticity of log(face / background) per frame (`FrameFeatures.skin` and
`backdrop`): a camera's exposure gain and white balance multiply the whole frame, so they cancel
in the ratio, and removing the channel mean drops the brightness (which the face's distance and
shadows change too). It is correlated with the chromaticity of the colours shown, over the lags
in [lag_min, lag_max]; the step passes when the best lag's correlation and gain both clear their
thresholds (see `LightConfig`).

Photosensitivity (WCAG 2.3.1, three flashes or below): a colour holds at least `colour_seconds`
(>= 1/3 s, so at most three changes a second), the palette has no saturated red and its
colours' relative luminances lie close together (`PALETTE`, checked by `palette_is_safe`).
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

RGB = tuple[int, int, int]

PALETTE: dict[str, RGB] = {
    "white": (222, 222, 212),
    "cyan": (120, 214, 222),
    "green": (128, 212, 128),
    "blue": (128, 150, 236),
    "amber": (236, 184, 96),
}
"""The colours the page may show (sRGB): soft, no saturated red, relative luminances 0.32-0.73."""

MAX_LUMINANCE_SPREAD = 0.5
"""Largest difference of relative luminance between two palette colours (WCAG's 'general flash'
counts 0.1; staying at three changes a second or fewer is what keeps the sequence safe, this
keeps it comfortable)."""


def relative_luminance(colour: RGB) -> float:
    """WCAG relative luminance of an sRGB colour, 0 (black) to 1 (white)."""
    red, green, blue = (_linear(value) for value in colour)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def is_saturated_red(colour: RGB) -> bool:
    """WCAG's saturated red: R / (R + G + B) >= 0.8 (sRGB values)."""
    return colour[0] / max(sum(colour), 1) >= 0.8


def palette_is_safe(palette: dict[str, RGB], colour_seconds: float) -> bool:
    """Three changes a second or fewer, no saturated red, luminances within MAX_LUMINANCE_SPREAD."""
    luminances = [relative_luminance(colour) for colour in palette.values()]
    return (
        colour_seconds >= 1.0 / 3.0
        and not any(is_saturated_red(colour) for colour in palette.values())
        and max(luminances) - min(luminances) <= MAX_LUMINANCE_SPREAD
    )


@dataclass(frozen=True, slots=True)
class LightConfig:
    """The screen-light step. Off by default until it is measured on real tablets.

    The thresholds come from the error targets below on the numeric model of
    tests/liveness/test_light.py, whose signal and noise are those measured through Chromium's
    H.264 (docs/light-step.md): a face that is NOT lit by this sequence (a print, a replay, a
    recording of an earlier light challenge, which is the hardest case: a face lit by another
    random sequence of the palette) must pass at most 1 in 1000 attempts; a screen-lit face with
    the weakest light measured must pass at least 999 in 1000.
    - The weakest light: the model's face lit at 6 % of the room's light, with 0.6 % noise per
      channel, fits a gain of 0.045 at its 0.1th percentile; the weakest light step measured in
      Chromium fitted 0.043, and its residual noise was 0.35-0.85 % per channel.
    - `colour_count` is the fewest colours for which the two targets leave room between them
      (20,000 other-sequence and 5,000 weakest-light runs each): 8 colours, other sequence p99.9
      0.862, weakest light p0.1 0.659; 12: 0.759 / 0.717; 14: 0.727 / 0.735; 16: 0.685 / 0.741;
      18: 0.648 / 0.760.
      A face's correlation is bounded by its noise, not by the count, so only more colours part them.
    - `min_correlation` lies midway in 16's room; `min_gain` is under half the weakest light's
      gain and above an unlit face's best (0.012).
    Arrival jitter 0-80 ms, latency 50-300 ms.
    """

    enabled: bool = False
    """The policy switch as the attempt's plan was drawn: a plan holds one light step only when on."""
    declined: bool = False
    """The customer asked to do without the lights: `no_lights_extra_steps` more actions instead
    (stored with the trace, like the rest of the configuration)."""
    colour_count: int = 16
    colour_seconds: float = 0.35
    """Each colour holds this long (>= 1/3 s: at most three changes a second)."""
    lag_min_seconds: float = 0.0
    lag_max_seconds: float = 0.6
    """The lag searched, bounded: from the page's acknowledged display to the frame that shows
    the change (a screen and camera take an estimated 80-300 ms; the video's network delay
    beyond the acknowledgement's is in it too), with margin."""
    lag_step_seconds: float = 1.0 / 30.0
    min_correlation: float = 0.71
    min_gain: float = 0.02
    """Least fitted change of log(face/background) chromaticity per unit of the colours'
    linear chromaticity."""
    min_frames: int = 40
    """Fewest frames with a face in the best lag's window (about half the window at 15 fps)."""
    no_lights_extra_steps: int = 2
    """Extra actions for a customer who asks to do without the lights."""

    @property
    def duration(self) -> float:
        """How long the page shows the sequence."""
        return self.colour_count * self.colour_seconds

    @property
    def decision_delay(self) -> float:
        """Seconds from the step's shown time to the decision: the sequence and the longest lag."""
        return self.duration + self.lag_max_seconds


def draw_sequence(rng: random.Random, config: LightConfig) -> tuple[str, ...]:
    """`colour_count` palette codes, never the same twice running (each hold is a change)."""
    names = sorted(PALETTE)
    sequence: list[str] = []
    while len(sequence) < config.colour_count:
        choice = rng.choice(names)
        if not sequence or choice != sequence[-1]:
            sequence.append(choice)
    return tuple(sequence)


def colour_hex(code: str) -> str:
    """'#rrggbb' of a palette code, for the page."""
    red, green, blue = PALETTE[code]
    return f"#{red:02x}{green:02x}{blue:02x}"


def reveal(sequence: Sequence[str], config: LightConfig) -> tuple[tuple[str, ...], float]:
    """What the page is told once the light prompt is sent: the colours and how long each holds."""
    return tuple(colour_hex(code) for code in sequence), config.colour_seconds


@dataclass(frozen=True, slots=True)
class LightMatch:
    """The best lag's fit: correlation, gain (see `LightConfig.min_gain`) and frames used."""

    correlation: float
    gain: float
    lag: float
    frames: int

    def passes(self, config: LightConfig) -> bool:
        """Both thresholds cleared, on enough frames."""
        return (
            self.frames >= config.min_frames
            and self.correlation >= config.min_correlation
            and self.gain >= config.min_gain
        )


@dataclass
class LightRecorder:
    """The samples of one light step: media time, server time, and the chromaticity of
    log(skin / backdrop) per frame with a face.

    A frame's time on the server's clock is its media time plus the smallest arrival delay seen
    within `_OFFSET_WINDOW_SECONDS` of it: frames reach the server in bursts (jitter of the
    network and the frame pump) but the camera stamps them evenly, and the least-delayed frame
    nearby bounds the clock offset (nearby, so a sender whose clock drifts is followed)."""

    sequence: tuple[str, ...]
    times: list[float] = field(default_factory=list)
    offsets: list[float] = field(default_factory=list)
    chroma: list[tuple[float, float, float]] = field(default_factory=list)

    def add(self, t: float, received_at: float, skin: Sequence[float], backdrop: Sequence[float]) -> None:
        """One frame's patch means (RGB, 0-255) at media time `t`, which reached the server at
        `received_at`; frames without them are skipped."""
        if len(skin) == 3 and len(backdrop) == 3:
            ratio = [math.log((s + 1.0) / (b + 1.0)) for s, b in zip(skin, backdrop, strict=True)]
            mean = sum(ratio) / 3.0
            self.times.append(t)
            self.offsets.append(received_at - t)
            self.chroma.append((ratio[0] - mean, ratio[1] - mean, ratio[2] - mean))

    def decide(self, shown: float, now: float, config: LightConfig) -> bool | None:
        """None until `decision_delay` after `shown`; then whether the face followed the colours."""
        if now < shown + config.decision_delay:
            return None
        return self.match(shown, config).passes(config)

    def match(self, shown: float, config: LightConfig) -> LightMatch:
        """The best fit over the lag window (the highest correlation)."""
        best = LightMatch(0.0, 0.0, 0.0, 0)
        if not self.times:
            return best
        times = _server_times(np.array(self.times), np.array(self.offsets))
        observed = np.array(self.chroma)
        expected_colours = np.array([_chromaticity(PALETTE[code]) for code in self.sequence])
        steps = round((config.lag_max_seconds - config.lag_min_seconds) / config.lag_step_seconds)
        for index in range(steps + 1):
            lag = config.lag_min_seconds + index * config.lag_step_seconds
            fit = _fit(times - shown - lag, observed, expected_colours, config.colour_seconds)
            if fit is not None and fit[0] > best.correlation:
                best = LightMatch(round(fit[0], 4), round(fit[1], 5), round(lag, 3), fit[2])
        return best


_OFFSET_WINDOW_SECONDS = 1.0


def _server_times(times: npt.NDArray[np.float64], offsets: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Media times on the server's clock: each plus the least arrival delay within the window."""
    near = np.abs(times[:, None] - times[None, :]) <= _OFFSET_WINDOW_SECONDS
    least: npt.NDArray[np.float64] = np.where(near, offsets[None, :], np.inf).min(axis=1)
    return times + least


_SETTLE_SECONDS = 0.05
"""Frames this soon after a change may have been exposed across it (the exposure of one frame at
30 fps, plus the searched lag's own step): left out of the fit."""


def _linear(value: float) -> float:
    channel = value / 255.0
    return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4


def _chromaticity(colour: RGB) -> tuple[float, float, float]:
    """Linear light of the colour with its channel mean removed."""
    linear = [_linear(value) for value in colour]
    mean = sum(linear) / 3.0
    return (linear[0] - mean, linear[1] - mean, linear[2] - mean)


def _fit(
    offsets: npt.NDArray[np.float64],
    observed: npt.NDArray[np.float64],
    colours: npt.NDArray[np.float64],
    colour_seconds: float,
) -> tuple[float, float, int] | None:
    """Pearson correlation and regression gain of the observed chromaticity against the colour
    on screen `offsets` seconds into the sequence (frames outside it are left out)."""
    slots = np.floor(offsets / colour_seconds).astype(int)
    into = offsets - slots * colour_seconds
    inside = (offsets >= 0) & (slots < len(colours)) & (into >= _SETTLE_SECONDS)
    count = int(inside.sum())
    if count < 3:
        return None
    seen = observed[inside] - observed[inside].mean(axis=0)
    shown = colours[slots[inside]]
    shown = shown - shown.mean(axis=0)
    energy = float((shown * shown).sum())
    spread = float(np.sqrt((seen * seen).sum() * energy))
    if energy <= 0 or spread <= 0:
        return None
    product = float((seen * shown).sum())
    return product / spread, product / energy, count

"""Does the screen-light step survive the video codec? The screen-lit customer and the untinted
replay of bench/actors/customer.py (`LitCamera`), each attempt a light-only plan with a fresh random
sequence, judged by the product's engine on frames that went through aiortc's own encoder and
decoder (the path a tablet's video takes to the server) at each bitrate, and with no codec (the
bare peer: what tests/liveness/test_light.py measures).

    .venv/bin/python bench/light_codec.py [--runs 10] [--bitrates 500000,1000000,2500000] [--codecs VP8,H264]

The face mesh is measured once on the untinted frames (the tint moves colours by a few per cent,
not landmarks); each run measures the colour patches again on its own decoded frames, at the
analysis budget, as the server does. Prints, per codec and bitrate: how many tinted runs passed,
how many untinted replays passed, and the median best-lag correlation of the tinted runs against
the threshold.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

SECONDS = 8.0


def through(codec_name: str | None, frames: Sequence[Any], fps: float, bitrate: int) -> list[Any]:
    """`frames` as the server decodes them after aiortc's encoder at `bitrate` (None: untouched)."""
    if codec_name is None:
        return list(frames)
    from aiortc.codecs import get_decoder
    from aiortc.jitterbuffer import JitterFrame
    from aiortc.rtcrtpparameters import RTCRtpCodecParameters

    from bench.codecs import VIDEO_CLOCK_RATE, encode

    decoder = get_decoder(
        RTCRtpCodecParameters(mimeType=f"video/{codec_name}", clockRate=VIDEO_CLOCK_RATE, payloadType=96)
    )
    decoded: list[Any] = []
    for index, data in enumerate(encode(codec_name, frames, fps, bitrate)):
        out = decoder.decode(JitterFrame(data, round(index * VIDEO_CLOCK_RATE / fps)))
        decoded.append(out[-1].to_ndarray(format="bgr24") if out else decoded[-1])  # type: ignore[attr-defined]
    return decoded


def one_run(
    rng: random.Random, features: list[Any], codec_name: str | None, bitrate: int, *, tinted: bool
) -> tuple[bool, float]:
    """One attempt: (passed, best-lag correlation)."""
    import cv2
    import numpy as np

    from bench.actors.customer import FPS, Customer, LitCamera
    from bench.actors.light import LIGHT, LIGHT_FOOTAGE, LIGHT_ONLY, LIGHT_ONLY_CONFIG
    from liveness import ChallengeEngine
    from liveness.extractor import skin_and_backdrop
    from liveness.light import LightRecorder, draw_sequence

    camera = LitCamera(Customer(rng, source=LIGHT_FOOTAGE), rng, tinted=tinted)
    plan = LIGHT_ONLY.with_gaps((round(rng.uniform(0.5, 1.5), 3),)).with_light(draw_sequence(rng, LIGHT))
    probe = ChallengeEngine(plan, LIGHT_ONLY_CONFIG)  # when the page shows the colours
    shown_at, seconds = 0.0, 0.0
    colours: tuple[str, ...] = ()
    for frame in features:
        update = probe.process(frame, frame.t)
        if update.light:
            shown_at, colours, seconds = frame.t, update.light, update.light_seconds
            break
    camera.screen.show(colours, seconds, shown_at)
    frames = through(codec_name, [camera.frame(index / FPS) for index in range(int(SECONDS * FPS))], FPS, bitrate)
    engine, recorder, acknowledged = ChallengeEngine(plan, LIGHT_ONLY_CONFIG), LightRecorder(plan.light), False
    for frame in features:
        rgb = np.asarray(cv2.cvtColor(frames[round(frame.t * FPS)], cv2.COLOR_BGR2RGB), np.uint8)
        skin, backdrop = skin_and_backdrop(rgb, frame.anchors, frame.face_width)
        recorder.add(frame.t, frame.t, skin, backdrop)
        update = engine.process(dataclasses.replace(frame, skin=skin, backdrop=backdrop), frame.t)
        if update.light and not acknowledged:
            acknowledged = True
            engine.prompt_shown(update.step_index, frame.t)
        if engine.verdict is not None:
            break
    return engine.finish().passed, recorder.match(shown_at, LIGHT).correlation


def _bitrates(text: str) -> list[int]:
    try:
        rates = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of whole bit rates: {text!r}") from None
    if any(rate < 100_000 or rate > 10_000_000 for rate in rates):
        raise argparse.ArgumentTypeError("each bit rate between 100000 and 10000000 bit/s")
    return rates


def _codecs(text: str) -> list[str]:
    names = [part.strip().upper() for part in text.split(",")]
    unknown = [name for name in names if name not in {"VP8", "H264"}]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown codec {', '.join(unknown)}: VP8 or H264")
    return names


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--bitrates", type=_bitrates, default="500000,1000000,2500000", help="bit/s, comma-separated")
    parser.add_argument("--codecs", type=_codecs, default="VP8,H264", help="VP8 and/or H264, comma-separated")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    from bench.actors.customer import FPS, Customer, LitCamera, testdata_dir
    from bench.actors.light import LIGHT, LIGHT_CONFIG, LIGHT_FOOTAGE, extracted
    from liveness.extractor import LandmarkExtractor

    clip = testdata_dir() / LIGHT_FOOTAGE.clip
    if not clip.is_file():
        raise SystemExit(f"the customer's footage is not at {clip} (set SHIMING_TESTDATA)")

    seed_rng = random.Random(9)
    untinted = LitCamera(Customer(seed_rng, source=LIGHT_FOOTAGE), seed_rng, tinted=False)
    with LandmarkExtractor(LIGHT_CONFIG) as extractor:
        features = extracted([untinted.frame(index / FPS) for index in range(int(SECONDS * FPS))], extractor)
    print(f"{args.runs} runs each, light-only plans, threshold correlation {LIGHT.min_correlation}")
    settings: list[tuple[str | None, int]] = [(None, 0)]
    settings += [(name, rate) for name in args.codecs for rate in args.bitrates]
    for codec_name, bitrate in settings:
        rng = random.Random(7)
        lit = [one_run(rng, features, codec_name, bitrate, tinted=True) for _ in range(args.runs)]
        replays = [one_run(rng, features, codec_name, bitrate, tinted=False) for _ in range(args.runs)]
        label = "no codec" if codec_name is None else f"{codec_name} {bitrate / 1000:.0f} kbit/s"
        median = statistics.median(correlation for _, correlation in lit)
        print(
            f"{label:18} screen-lit passed {sum(p for p, _ in lit):2d}/{args.runs}"
            f" (median correlation {median:.3f})  untinted replay passed {sum(p for p, _ in replays)}/{args.runs}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

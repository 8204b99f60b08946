"""Does the screen-light step survive the video codec? The screen-lit customer and the untinted
replay of tests/actors/customer.py (`LitCamera`), each attempt a light-only plan with a fresh random
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
import fractions
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

VIDEO_CLOCK_RATE = 90000
SECONDS = 8.0


def through(codec_name: str | None, frames: Sequence[Any], fps: float, bitrate: int) -> list[Any]:
    """`frames` as the server decodes them after aiortc's encoder at `bitrate` (None: untouched)."""
    if codec_name is None:
        return list(frames)
    from aiortc.codecs import depayload, get_decoder, get_encoder
    from aiortc.jitterbuffer import JitterFrame
    from aiortc.rtcrtpparameters import RTCRtpCodecParameters
    from av import VideoFrame

    codec = RTCRtpCodecParameters(mimeType=f"video/{codec_name}", clockRate=VIDEO_CLOCK_RATE, payloadType=96)
    encoder, decoder = get_encoder(codec), get_decoder(codec)
    encoder.target_bitrate = bitrate  # type: ignore[attr-defined]
    decoded: list[Any] = []
    for index, image in enumerate(frames):
        frame = VideoFrame.from_ndarray(image, format="bgr24")
        frame.pts = int(index * VIDEO_CLOCK_RATE / fps)
        frame.time_base = fractions.Fraction(1, VIDEO_CLOCK_RATE)
        payloads, timestamp = encoder.encode(frame, force_keyframe=index == 0)
        data = b"".join(depayload(codec, payload) for payload in payloads)
        out = decoder.decode(JitterFrame(data, timestamp))
        decoded.append(out[-1].to_ndarray(format="bgr24") if out else decoded[-1])  # type: ignore[attr-defined]
    return decoded


def one_run(
    rng: random.Random, features: list[Any], codec_name: str | None, bitrate: int, *, tinted: bool
) -> tuple[bool, float]:
    """One attempt: (passed, best-lag correlation)."""
    import cv2
    import numpy as np

    from liveness import ChallengeEngine
    from liveness.extractor import skin_and_backdrop
    from liveness.light import LightRecorder, draw_sequence
    from tests.actors.customer import FPS, Customer, LitCamera
    from tests.liveness.test_light import LIGHT, LIGHT_ONLY, LIGHT_ONLY_CONFIG

    camera = LitCamera(Customer(rng), rng, tinted=tinted)
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


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--bitrates", default="500000,1000000,2500000")
    parser.add_argument("--codecs", default="VP8,H264")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    os.environ.setdefault("SHIMING_TESTDATA", str(PROJECT_ROOT.parent / "shared" / "testdata"))
    from liveness.extractor import LandmarkExtractor
    from tests.actors.customer import FPS, Customer, LitCamera
    from tests.liveness.test_light import LIGHT, LIGHT_CONFIG, extracted

    seed_rng = random.Random(9)
    untinted = LitCamera(Customer(seed_rng), seed_rng, tinted=False)
    with LandmarkExtractor(LIGHT_CONFIG) as extractor:
        features = extracted([untinted.frame(index / FPS) for index in range(int(SECONDS * FPS))], extractor)
    print(f"{args.runs} runs each, light-only plans, threshold correlation {LIGHT.min_correlation}")
    settings: list[tuple[str | None, int]] = [(None, 0)]
    settings += [(name, int(rate)) for name in args.codecs.split(",") for rate in args.bitrates.split(",")]
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

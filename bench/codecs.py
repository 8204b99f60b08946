"""What one received frame costs the web process, by codec: aiortc's own VP8 and H.264 decoders on
the customer's footage (bench/actors/customer.py, 640x480), encoded by aiortc's own encoders at
the page's bitrate cap and frame rate, then the one conversion the analysis takes (RGB, 640 wide).

    .venv/bin/python bench/codecs.py [--frames 150] [--bitrate 1000000] [--fps 15]

Decode: CPU time of the whole process (`time.process_time`) around each call, because FFmpeg's
H.264 decoder also works in threads of its own (VP8's does little there): timed in the calling
thread only, H.264 looked half as costly as VP8, and on the process's CPU it is not
(docs/capacity.md). Conversion: this thread's CPU time (`time.thread_time`). Other load on the
machine inflates the figures little. Prints, per codec: encoded kbit/s, decode ms per frame (mean,
p50, p95) and the RGB conversion.
"""

from __future__ import annotations

import argparse
import fractions
import os
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

VIDEO_CLOCK_RATE = 90000


def customer_frames(count: int, fps: float) -> list[Any]:
    """`count` frames of the customer doing every step once, at `fps` of media time."""
    from bench.actors.customer import FPS, segment_frames

    played = [*segment_frames("idle"), *segment_frames("blink"), *segment_frames("turn_left")]
    played += segment_frames("turn_right")
    step = FPS / fps
    return [played[int(index * step) % len(played)] for index in range(count)]


def encode(codec_name: str, frames: Sequence[Any], fps: float, bitrate: int) -> list[bytes]:
    """Each frame as the bitstream the receiver decodes (RTP payloads depayloaded and joined)."""
    from aiortc.codecs import depayload, get_encoder
    from aiortc.rtcrtpparameters import RTCRtpCodecParameters
    from av import VideoFrame

    codec = RTCRtpCodecParameters(mimeType=f"video/{codec_name}", clockRate=VIDEO_CLOCK_RATE, payloadType=96)
    encoder = get_encoder(codec)
    encoder.target_bitrate = bitrate  # type: ignore[attr-defined]
    encoded = []
    for index, image in enumerate(frames):
        frame = VideoFrame.from_ndarray(image, format="bgr24")
        frame.pts = int(index * VIDEO_CLOCK_RATE / fps)
        frame.time_base = fractions.Fraction(1, VIDEO_CLOCK_RATE)
        payloads, _ = encoder.encode(frame, force_keyframe=index == 0)
        encoded.append(b"".join(depayload(codec, payload) for payload in payloads))
    return encoded


def decode(codec_name: str, bitstream: Sequence[bytes]) -> tuple[list[float], list[float]]:
    """Decode ms and RGB-conversion ms per frame."""
    import django
    from aiortc.codecs import get_decoder
    from aiortc.jitterbuffer import JitterFrame
    from aiortc.rtcrtpparameters import RTCRtpCodecParameters

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    django.setup()
    from capture.webrtc.frames import analysis_pixels  # the pump's own conversion

    codec = RTCRtpCodecParameters(mimeType=f"video/{codec_name}", clockRate=VIDEO_CLOCK_RATE, payloadType=96)
    decoder = get_decoder(codec)
    decode_ms, convert_ms = [], []
    for index, data in enumerate(bitstream):
        began = time.process_time()  # the decoder's own threads included
        frames = decoder.decode(JitterFrame(data, index * 6000))
        decode_ms.append((time.process_time() - began) * 1000)
        for frame in frames:
            began = time.thread_time()
            analysis_pixels(frame)  # type: ignore[arg-type]
            convert_ms.append((time.thread_time() - began) * 1000)
    return decode_ms, convert_ms


def summary(values: Sequence[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return f"mean {statistics.fmean(values):5.2f}  p50 {statistics.median(values):5.2f}  p95 {p95:5.2f}"


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=150)
    parser.add_argument("--bitrate", type=int, default=1_000_000)
    parser.add_argument("--fps", type=float, default=15.0)
    args = parser.parse_args(argv)
    frames = customer_frames(args.frames, args.fps)
    height, width = frames[0].shape[:2]
    print(f"{len(frames)} frames {width}x{height} at {args.fps:g} fps, target {args.bitrate / 1000:.0f} kbit/s")
    for codec_name in ("VP8", "H264"):
        bitstream = encode(codec_name, frames, args.fps, args.bitrate)
        kbps = sum(map(len, bitstream)) * 8 * args.fps / len(bitstream) / 1000
        decode_ms, convert_ms = decode(codec_name, bitstream)
        print(f"{codec_name:5} {kbps:6.0f} kbit/s  decode ms/frame: {summary(decode_ms)}")
        print(f"{'':5} {'':13} to RGB ms/frame: {summary(convert_ms)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

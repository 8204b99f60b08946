"""The face track's bitrate (`SHIMING_FACE_VIDEO_KBPS`), asked of the tablet's browser in the answer.

A browser starts a new video track at about 300 kbit/s and raises it only as its bandwidth estimate
grows (aiortc's receiver estimate rises a few per cent a second): a 15-second check never leaves
that start. At 250-400 kbit/s a 640x480 VP8 face is coded at a mean QP of ~70 of 127, and a
customer with small eyes blinks at 0.6-0.7 of their open level instead of 0.47 and "closes" their
eyes when the head comes back from a turn (measured in Chromium: docs/liveness.md, "The codec").
Chromium takes its start, floor and ceiling from the answer's `x-google-*-bitrate` format
parameters (kbit/s); other browsers ignore them and keep the page's own `maxBitrate` ceiling (the
same setting, passed to the page). The start is the ceiling: the check is over before a ramp
would be. The floor, half of it, keeps the estimate above what blurred the eyes (250-400 kbit/s)
while leaving a congested outlet link room to back off.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

VIDEO_CODECS = ("VP8", "VP9", "H264", "AV1")
"""Codecs that carry the picture (retransmission, RED and FEC payloads get no bitrate)."""


@dataclass(frozen=True)
class VideoBitrate:
    """kbit/s: where the browser starts, the floor its estimate may not go under, the ceiling."""

    start: int
    floor: int
    ceiling: int

    def fmtp(self) -> str:
        return (
            f"x-google-start-bitrate={self.start};x-google-min-bitrate={self.floor};x-google-max-bitrate={self.ceiling}"
        )


def face_video_bitrate(kbps: int) -> VideoBitrate:
    """The face track's bitrate for a ceiling of `kbps` (`SHIMING_FACE_VIDEO_KBPS`)."""
    return VideoBitrate(start=kbps, floor=kbps // 2, ceiling=kbps)


def with_bitrate(sdp: str, bitrate: VideoBitrate) -> str:
    """The answer with `bitrate` on each picture codec of its video sections."""
    lines = sdp.splitlines()
    codecs: dict[str, str] = {}
    for line in lines:
        found = re.match(r"a=rtpmap:(\d+) ([^/]+)/", line)
        if found:
            codecs[found.group(1)] = found.group(2).upper()
    picture = {pt for pt, name in codecs.items() if name in VIDEO_CODECS}
    with_fmtp = {line.split()[0][len("a=fmtp:") :] for line in lines if line.startswith("a=fmtp:")}
    out: list[str] = []
    for line in lines:
        found = re.match(r"a=(rtpmap|fmtp):(\d+)[ ]", line)
        if found and found.group(2) in picture:
            if found.group(1) == "fmtp":
                line = f"{line};{bitrate.fmtp()}"
            elif found.group(2) not in with_fmtp:
                out.append(line)
                line = f"a=fmtp:{found.group(2)} {bitrate.fmtp()}"
        out.append(line)
    return "\r\n".join(out) + "\r\n"

"""The tablet's camera: the prompt-following customer of bench/actors as a video track at the
engine's frame budget, offered and encoded as the page does."""

from __future__ import annotations

import asyncio
import fractions
import time
from pathlib import Path
from typing import Any

# The engine's frame budget (SHIMING_LIVENESS_FPS): the page asks the camera and the encoder for
# no more (capture.js), so a tablet sends this many frames a second.
TABLET_FPS = 15.0
VIDEO_CLOCK_RATE = 90000
PAGE_MAX_BITRATE = 1_000_000  # SHIMING_FACE_VIDEO_KBPS's default, which the page sets as its encoder ceiling


def cap_tablet_bitrate(bitrate: int = PAGE_MAX_BITRATE) -> None:
    """Give aiortc's encoders the page's ceiling (VP8, and H.264 for attempts with a light step
    or with `--codec H264`). aiortc has no `RTCRtpSender.setParameters`; its encoders follow the
    receiver's bandwidth estimate up to a module constant (VP8 1.5, H.264 3 Mbit/s as shipped),
    read on every change, so setting them here limits this process's tablets only."""
    from aiortc.codecs import h264, vpx

    vpx.MAX_BITRATE = bitrate
    h264.MAX_BITRATE = bitrate


def offer_only(pc: Any, sender: Any, codec: str) -> None:
    """Offer only `codec` (and its retransmission) on `sender`'s transceiver; empty: all."""
    if not codec:
        return
    from aiortc import RTCRtpSender

    capabilities = RTCRtpSender.getCapabilities("video").codecs
    wanted = [item for item in capabilities if item.mimeType.lower() in {f"video/{codec.lower()}", "video/rtx"}]
    next(item for item in pc.getTransceivers() if item.sender is sender).setCodecPreferences(wanted)


def customer_track(customer: Any, fps: float) -> Any:
    """A camera track that shows `customer` at `fps` frames a second of media time (what the page
    asks the camera and the encoder for: the engine's budget), and counts what it sent."""
    from aiortc import VideoStreamTrack
    from av import VideoFrame

    class CustomerTrack(VideoStreamTrack):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.sent = 0
            self._began: float | None = None

        @property
        def media_time(self) -> float:
            """Media seconds of the frame last sent: the customer's clock."""
            return max(self.sent - 1, 0) / fps

        async def recv(self) -> VideoFrame:
            if self._began is None:
                self._began = time.monotonic()
            await asyncio.sleep(max(0.0, self._began + self.sent / fps - time.monotonic()))
            frame = VideoFrame.from_ndarray(customer.frame(self.sent / fps), format="bgr24")
            frame.pts = int(self.sent * VIDEO_CLOCK_RATE / fps)
            frame.time_base = fractions.Fraction(1, VIDEO_CLOCK_RATE)
            self.sent += 1
            return frame

    return CustomerTrack()


def make_document_card(folder: Path) -> bytes:
    """An ID card with a frontal frame of the customer's footage as its portrait (the e2e suite's
    own helpers and frame, `same_person_card`)."""
    import cv2

    from bench.actors.card import document_card
    from bench.actors.customer import ENCODED_FOOTAGE, segment_frames

    frame = folder / "customer_frame.png"
    cv2.imwrite(str(frame), segment_frames("idle", ENCODED_FOOTAGE)[0])
    return document_card(frame, folder / "card.jpg").read_bytes()

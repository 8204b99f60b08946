"""Chromium's first video frames as the server receives them: the gap between the first two media
stamps (what the injection guard reads), against when the page opened the camera, made its offer
and when Chromium's encoder produced its first two frames.

    .venv/bin/python bench/first_frame_chromium.py [--codec H264] [--wait 2 8] [--kbps 0 1000]
                                                   [--camera noise face] [--runs 1]

Chromium with its file-fed fake camera (a grey wall with strong sensor noise, as the e2e no-face test
films, or a face clip of the shared test data), a page that opens the camera, waits `--wait` seconds
(the customer reading the screen before tapping Start) and offers; aiortc answers with `--codec`
first and, with `--kbps`, the product's start bitrate in the answer (0: the browser's own start).
The page polls its sender's statistics for when each frame was encoded. One line per run. Needs
Chromium and ffmpeg. Not a test (docs/light-step.md, "The early first frame").
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from aiortc import RTCPeerConnection, RTCRtpReceiver, RTCSessionDescription  # noqa: E402
from playwright.async_api import async_playwright  # noqa: E402

from capture.webrtc.bitrate import face_video_bitrate, with_bitrate  # noqa: E402

ORIGIN = "http://localhost:18399/"  # answered by a Playwright route: a secure context, no server
CAMERAS = {
    "noise": ["-f", "lavfi", "-i", "color=c=0x777777:s=640x480:r=30:d=4,noise=alls=30:allf=t"],
    "face": ["-i", "{testdata}/liveness_video/liveportrait_d12.mp4", "-vf", "scale=-2:480,pad=640:480:-1:0"],
}
PAGE = """<!doctype html><video id=v autoplay muted></video><script>
const CEILING_KBPS = 1000;  // SHIMING_FACE_VIDEO_KBPS's default
const T = (window.T = {events: {}, encoded: []});
async function openCamera() {
  T.stream = await navigator.mediaDevices.getUserMedia({video: {width: 640, height: 480, frameRate: 15}});
  T.events.camera = Date.now();
  document.getElementById("v").srcObject = T.stream;
}
async function offer() {
  const pc = (T.pc = new RTCPeerConnection());
  const sender = pc.addTrack(T.stream.getVideoTracks()[0], T.stream);
  const limits = sender.getParameters();  // as camera.js limitFaceSender: 15 fps, the product's ceiling
  limits.encodings[0].maxFramerate = 15;
  limits.encodings[0].maxBitrate = CEILING_KBPS * 1000;
  await sender.setParameters(limits);
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((done) => { setTimeout(done, 3000);
    pc.onicegatheringstatechange = () => pc.iceGatheringState === "complete" && done(); });
  T.events.offer = Date.now();
  const poll = setInterval(async () => {
    (await sender.getStats()).forEach((s) => {
      if (s.type === "outbound-rtp" && s.framesEncoded > T.encoded.length) T.encoded.push(Date.now());
    });
    if (T.encoded.length >= 3) clearInterval(poll);
  }, 10);
  return pc.localDescription.sdp;
}
</script>"""


def camera_file(name: str, folder: Path, testdata: str) -> Path:
    out = folder / f"{name}.y4m"
    source = [part.replace("{testdata}", testdata) for part in CAMERAS[name]]
    command = ["ffmpeg", "-y", "-v", "error", *source, "-t", "4", "-r", "30", "-pix_fmt", "yuv420p", str(out)]
    subprocess.run(command, check=True)
    return out


async def first_frames(track: asyncio.Future[Any], count: int) -> list[tuple[float, float]]:
    """(received at, media time) of the first `count` frames of the remote video `track`."""
    remote = await asyncio.wait_for(track, 30)
    frames: list[tuple[float, float]] = []
    while len(frames) < count:
        frame = await asyncio.wait_for(remote.recv(), 30)
        frames.append((time.time(), float(frame.time or 0.0)))
    return frames


async def one_run(browser: Any, codec: str, wait: float, kbps: int) -> dict[str, float]:
    page = await browser.new_page()
    await page.route(f"{ORIGIN}**", lambda route: route.fulfill(status=200, content_type="text/html", body=PAGE))
    await page.goto(ORIGIN)
    await page.evaluate("openCamera()")
    await asyncio.sleep(wait)
    pc = RTCPeerConnection()
    track: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    pc.on("track", track.set_result)  # during setRemoteDescription
    capabilities = RTCRtpReceiver.getCapabilities("video")
    codecs = sorted(capabilities.codecs if capabilities else [], key=lambda c: c.mimeType != f"video/{codec}")
    pc.addTransceiver("video", direction="recvonly").setCodecPreferences(codecs)
    await pc.setRemoteDescription(RTCSessionDescription(sdp=await page.evaluate("offer()"), type="offer"))
    await pc.setLocalDescription(await pc.createAnswer())
    answer = pc.localDescription.sdp
    answer = with_bitrate(answer, face_video_bitrate(kbps)) if kbps else answer
    frames = asyncio.ensure_future(first_frames(track, 2))
    await page.evaluate("(sdp) => T.pc.setRemoteDescription({type: 'answer', sdp})", answer)
    (received0, time0), (received1, time1) = await frames
    await asyncio.sleep(0.5)
    state = await page.evaluate("({events: T.events, encoded: T.encoded})")
    await pc.close()
    await page.close()
    offer_at = state["events"]["offer"] / 1000
    encoded = [at / 1000 - offer_at for at in state["encoded"]]
    return {
        "camera_to_offer": offer_at - state["events"]["camera"] / 1000,
        "stamp_gap": time1 - time0,
        "received_gap": received1 - received0,
        "encoded_1": encoded[0] if encoded else float("nan"),
        "encoded_2": encoded[1] if len(encoded) > 1 else float("nan"),
    }


def report(codec: str, camera: str, kbps: int, run: dict[str, float]) -> str:
    start = f"{kbps} kbit/s" if kbps else "browser's own"
    return (
        f"{codec} camera={camera} start={start} camera->offer {run['camera_to_offer']:.2f} s: first two stamps"
        f" {run['stamp_gap']:.3f} s apart, received {run['received_gap']:.3f} s apart;"
        f" encoded {run['encoded_1']:+.2f} s and {run['encoded_2']:+.2f} s after the offer"
    )


async def main(args: argparse.Namespace) -> None:
    flags = ["--no-sandbox", "--headless=new", "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]
    with tempfile.TemporaryDirectory() as folder:
        async with async_playwright() as driver:
            for camera in args.camera:
                fake = camera_file(camera, Path(folder), args.testdata)
                browser = await driver.chromium.launch(
                    executable_path=args.chromium, args=[*flags, f"--use-file-for-fake-video-capture={fake}"]
                )
                for wait, kbps, _ in itertools.product(args.wait, args.kbps, range(args.runs)):
                    print(report(args.codec, camera, kbps, await one_run(browser, args.codec, wait, kbps)), flush=True)
                await browser.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--codec", default="H264", choices=["H264", "VP8"])
    parser.add_argument("--wait", type=float, nargs="+", default=[2.0, 8.0], help="seconds from camera to offer")
    parser.add_argument("--kbps", type=int, nargs="+", default=[0, 1000], help="start bitrate in the answer (0: none)")
    parser.add_argument("--camera", nargs="+", default=["noise", "face"], choices=sorted(CAMERAS))
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--testdata", default=os.environ.get("SHIMING_TESTDATA", "../shared/testdata"))
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    arguments = parser.parse_args()
    print(subprocess.run([arguments.chromium, "--version"], capture_output=True, text=True, check=False).stdout.strip())
    asyncio.run(main(arguments))

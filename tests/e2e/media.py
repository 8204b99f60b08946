"""Camera clips for the browser tests, made at test time from the shared test data (read in place;
the outputs go to the test's temporary folder). The document card is bench/actors/card.py."""

from __future__ import annotations

import subprocess
from pathlib import Path

# The clip's face stays whole and undistorted: scaled into 480x480, padded to 640x480.
FIT_640x480 = "scale=480:480:force_original_aspect_ratio=decrease,pad=640:480:(ow-iw)/2:(oh-ih)/2"


def ffmpeg(*arguments: str) -> None:
    subprocess.run(["ffmpeg", "-y", "-v", "error", *arguments], check=True, timeout=120)


def camera_clip(clip: Path, out: Path) -> Path:
    """A .y4m camera for Chromium's fake device (640x480, 30 fps; Chromium loops it)."""
    ffmpeg("-i", str(clip), "-vf", f"{FIT_640x480},format=yuv420p", "-r", "30", str(out))
    return out


def still_frame(clip: Path, at_seconds: float, out: Path) -> Path:
    """One frame of a clip as a PNG (640x480, padded like the camera clip)."""
    ffmpeg("-ss", f"{at_seconds}", "-i", str(clip), "-frames:v", "1", "-vf", FIT_640x480, str(out))
    return out


def still_camera(frame_png: Path, out: Path, seconds: float = 6.0) -> Path:
    """A camera that shows one photo, frame after frame: a held-up print, for the liveness check."""
    ffmpeg("-loop", "1", "-i", str(frame_png), "-t", f"{seconds}", "-r", "30", "-vf", "format=yuv420p", str(out))
    return out

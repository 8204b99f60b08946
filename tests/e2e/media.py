"""Camera clips and document photos for the browser tests, made at test time from the shared
test data (read in place; the outputs go to the test's temporary folder)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

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


# Where document_card prints the portrait: (left, top, right, bottom) in the card's pixels.
CARD_PORTRAIT_BOX = (662, 140, 962, 520)


def document_card(portrait: Path, out: Path, *, crop_to_face: bool = True) -> Path:
    """A resident-ID-like card (ID-1 proportions, GB 16783's front layout): printed-looking data
    lines on the left, the portrait on the right at ``CARD_PORTRAIT_BOX``."""
    photo = Image.open(portrait).convert("RGB")
    if crop_to_face:
        width, height = photo.size
        side = min(width, height) * 0.9  # head and shoulders, as on an ID photo
        left, top = (width - side) / 2, (height - side) / 2 - side * 0.05
        photo = photo.crop((int(left), int(max(top, 0)), int(left + side), int(max(top, 0) + side * 1.2)))
    card = Image.new("RGB", (1012, 638), (226, 236, 244))
    draw = ImageDraw.Draw(card)
    draw.rounded_rectangle((6, 6, 1005, 631), radius=36, outline=(120, 140, 170), width=4)
    draw.rectangle((6, 6, 1005, 90), fill=(40, 90, 150))
    draw.text((40, 35), "SPECIMEN IDENTITY CARD", fill=(255, 255, 255))
    x0, y0, x1, y1 = CARD_PORTRAIT_BOX
    card.paste(photo.resize((x1 - x0, y1 - y0)), (x0, y0))
    fields = ("NAME  WANG XIAOMING", "SEX  M", "BORN  1990 03 07", "ADDRESS  1 SPECIMEN ROAD", "NUMBER  1101011990")
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 30)
    for index, line in enumerate(fields):
        draw.text((40, 150 + index * 70), line, fill=(40, 50, 70), font=font)
    card.save(out, quality=92)
    return out

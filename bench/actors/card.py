"""The customer's identity document as a tablet photographs it: a card made from a portrait."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

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
        draw.text((72, 150 + index * 70), line, fill=(40, 50, 70), font=font)
    card.save(out, quality=92)
    return out

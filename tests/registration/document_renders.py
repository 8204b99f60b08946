"""Document photos rendered for the tests: layouts the shared specimens do not cover (a PRC card with
its portrait on the right, a passport page with an MRZ made by the `mrz` package), and faces that
are not documents (a portrait print)."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

from mrz.generator.td3 import TD3CodeGenerator
from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONTS = Path("/usr/share/fonts/truetype/dejavu")


def _font(size: int, *, mono: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONTS / ("DejaVuSansMono.ttf" if mono else "DejaVuSans.ttf")), size)


def _portrait(face: Path, size: tuple[int, int]) -> Image.Image:
    photo = Image.open(face).convert("RGB")
    width, height = photo.size
    side = min(width, height) * 0.7
    left, top = (width - side) / 2, max(0.0, (height - side) / 2 - side * 0.1)
    return photo.crop((int(left), int(top), int(left + side), int(top + side * 1.25))).resize(size)


def _jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=92)
    return buffer.getvalue()


def td3_mrz(*, surname: str, given_names: str, number: str, birth_date: date, country: str = "CHN") -> str:
    """A passport's two MRZ lines, with ICAO check digits, by the `mrz` package."""
    born = birth_date.strftime("%y%m%d")
    return str(TD3CodeGenerator("P", country, surname, given_names, number, country, born, "M", "320101"))


def passport_page(face: Path, mrz_text: str, *, blur: float = 0.0, portrait_right: bool = False) -> bytes:
    """An ICAO TD3 data page: the portrait on the left, data fields right of it, the MRZ at the bottom."""
    page = Image.new("RGB", (1250, 880), (236, 240, 232))
    draw = ImageDraw.Draw(page)
    portrait_x, fields_x = (890, 60) if portrait_right else (60, 420)
    page.paste(_portrait(face, (300, 380)), (portrait_x, 120))
    labels = ("Surname", "Given names", "Nationality", "Date of birth", "Passport No.", "Date of expiry")
    for index, label in enumerate(labels):
        draw.text((fields_x, 120 + index * 64), label, fill=(90, 90, 110), font=_font(26))
        draw.text((fields_x, 150 + index * 64), "SPECIMEN TEXT", fill=(20, 20, 30), font=_font(26))
    for index, line in enumerate(mrz_text.split("\n")):
        draw.text((40, 700 + index * 60), line, fill=(10, 10, 10), font=_font(36, mono=True))
    if blur:
        page = page.filter(ImageFilter.GaussianBlur(blur))
    return _jpeg(page)


def prc_card(face: Path, *, portrait_left: bool = False) -> bytes:
    """A resident ID card's front (GB 16783 layout): data fields on the left, the portrait on the right."""
    card = Image.new("RGB", (1012, 638), (226, 236, 244))
    draw = ImageDraw.Draw(card)
    draw.rounded_rectangle((6, 6, 1005, 631), radius=36, outline=(120, 140, 170), width=4)
    portrait_x, fields_x = (40, 400) if portrait_left else (660, 40)
    card.paste(_portrait(face, (300, 380)), (portrait_x, 100))
    for index, (label, width) in enumerate((("NAME", 220), ("SEX", 160), ("BORN", 300), ("ADDRESS", 420))):
        y = 100 + index * 80
        draw.text((fields_x, y), label, fill=(80, 90, 110), font=_font(24))
        draw.rectangle((fields_x + 130, y + 6, fields_x + 130 + width, y + 24), fill=(60, 70, 90))
    draw.text((fields_x, 520), "NUMBER 110101199003070000", fill=(30, 30, 40), font=_font(30))
    return _jpeg(card)


def portrait_print(face: Path) -> bytes:
    """An ID-style portrait alone on white paper (a print held up instead of a document)."""
    paper = Image.new("RGB", (700, 800), (250, 250, 250))
    paper.paste(_portrait(face, (420, 520)), (140, 120))
    return _jpeg(paper)

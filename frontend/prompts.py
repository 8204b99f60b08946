"""The prompts the live-check page also speaks, for customers who cannot read the screen well.

Each prompt is the page's own text (the same msgid as in the page's script, so the spoken words
are the shown words in either language); `manage.py prompt_audio` turns each into one audio file
per language with espeak-ng at build time, and the capture page plays the files that exist.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.utils.translation import get_language

# code -> msgid of the djangojs catalogue (frontend/static/frontend/{capture,feedback}.js).
SPOKEN_PROMPTS: dict[str, str] = {
    "look_at_camera": "Look at the camera, face inside the oval",
    "blink": "Blink your eyes",
    "turn_left": "Turn your head to your left, then back",
    "turn_right": "Turn your head to your right, then back",
    "checking": "Done. Checking…",
    "not_passed": "The live check did not pass.",
    "try_again": "You may try again.",
}
# espeak-ng voice per page language.
VOICES: dict[str, str] = {"zh-hans": "cmn", "en": "en"}
AUDIO_DIR = Path(settings.BASE_DIR) / "frontend" / "static" / "frontend" / "audio"
FORMATS = ("opus", "wav")  # opus when ffmpeg made it at build time, the synthesiser's WAV otherwise


def prompt_audio_urls(language: str | None = None) -> dict[str, str]:
    """The static URL of each spoken prompt that was built for `language` (default: the active one)."""
    language = language or get_language() or settings.LANGUAGE_CODE
    urls = {}
    for code in SPOKEN_PROMPTS:
        for extension in FORMATS:
            name = f"frontend/audio/{language}/{code}.{extension}"
            if finders.find(name):
                urls[code] = static(name)
                break
    return urls

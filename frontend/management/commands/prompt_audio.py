"""Build the spoken prompts: one audio file per prompt and language, offline, with espeak-ng.

`make audio` runs this; its Opus output (about 130 KB for both languages) is committed, so a
checkout speaks without espeak-ng. Without ffmpeg the files are espeak-ng's WAV (about 2 MB, for a
local try only); without espeak-ng nothing is built (one line says so).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation.trans_real import DjangoTranslation

from frontend.prompts import AUDIO_DIR, FORMATS, SPOKEN_PROMPTS, VOICES


class Command(BaseCommand):
    help = "Synthesise the live-check prompts in every page language (espeak-ng, ffmpeg when present)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", type=Path, default=AUDIO_DIR, help="folder of the audio files")

    def handle(self, *args: Any, **options: Any) -> None:
        espeak = shutil.which("espeak-ng")
        if espeak is None:
            self.stdout.write("espeak-ng is not installed: the live-check prompts are shown but not spoken.")
            return
        ffmpeg = shutil.which("ffmpeg")
        out: Path = options["out"]
        total = 0
        for language, voice in VOICES.items():
            catalogue = DjangoTranslation(language, domain="djangojs")
            folder = out / language
            folder.mkdir(parents=True, exist_ok=True)
            for code, msgid in SPOKEN_PROMPTS.items():
                text = catalogue.gettext(msgid).rstrip("…").rstrip(".")
                target = synthesise(espeak, ffmpeg, voice, text, folder / code)
                total += target.stat().st_size
        kind = FORMATS[0] if ffmpeg else FORMATS[1]
        count = len(VOICES) * len(SPOKEN_PROMPTS)
        self.stdout.write(f"{count} spoken prompts ({kind}, {total // 1024} KB) in {out}")


def synthesise(espeak: str, ffmpeg: str | None, voice: str, text: str, stem: Path) -> Path:
    """`stem`.opus (or .wav without ffmpeg) saying `text`; the other format's stale file is removed."""
    for extension in FORMATS:
        stem.with_suffix(f".{extension}").unlink(missing_ok=True)
    wav = stem.with_suffix(".wav")
    _run([espeak, "-v", voice, "-s", "150", "-w", str(wav), text])
    if ffmpeg is None:
        return wav
    opus = stem.with_suffix(".opus")
    _run([ffmpeg, "-y", "-v", "error", "-i", str(wav), "-c:a", "libopus", "-b:a", "24k", "-ac", "1", str(opus)])
    wav.unlink()
    return opus


def _run(command: list[str]) -> None:
    subprocess.run(command, check=True, capture_output=True, timeout=60)  # noqa: S603 - our own tools, no shell

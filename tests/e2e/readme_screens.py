"""The README's screens in docs/screenshots/<language>-<width>x<height>/: a test's screens, taken
under artifacts/screenshots/ as every screen is, are copied there with SHIMING_README_SCREENSHOTS=1."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable

from tests.e2e.conftest import Screens
from tests.environment import PROJECT_ROOT

DOCS = PROJECT_ROOT / "docs" / "screenshots"


def wanted() -> bool:
    return os.environ.get("SHIMING_README_SCREENSHOTS") == "1"


def copy_to_docs(screens: Screens, names: Iterable[str], locale: str, viewport: dict[str, int]) -> list[str]:
    """Copy the named screens (a shot "NN-name.png" is the screen "name") and say which were copied."""
    language = locale.split("-")[0]
    target = DOCS / f"{language}-{viewport['width']}x{viewport['height']}"
    target.mkdir(parents=True, exist_ok=True)
    copied = []
    for shot in sorted(screens.folder.glob("*.png")):
        name = shot.stem.split("-", 1)[1]
        if name in set(names):
            shutil.copy(shot, target / f"{name}.png")
            copied.append(name)
    return copied

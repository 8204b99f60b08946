"""`make run`'s one line about the face matcher, and the local settings' choice: the OMZ matcher when
its files are installed, the Dlib matcher (offline, no model step) otherwise."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from django.core.management import call_command

from tests.processes import run_python

OMZ = "registration.face_matching.omz_matcher.OmzMatcher"
DLIB = "registration.face_matching.deepface_matcher.DeepFaceMatcher"


def line(settings: Any, matcher: str, models_dir: str) -> str:
    settings.SHIMING_FACE_MATCHER = matcher
    settings.SHIMING_MODELS_DIR = models_dir
    out = io.StringIO()
    call_command("face_matcher", stdout=out)
    return out.getvalue().strip()


def test_the_line_names_the_matcher_and_how_to_get_the_other(settings: Any, tmp_path: Path) -> None:
    omz = line(settings, OMZ, settings.SHIMING_MODELS_DIR)
    assert omz.startswith("Face matcher: OMZ face-reidentification-retail-0095 (omz-0095; models installed)")
    assert f"SHIMING_FACE_MATCHER={DLIB}" in omz

    missing = line(settings, OMZ, str(tmp_path))
    assert "model files missing" in missing
    assert "make models" in missing

    dlib = line(settings, DLIB, str(tmp_path))
    assert dlib.startswith("Face matcher: Dlib (dlib;")
    assert "make models MODELS_FROM=DIR" in dlib
    assert len(dlib.splitlines()) == 1


def test_local_settings_use_dlib_until_the_models_are_installed(settings: Any, tmp_path: Path) -> None:
    code = "from config.settings import local; print(local.SHIMING_FACE_MATCHER)"
    env = {"DJANGO_SETTINGS_MODULE": "config.settings.local"}

    empty = run_python(code, {**env, "SHIMING_MODELS_DIR": str(tmp_path)}, without=("SHIMING_FACE", "DJANGO_"))
    installed = run_python(
        code, {**env, "SHIMING_MODELS_DIR": settings.SHIMING_MODELS_DIR}, without=("SHIMING_FACE", "DJANGO_")
    )

    assert empty.stdout.strip() == DLIB, empty.stderr
    assert installed.stdout.strip() == OMZ, installed.stderr

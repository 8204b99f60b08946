"""``manage.py face_matcher``: one line saying which face matcher is in use and how to install the other."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from registration.face_matching.base import matcher_class

OMZ = "registration.face_matching.omz_matcher.OmzMatcher"
DLIB = "registration.face_matching.deepface_matcher.DeepFaceMatcher"


def matcher_line() -> str:
    matcher = matcher_class()
    missing = matcher.missing_model_files()
    state = f"model files missing: {len(missing)}, run `make models`" if missing else "models installed"
    if settings.SHIMING_FACE_MATCHER == OMZ:
        other = f"for the Dlib matcher: SHIMING_FACE_MATCHER={DLIB} make run"
    else:
        other = (
            "for the production OMZ matcher: `make models` (or `make models MODELS_FROM=DIR` offline), then make run"
        )
    return f"Face matcher: {matcher.MODEL} ({matcher.KEY}; {state}); {other}"


class Command(BaseCommand):
    help = "Say which face matcher is in use and how to install the other."
    requires_system_checks: list[str] = []

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(matcher_line())

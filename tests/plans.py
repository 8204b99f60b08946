"""The test settings' challenge-plan drawer (config/settings/test.py names it)."""

from __future__ import annotations

from django.conf import settings

from registration.services.registrations import random_challenge_plan


def fixed_or_random_plan(*, previous: list[str] | None, light: bool = False, no_lights: bool = False) -> list[str]:
    """The plan a test fixed in `SHIMING_FIXED_CHALLENGE_PLAN`, else the production random plan."""
    fixed: list[str] = settings.SHIMING_FIXED_CHALLENGE_PLAN
    return list(fixed) if fixed else random_challenge_plan(previous=previous, light=light, no_lights=no_lights)

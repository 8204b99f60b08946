"""Fixtures for the page tests: a signed-in clerk (outlets, staff and sessions come from tests/conftest.py)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client


@pytest.fixture(autouse=True)
def fixed_plan(settings: Any) -> None:
    settings.SHIMING_FIXED_CHALLENGE_PLAN = ["blink", "turn_left", "turn_right"]


@pytest.fixture
def signed_in(clerk: User) -> Client:
    client = Client()
    client.force_login(clerk)
    return client

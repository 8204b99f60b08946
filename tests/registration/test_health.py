"""The health report: the database and Redis each answer or are reported as an error (as data,
never raised), and the embedded mode (in-memory channel layer, tasks in-process) does not ask a
Redis it does not use. The API's status codes for it: tests/registration/test_apis.py."""

from __future__ import annotations

from typing import Any

import pytest

from registration.health import health_report

pytestmark = pytest.mark.django_db

UNREACHABLE = "redis://127.0.0.1:1/0"


def test_every_service_answers() -> None:
    assert health_report() == {"ok": True, "checks": {"database": "ok", "redis": "ok"}}


def test_a_redis_that_does_not_answer_is_reported_not_raised(settings: Any) -> None:
    settings.REDIS_URL = UNREACHABLE

    report = health_report()

    assert report["ok"] is False
    assert report["checks"] == {"database": "ok", "redis": "error: ConnectionError"}


def test_the_embedded_mode_does_not_ask_redis(settings: Any) -> None:
    settings.REDIS_URL = UNREACHABLE
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.CELERY_TASK_ALWAYS_EAGER = True

    assert health_report() == {"ok": True, "checks": {"database": "ok", "redis": "not used (embedded mode)"}}

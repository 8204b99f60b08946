"""Health of the services the product depends on."""

from __future__ import annotations

from typing import Any

import redis
from django.conf import settings
from django.db import connection


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _check_redis() -> str:
    layer_backend = settings.CHANNEL_LAYERS["default"]["BACKEND"]
    if "InMemory" in layer_backend and settings.CELERY_TASK_ALWAYS_EAGER:
        return "not used (embedded mode)"
    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    finally:
        client.close()
    return "ok"


def health_report() -> dict[str, Any]:
    checks: dict[str, str] = {}
    for name, check in (("database", _check_database), ("redis", _check_redis)):
        try:
            checks[name] = check()
        except Exception as exc:  # noqa: BLE001 - a health check reports any failure as data
            checks[name] = f"error: {type(exc).__name__}"
    return {"ok": all(not value.startswith("error") for value in checks.values()), "checks": checks}

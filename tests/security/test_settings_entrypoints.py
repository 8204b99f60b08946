"""A server says which settings it runs: importing `config` without DJANGO_SETTINGS_MODULE fails
(config/__init__.py), so daphne and Celery refuse to start rather than fall back to the local
settings (DEBUG, published keys), and every role of docker/entrypoint requires it; only manage.py
keeps the local settings, as a documented convenience for developers.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.environment import PROJECT_ROOT

pytestmark = [pytest.mark.security, pytest.mark.slow]

BIN = Path(sys.executable).parent


def _without_settings() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "SHIMING_"))}
    return {**env, "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}"}


def _run(*command: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run `command` without any settings; one still running after `timeout` started on a default: code -1."""
    try:
        return subprocess.run(
            list(command), cwd=PROJECT_ROOT, env=_without_settings(), capture_output=True, text=True,
            timeout=timeout, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired as running:
        return subprocess.CompletedProcess(list(command), -1, str(running.stdout or ""), str(running.stderr or ""))


@pytest.mark.parametrize(
    ("role", "command"),
    [
        ("ASGI application", [sys.executable, "-c", "import config.asgi"]),
        ("Celery application", [sys.executable, "-c", "import config.celery_app"]),
        ("daphne", [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", "0", "config.asgi:application"]),
        ("celery worker", [str(BIN / "celery"), "-A", "config.celery_app", "report"]),
    ],
)
def test_servers_refuse_to_start_without_their_settings(role: str, command: list[str]) -> None:
    result = _run(*command)
    assert result.returncode != 0, f"{role} started on a default: {result.stdout[-500:]}"
    assert "DJANGO_SETTINGS_MODULE is not set" in result.stderr, result.stderr[-2000:]


@pytest.mark.parametrize("role", ["web", "worker", "beat"])
def test_every_role_of_the_image_entrypoint_needs_them(role: str) -> None:
    result = _run("sh", str(PROJECT_ROOT / "docker" / "entrypoint"), role, timeout=20)
    assert result.returncode != 0
    assert "set DJANGO_SETTINGS_MODULE" in result.stderr
    dockerfile = (PROJECT_ROOT / "docker" / "Dockerfile").read_text()
    assert "DJANGO_SETTINGS_MODULE=config.settings.production" in dockerfile


def test_manage_py_alone_falls_back_to_the_local_settings_for_developers() -> None:
    """The one documented default (manage.py's docstring, README): a developer's command in a checkout."""
    result = _run(
        sys.executable, "manage.py", "shell", "-c", "from django.conf import settings; print(settings.SETTINGS_MODULE)"
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "config.settings.local"

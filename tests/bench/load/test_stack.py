"""The load generator's servers run as the production processes do: the web process with the
allocator docker/entrypoint gives it, every process keeping its database connection as the
production settings do. Otherwise the capacity figures would be another program's."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from bench.load.stack import PRODUCTION_CONN_MAX_AGE, stack_env, web_process_env
from tests.environment import PROJECT_ROOT
from tests.processes import run_python

pytestmark = pytest.mark.slow

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DJANGO_SECRET_KEY": "bench-test",
    "DJANGO_ALLOWED_HOSTS": "bench-test",
    "DATABASE_URL": "sqlite:////tmp/bench-test.sqlite3",
    "REDIS_URL": "redis://127.0.0.1:6379/15",
    "SHIMING_EVIDENCE_KEYS": "b:QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=",
    "SHIMING_ID_HASH_KEY": "bench-test",
}


def test_the_servers_keep_their_database_connection_as_production_does(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:

    code = (
        "import django; django.setup()\n"
        "from django.conf import settings; print(settings.DATABASES['default']['CONN_MAX_AGE'])\n"
    )
    result = run_python(code, PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr

    monkeypatch.delenv("DATABASE_CONN_MAX_AGE", raising=False)
    env = stack_env("postgres://postgres@127.0.0.1:5432/x", "redis://127.0.0.1:6379/5", 3, tmp_path)
    assert result.stdout.strip() == PRODUCTION_CONN_MAX_AGE == env["DATABASE_CONN_MAX_AGE"]


def test_the_web_servers_get_the_allocator_the_entrypoint_gives_production(tmp_path: Path) -> None:
    """docker/entrypoint's web role, run with stand-ins for daphne and python, hands daphne the
    variables the load generator gives its web servers (docker/web.env), and nothing to the workers."""
    given = web_process_env("production")
    stand_in = tmp_path / "bin"
    stand_in.mkdir()
    for name in ("daphne", "celery", "python"):
        path = stand_in / name
        path.write_text("#!/bin/sh\n" + "".join(f'echo "{key}=${key}"\n' for key in given))
        path.chmod(path.stat().st_mode | stat.S_IEXEC)
    clean = {key: value for key, value in os.environ.items() if key not in given}
    env = {**clean, "PATH": f"{stand_in}:/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "x", "SHIMING_MIGRATE": "0"}

    def role(name: str) -> dict[str, str]:
        done = subprocess.run(
            ["sh", "docker/entrypoint", name], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, check=True
        )
        return dict(line.split("=", 1) for line in done.stdout.splitlines())

    assert given["LD_PRELOAD"] == "libjemalloc.so.2"
    assert role("web") == given
    assert role("worker") == dict.fromkeys(given, "")
    assert web_process_env("glibc") == {}

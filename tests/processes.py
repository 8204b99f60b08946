"""Processes the tests start beside the suite: a fresh `python -c`, a real Celery worker, and the
polling that waits for what they do."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.environment import PROJECT_ROOT

# What a fresh process should not inherit from the suite: its Django settings and native log levels.
SUITE_ONLY_VARIABLES = ("DJANGO_", "TF_", "GLOG_")


def run_python(
    code: str,
    env: Mapping[str, str] | None = None,
    *,
    without: tuple[str, ...] = SUITE_ONLY_VARIABLES,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """`python -c code` in a fresh process from the project root: this process's environment less
    the variables whose names start with one of `without`, plus `env`."""
    clean = {key: value for key, value in os.environ.items() if not key.startswith(without)}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT_ROOT,
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def wait_until(predicate: Callable[[], bool], *, timeout: float = 60.0, interval: float = 0.1) -> bool:
    """Poll `predicate` until it is true or `timeout` seconds pass; returns the last answer."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def database_url_for(settings_dict: dict[str, Any]) -> str:
    """The DATABASE_URL that points a subprocess at the database of `settings_dict` (the test database)."""
    user = settings_dict.get("USER") or "postgres"
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{settings_dict['NAME']}"


def flush_test_redis() -> None:
    """Empty the test Redis database (the broker and results of the suite's workers)."""
    import redis
    from django.conf import settings

    client = redis.Redis.from_url(settings.REDIS_URL)
    try:
        client.flushdb()
    finally:
        client.close()


@contextmanager
def running_celery_worker(
    log_path: Path, *, database_url: str, queues: str | None, name: str
) -> Iterator[subprocess.Popen[bytes]]:
    """Start a real Celery worker (prefork, one process) and wait for "ready."; stop it on exit.

    `queues` is the `-Q` argument; None starts the worker without `-Q`, serving every queue.
    """
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url,
        "PYTHONUNBUFFERED": "1",
    }
    command = [sys.executable, "-m", "celery", "-A", "config.celery_app", "worker"]
    if queues is not None:
        command += ["-Q", queues]
    command += [
        "-c",
        "1",
        "--pool",
        "prefork",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "-n",
        f"{name}-{os.getpid()}@%h",
        "--loglevel",
        "INFO",
    ]
    with log_path.open("wb") as log:
        worker = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 180
        while "ready." not in log_path.read_text(errors="replace"):
            if worker.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the Celery worker did not start:\n{log_path.read_text(errors='replace')[-4000:]}")
            time.sleep(0.2)
        yield worker
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()

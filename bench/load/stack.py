"""The stack a load run starts: N Daphne processes and M Celery workers on their own database and
Redis database, with the production processes' allocator and database connections."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.actors.customer import ENCODED_TURN_DEGREES

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# The tablets film bench/actors' ENCODED_FOOTAGE, which turns under the product's 25 degrees: the
# servers under test run at its ENCODED_TURN_DEGREES (bench/actors/customer.py says why).
TURN_DEGREES_FOR_THE_FOOTAGE = f"{ENCODED_TURN_DEGREES:g}"
PRODUCTION_CONN_MAX_AGE = "60"  # config/settings/production.py's default DATABASE_CONN_MAX_AGE
WEB_ENV_FILE = PROJECT_ROOT / "docker" / "web.env"  # what docker/entrypoint gives the web process
ALLOCATORS = ("production", "glibc")
LOAD_DATABASE = "shiming_load"
LOAD_REDIS = "redis://127.0.0.1:6379/5"


@dataclass
class Stack:
    web: list[subprocess.Popen[bytes]] = field(default_factory=list)
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    logs: Path = Path()
    diag_dir: Path = Path()

    def pids(self) -> dict[int, str]:
        return {**{p.pid: "web" for p in self.web}, **{p.pid: "worker" for p in self.workers}}

    def stop(self) -> None:
        for process in [*self.web, *self.workers]:
            if process.poll() is None:
                process.terminate()
        for process in [*self.web, *self.workers]:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def stack_env(database_url: str, redis_url: str, max_captures: int, diag_dir: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SHIMING_LIVENESS_TURN_DEGREES": TURN_DEGREES_FOR_THE_FOOTAGE,  # below the default: see its definition
        "SHIMING_MAX_CAPTURE_SESSIONS": str(max_captures),
        "SHIMING_BENCH_DIAG_DIR": str(diag_dir),
        # One clerk opens every session: the per-clerk and per-outlet limits would be the bottleneck.
        "THROTTLE_SESSION_CREATE": "100000/min",
        "THROTTLE_OUTLET_SESSION_CREATE": "100000/min",
        "THROTTLE_DOCUMENT_UPLOAD": "100000/min",
        "THROTTLE_CAPTURE_ATTEMPT": "100000/min",
        "SHIMING_CAPTURE_ATTEMPTS_PER_MINUTE_CLERK": "100000",
        "SHIMING_CAPTURE_ATTEMPTS_PER_MINUTE_OUTLET": "100000",
        # As the production image (docker/Dockerfile), unless the caller sets it: two allocator arenas.
        "MALLOC_ARENA_MAX": os.environ.get("MALLOC_ARENA_MAX", "2"),
        # As production (config/settings/production.py), unless the caller sets it: a process keeps its
        # database connection. The test settings open one per request, and every one of those forks
        # a PostgreSQL backend on the same cores (tests/bench checks the two values agree).
        "DATABASE_CONN_MAX_AGE": os.environ.get("DATABASE_CONN_MAX_AGE", PRODUCTION_CONN_MAX_AGE),
        "PYTHONUNBUFFERED": "1",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "GLOG_minloglevel": "2",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return env


def web_process_env(allocator: str) -> dict[str, str]:
    """The allocator variables of the web servers: docker/web.env's, as docker/entrypoint gives the
    production web process ("production"), or none ("glibc": the bare peer for the memory figures)."""
    if allocator == "glibc":
        return {}
    values: dict[str, str] = {}
    for line in WEB_ENV_FILE.read_text().splitlines():
        text = line.strip()
        if text and not text.startswith("#"):
            key, _, value = text.partition("=")
            values[key.strip()] = value.strip()
    return values


def require_preloadable(web_extra: dict[str, str]) -> None:
    """Stop with one line when the web servers' preloaded allocator is not installed: the loader
    would only warn and run them on glibc, and the figures would be another allocator's."""
    preload = web_extra.get("LD_PRELOAD", "").strip()
    if not preload:
        return
    probe = "import sys; maps = open('/proc/self/maps').read(); print(all(name in maps for name in sys.argv[1:]))"
    names = [Path(name).name for name in preload.replace(":", " ").split()]
    command = [sys.executable, "-c", probe, *names]
    loaded = subprocess.run(command, env={**os.environ, **web_extra}, capture_output=True, text=True, check=False)
    if loaded.stdout.strip() != "True":
        raise SystemExit(
            f"{WEB_ENV_FILE.relative_to(PROJECT_ROOT)} preloads {preload}, which is not installed here"
            " (Debian: apt-get install libjemalloc2); or measure glibc's malloc with --allocator glibc"
        )


def prepare_database(database_url: str, redis_url: str, env: dict[str, str]) -> None:
    """Create the load database if missing, migrate, seed the demo clerk; empty the load Redis DB."""
    import psycopg
    import redis

    name = urlsplit(database_url).path.lstrip("/")
    admin_url = database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url.replace("postgres://", "postgresql://", 1), autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')  # the name is ours, not user input
    for command in (["migrate", "--noinput", "-v", "0"], ["seed_demo"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=PROJECT_ROOT, env=env, check=True)
    client = redis.Redis.from_url(redis_url)
    try:
        client.flushdb()
    finally:
        client.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(predicate: Any, what: str, process: subprocess.Popen[bytes], log: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"{what} did not start:\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.3)


def start_stack(web: int, workers: int, env: dict[str, str], logs: Path, web_extra: dict[str, str]) -> Stack:
    """`web` Daphne processes (own ports, `web_extra` added to their environment: the allocator) and
    `workers` Celery workers (one prefork process each)."""
    import requests

    web_env = {**env, **web_extra}

    stack = Stack(logs=logs, diag_dir=Path(env["SHIMING_BENCH_DIAG_DIR"]))
    try:
        for number in range(workers):
            log = logs / f"worker{number}.log"
            with log.open("wb") as sink:
                command = [sys.executable, "-m", "celery", "-A", "config.celery_app", "worker", "-Q", "default,face"]
                command += ["-c", "1", "--pool", "prefork", "-n", f"load{number}-{os.getpid()}@%h"]
                command += ["--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "INFO"]
                process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT)
            stack.workers.append(process)
        for number in range(web):
            port, log = free_port(), logs / f"web{number}.log"
            with log.open("wb") as sink:
                command = [sys.executable, "-m", "bench.load", "serve", "--port", str(port)]
                process = subprocess.Popen(
                    command, cwd=PROJECT_ROOT, env=web_env, stdout=sink, stderr=subprocess.STDOUT
                )
            stack.web.append(process)
            stack.urls.append(f"http://127.0.0.1:{port}")
        for process, url in zip(stack.web, stack.urls, strict=True):
            log = logs / f"web{stack.web.index(process)}.log"

            def healthy(url: str = url) -> bool:
                with contextlib.suppress(requests.RequestException):
                    return requests.get(f"{url}/api/health/", timeout=5).status_code == 200
                return False

            wait_for(healthy, f"Daphne at {url}", process, log, 180)
        for number, process in enumerate(stack.workers):
            log = logs / f"worker{number}.log"
            wait_for(lambda log=log: "ready." in log.read_text(errors="replace"), "worker", process, log, 240)
    except BaseException:
        stack.stop()
        raise
    return stack

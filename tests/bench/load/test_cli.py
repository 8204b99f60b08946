"""The load generator refuses a bad leak-hunt setting with one line, before it starts any server."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from bench.load.server import tracemalloc_depth
from bench.load.stack import require_preloadable, web_process_env
from tests.environment import needs_library

SCRIPT = Path(__file__).resolve().parents[3] / "bench" / "load_tablets.py"  # the documented command


@pytest.mark.parametrize(("value", "depth"), [("", 0), ("0", 0), (" 8 ", 8)])
def test_the_tracing_depth_is_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, value: str, depth: int
) -> None:
    monkeypatch.setenv("SHIMING_BENCH_TRACEMALLOC", value)
    assert tracemalloc_depth() == depth


@pytest.mark.parametrize("value", ["eight", "-1", "2.5"])
def test_a_bad_tracing_depth_stops_the_run_with_one_line(value: str) -> None:
    env = {"PATH": "/usr/bin:/bin", "SHIMING_BENCH_TRACEMALLOC": value}
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--layouts", "1x1", "--sessions", "1"],
        env=env,
        cwd=SCRIPT.parents[1],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.strip() == f"SHIMING_BENCH_TRACEMALLOC={value!r}: give a number of frames (0 for no tracing)"
    assert "starting" not in done.stdout  # no server was started


@pytest.mark.slow
def test_a_stopped_run_stops_the_servers_and_workers_it_started(tmp_path: Path) -> None:
    """Killed (SIGTERM) while its stack starts, the generator stops its Daphne and Celery workers
    too: a stopped run's leftover workers once took the next run's tasks."""
    database = "postgres://postgres@127.0.0.1:5432/test_shiming_load_stop"
    command = [sys.executable, str(SCRIPT), "--layouts", "1x1", "--sessions", "1", "--database-url", database]
    command += ["--redis-url", "redis://127.0.0.1:6379/7"]
    run = subprocess.Popen(command, cwd=SCRIPT.parents[1], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert run.stdout is not None
    children: list[psutil.Process] = []
    try:
        for line in run.stdout:
            if "starting 1 Daphne and 1 Celery worker" in line:
                break
        children = wait_for_children(run.pid, 2)
        run.send_signal(signal.SIGTERM)
        run.wait(timeout=60)
        left = [child.pid for child in children if child.is_running() and child.status() != psutil.STATUS_ZOMBIE]
        assert left == [], "the stopped run left its servers or workers running"
    finally:
        if run.poll() is None:
            run.kill()
        for child in children:  # a failed test leaves nothing behind either
            with contextlib.suppress(psutil.NoSuchProcess):
                for process in [*child.children(recursive=True), child]:
                    process.kill()


def wait_for_children(pid: int, count: int, seconds: float = 30.0) -> list[psutil.Process]:
    """The processes `pid` started, once there are `count` (the web server and the worker)."""
    deadline = time.monotonic() + seconds
    children: list[psutil.Process] = []
    while time.monotonic() < deadline:
        children = psutil.Process(pid).children()
        if len(children) >= count:
            return children
        time.sleep(0.2)
    raise AssertionError(f"the generator started {len(children)} of {count} processes")


def test_a_preloaded_allocator_that_is_not_installed_stops_the_run_with_one_line() -> None:
    """The loader only warns about a library it cannot preload and runs the servers on glibc: the
    figures would be another allocator's, so the run stops before any server starts."""
    with pytest.raises(SystemExit) as stopped:
        require_preloadable({"LD_PRELOAD": "libshiming-not-installed.so.1"})

    assert str(stopped.value) == (
        "docker/web.env preloads libshiming-not-installed.so.1, which is not installed here"
        " (Debian: apt-get install libjemalloc2); or measure glibc's malloc with --allocator glibc"
    )


@needs_library("jemalloc", "jemalloc is not installed (Debian: apt-get install libjemalloc2)")
def test_the_production_allocator_is_preloadable_where_it_is_installed() -> None:
    require_preloadable(web_process_env("production"))  # no SystemExit
    require_preloadable(web_process_env("glibc"))

"""The load generator refuses a bad leak-hunt setting with one line, before it starts any server."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bench.load_tablets import tracemalloc_depth

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "load_tablets.py"


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

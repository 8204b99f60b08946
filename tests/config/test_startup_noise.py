"""A quiet terminal for `make run`: the native libraries' log levels are set before they load, a
capture's face mesh builds without native lines, a request is logged once (the filter of the lines
that ignore the log levels: tests/capture/webrtc/test_native_stderr.py)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.environment import PROJECT_ROOT
from tests.processes import run_python

pytestmark = pytest.mark.slow


def test_the_libraries_log_levels_are_set_unless_the_environment_chose() -> None:
    local = "config.settings.local"
    chosen = run_python(
        "import config, os; print(os.environ['TF_CPP_MIN_LOG_LEVEL'])",
        {"TF_CPP_MIN_LOG_LEVEL": "1", "DJANGO_SETTINGS_MODULE": local},
    )
    default = run_python(
        "import config, os; print(os.environ['TF_CPP_MIN_LOG_LEVEL'])", {"DJANGO_SETTINGS_MODULE": local}
    )

    assert (chosen.stdout.strip(), default.stdout.strip()) == ("1", "3")


def test_a_capture_builds_and_resets_its_face_mesh_without_native_lines_and_a_warning_passes() -> None:
    """Each capture takes an extractor from the pool and gives it back reset: mediapipe's TensorFlow
    Lite prints its delegate and feedback-tensor lines whenever a graph starts. None reach the terminal;
    the product's own warning does."""
    code = (
        "import django, logging; django.setup()\n"
        "import numpy as np\n"
        "from capture.webrtc.analysis import EXTRACTORS\n"
        "from registration.liveness_settings import liveness_config\n"
        "config = liveness_config()\n"
        "for _ in range(2):\n"
        "    extractor = EXTRACTORS.acquire(config)\n"
        "    extractor.extract(np.zeros((480, 640, 3), np.uint8), 0.0)\n"
        "    EXTRACTORS.release(config, extractor)\n"
        "import time; time.sleep(1)\n"
        "logging.getLogger('capture').warning('the product warns')\n"
    )
    result = run_python(code, {"DJANGO_SETTINGS_MODULE": "config.settings.local"})

    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    native = ("inference_feedback_manager", "XNNPACK", "absl::InitializeLog", "cuda", "computation_placer")
    assert [line for line in lines if any(word in line for word in native)] == [], lines
    assert sum("the product warns" in line for line in lines) == 1, lines


def test_a_request_and_a_start_up_line_are_printed_once() -> None:
    code = (
        "import django, logging; django.setup()\n"
        "logging.getLogger('django.channels.server').info('HTTP GET /login/ 200')\n"
        "logging.getLogger('django.request').warning('Not Found: /nothing/')\n"
    )
    result = run_python(code, {"DJANGO_SETTINGS_MODULE": "config.settings.local"})

    lines = result.stderr.splitlines()
    assert sum("HTTP GET /login/ 200" in line for line in lines) == 1, lines
    assert sum("Not Found: /nothing/" in line for line in lines) == 1, lines
    assert not [line for line in lines if "AXES: BEGIN" in line], lines


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serve_prints_the_banner_after_the_server_answers(tmp_path: Path) -> None:
    """The real wrapper around the real development server, on SQLite in a temporary folder."""
    port = _free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env |= {"DJANGO_SETTINGS_MODULE": "config.settings.local", "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    log = tmp_path / "serve.log"
    with log.open("wb") as sink:
        server = subprocess.Popen(
            [sys.executable, "scripts/serve", "127.0.0.1", str(port)],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=sink,
            stderr=sink,
        )
    try:
        deadline = time.monotonic() + 120
        while "Stop with Ctrl-C." not in log.read_text() and time.monotonic() < deadline and server.poll() is None:
            time.sleep(0.3)
        text = log.read_text()
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass  # the port answers
    finally:
        server.terminate()
        server.wait(timeout=30)
    lines = [line for line in text.splitlines() if line.strip()]
    assert lines[-4].strip() == f"Shiming is ready: open http://127.0.0.1:{port}/", text
    assert lines[-1].strip() == "Stop with Ctrl-C.", text
    noisy = ("cuda", "absl", "tensorflow", "axes: begin")
    noise = [line for line in lines if any(word in line.lower() for word in noisy)]
    assert noise == [], text

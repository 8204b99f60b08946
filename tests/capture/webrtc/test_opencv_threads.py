"""The web process analyses its captures in parallel, one pool thread each: OpenCV runs every call in
the calling thread instead of splitting it over a pool of its own, whose worker busy-waited between
calls (0.017 of a core per capture under load, docs/capacity.md)."""

from __future__ import annotations

import os

import pytest

from tests.processes import run_python

pytestmark = pytest.mark.slow

CODE = """
import os, threading
import django; django.setup()
import capture.webrtc.analysis  # what the ASGI process imports through its WebSocket routes
import cv2, numpy as np

def native_threads():
    return len(os.listdir("/proc/self/task"))

before = native_threads()
image = np.random.default_rng(0).integers(0, 255, (1080, 1920, 3), dtype=np.uint8)
for _ in range(3):
    cv2.GaussianBlur(cv2.resize(image, (1280, 960)), (9, 9), 0)
print(cv2.getNumThreads(), native_threads() - before)
"""


def test_opencv_starts_no_worker_threads_in_the_web_process() -> None:
    assert len(os.sched_getaffinity(0)) >= 2, "on one core OpenCV starts no pool anyway: the test would prove nothing"

    result = run_python(CODE, {"DJANGO_SETTINGS_MODULE": "config.settings.local"})

    assert result.returncode == 0, result.stderr
    threads, started = result.stdout.split()
    assert threads == "1"
    assert started == "0"

"""The native libraries' start-up lines that ignore the log levels are dropped while the capture
builds its face mesh, and every other line written to file descriptor 2 passes, during the block
and after it. A fresh Python, as the web process writes them: descriptor 2 itself is redirected."""

from __future__ import annotations

import pytest

from tests.processes import run_python

pytestmark = pytest.mark.slow

NOISE = [
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    "E0000 00:00:1796123254.101428   26213 cuda_dnn.cc:8579] Unable to register cuDNN factory: Attempting to register",
    "W0000 00:00:1796123254.117900   26213 computation_placer.cc:177] computation placer already registered.",
    "2026-12-01 19:07:34.073948: I external/local_xla/xla/tsl/cuda/cudart_stub.cc:32] Could not find cuda drivers",
    "To enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow with the right flags.",
    "INFO: Created TensorFlow Lite XNNPACK delegate for CPU.",
    "W0000 00:00:1796134126.667855   21504 inference_feedback_manager.cc:114] Feedback manager requires a model with"
    " a single signature inference. Disabling support for feedback tensors.",
]
KEPT = ["Traceback (most recent call last):", "E0000 00:00:1.0 1 face_landmarker_graph.cc:12] model file is missing"]


def test_known_native_start_up_lines_are_dropped_and_everything_else_passes() -> None:
    written = "\n".join(NOISE + KEPT) + "\n"
    code = (
        "import os\nfrom capture.webrtc.native_stderr import filtered_native_stderr\n"
        f"with filtered_native_stderr():\n    os.write(2, {written.encode()!r})\n"
        "os.write(2, b'after the block\\n')\n"
    )
    result = run_python(code, {"DJANGO_SETTINGS_MODULE": "config.settings.local"})

    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [*KEPT, "after the block"]


def test_blocks_in_threads_at_once_leave_descriptor_2_writable() -> None:
    """The capture pool's threads build and reset graphs at the same time: interleaved blocks must
    not leave descriptor 2 on a closed pipe."""
    code = (
        "import os, threading\nfrom capture.webrtc.native_stderr import filtered_native_stderr\n"
        "def build(n):\n"
        "    for _ in range(20):\n"
        "        with filtered_native_stderr():\n"
        "            os.write(2, b'INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\\n')\n"
        "threads = [threading.Thread(target=build, args=(n,)) for n in range(4)]\n"
        "[t.start() for t in threads]; [t.join() for t in threads]\n"
        "os.write(2, b'after the threads\\n')\n"
    )
    result = run_python(code, {"DJANGO_SETTINGS_MODULE": "config.settings.local"})

    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == ["after the threads"]

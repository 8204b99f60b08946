"""Start-up noise of the native libraries (TensorFlow, XLA, CUDA stubs, mediapipe's glog) kept off
the terminal: their log-level variables.

They must be set before TensorFlow is first imported: `config/__init__` sets them (unless the
environment already does). The lines that ignore them are filtered where the capture builds its
face mesh graphs (`capture/webrtc/native_stderr.py`).
"""

from __future__ import annotations

import os

QUIET_ENVIRONMENT = {
    "TF_CPP_MIN_LOG_LEVEL": "3",  # TensorFlow's own C++ start-up lines (oneDNN, CUDA stubs, CPU features)
    "GLOG_minloglevel": "2",  # mediapipe's glog INFO/WARNING lines
}


def quiet_environment() -> None:
    """Set the libraries' log-level variables unless the environment chose otherwise."""
    for name, value in QUIET_ENVIRONMENT.items():
        os.environ.setdefault(name, value)

"""Native start-up lines of the face mesh's libraries (TensorFlow, XLA, absl, TensorFlow Lite) kept
off the terminal while the capture builds or resets its graphs.

Some lines are written by absl's C++ side before its logging is initialised and ignore the log-level
variables `config/startup_noise.py` sets; `filtered_native_stderr` drops exactly those known lines
while a heavy import or a graph build runs and passes every other line through, so a real error
still reaches the terminal.
"""

from __future__ import annotations

import os
import re
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

# The lines TensorFlow/XLA print when they load without a GPU: registration clashes of the CUDA
# plug-ins, the absl pre-initialisation notice, the CPU-feature advert; and the lines mediapipe's
# TensorFlow Lite prints each time a face mesh graph is built (its CPU delegate, the feedback tensors
# it does not use). Nothing else matches.
NATIVE_NOISE = re.compile(
    r"All log messages before absl::InitializeLog\(\) is called"
    r"|\b(cuda_dnn|cuda_blas|cuda_fft|cudart_stub|computation_placer|cpu_feature_guard|port)\.cc:\d+\]"
    r"|^To enable the following instructions: .* rebuild TensorFlow"
    r"|\binference_feedback_manager\.cc:\d+\] Feedback manager requires a model with a single signature"
    r"|^INFO: Created TensorFlow Lite XNNPACK delegate for CPU\.$"
)


# One redirection of file descriptor 2 at a time: two threads' blocks interleaving would each put
# back what the other had in place, leaving descriptor 2 on a closed pipe (the capture pool's threads
# build and reset face-mesh graphs at the same time).
_FD2 = threading.RLock()


@contextmanager
def filtered_native_stderr() -> Iterator[None]:
    """While the block runs, lines written to file descriptor 2 that match `NATIVE_NOISE` are dropped."""
    with _FD2:
        yield from _filtered_native_stderr()


def _filtered_native_stderr() -> Iterator[None]:
    sys.stderr.flush()
    original = os.dup(2)
    read_end, write_end = os.pipe()
    os.dup2(write_end, 2)
    os.close(write_end)

    def pass_through() -> None:
        with os.fdopen(read_end, "rb") as pipe:
            for line in pipe:
                if not NATIVE_NOISE.search(line.decode(errors="replace")):
                    os.write(original, line)

    pump = threading.Thread(target=pass_through, name="native-stderr-filter", daemon=True)
    pump.start()
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(original, 2)  # the pipe's last write end closes: the pump reads to the end and stops
        pump.join(timeout=5)
        os.close(original)

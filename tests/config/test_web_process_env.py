"""The production web process's environment (docker/web.env, which docker/entrypoint's web role and
the load generator's web servers load) runs the production face matcher: OpenVINO compiles and
infers the OMZ detection model under the preloaded jemalloc, as a document upload does."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from bench.load.stack import web_process_env
from registration.face_matching.model_files import DETECTION
from tests.environment import needs_library
from tests.processes import run_python

INFER = """
import numpy as np
import openvino as ov
compiled = ov.Core().compile_model({xml!r}, "CPU")
print(compiled(np.zeros((1, 3, 300, 300), np.float32))[0].shape)
"""


@needs_library("jemalloc", "jemalloc is not installed (Debian: apt-get install libjemalloc2)")
def test_openvino_runs_in_the_web_process_environment() -> None:
    xml = Path(settings.SHIMING_MODELS_DIR) / "omz" / DETECTION / "FP16" / f"{DETECTION}.xml"
    environment = web_process_env("production")
    assert "libjemalloc" in environment.get("LD_PRELOAD", ""), "docker/web.env no longer preloads jemalloc"

    done = run_python(INFER.format(xml=str(xml)), environment, timeout=120)

    # Without TBB_ENABLE_SANITIZERS oneTBB loads tbbbind (and hwloc) with RTLD_DEEPBIND, whose
    # frees then go to glibc for jemalloc's blocks: "free(): invalid pointer", the process aborts.
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().startswith("(1, 1,")

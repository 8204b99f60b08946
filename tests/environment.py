"""What the suite finds on this machine: the project, the shared test data, tools and libraries.

Under .ci/run (SHIMING_REQUIRE_TESTDATA=1: the data is there and ensure-services installed the
tools) what a test needs and lacks fails it; a developer's clone without it skips with the reason.
"""

from __future__ import annotations

import ctypes.util
import os
import shutil
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CI_RUN = os.environ.get("SHIMING_REQUIRE_TESTDATA") == "1"


def testdata_root() -> Path:
    """The shared test data folder: $SHIMING_TESTDATA, default ../shared/testdata."""
    configured = os.environ.get("SHIMING_TESTDATA", str(PROJECT_ROOT.parent / "shared" / "testdata"))
    return Path(configured).resolve()


def needs_tool(command: str, reason: str) -> pytest.MarkDecorator:
    """Skip where `command` is not installed (a developer's clone), never under .ci/run."""
    return pytest.mark.skipif(shutil.which(command) is None and not CI_RUN, reason=reason)


def needs_library(name: str, reason: str) -> pytest.MarkDecorator:
    """Skip where the shared library `name` (as `ctypes.util.find_library` takes it, "jemalloc") is
    not installed (a developer's clone), never under .ci/run."""
    return pytest.mark.skipif(ctypes.util.find_library(name) is None and not CI_RUN, reason=reason)

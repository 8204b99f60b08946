"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def testdata_root() -> Path:
    """The shared test data folder: $SHIMING_TESTDATA, default ../shared/testdata."""
    configured = os.environ.get("SHIMING_TESTDATA", str(PROJECT_ROOT.parent / "shared" / "testdata"))
    return Path(configured).resolve()


@pytest.fixture(scope="session")
def testdata() -> Path:
    """Path to the shared test data; tests that need it skip where it is absent (a user's clone)."""
    root = testdata_root()
    if not (root / "manifest.csv").is_file():
        message = f"shared test data not found at {root} (set SHIMING_TESTDATA)"
        if os.environ.get("SHIMING_REQUIRE_TESTDATA") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return root

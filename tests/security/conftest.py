"""Fixtures for the security tests, and the access table and bad-input count in the terminal summary."""

from __future__ import annotations

from typing import Any

import pytest
from _pytest.terminal import TerminalReporter

from . import report


@pytest.fixture(autouse=True)
def fresh_cache() -> None:
    """DRF throttles and django-axes keep counters in the cache: every test starts from zero."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def fixed_plan(settings: Any) -> None:
    settings.SHIMING_FIXED_CHALLENGE_PLAN = ["blink", "turn_left", "turn_right"]


def pytest_terminal_summary(terminalreporter: TerminalReporter, exitstatus: int, config: pytest.Config) -> None:
    if report.access_results:
        terminalreporter.section("access control: endpoint x actor → status")
        for line in report.access_table():
            terminalreporter.write_line(line)
        wrong = sum(not result.ok for result in report.access_results)
        terminalreporter.write_line(f"access cases tried: {len(report.access_results)}, unexpected: {wrong}")
    if report.bad_input_results:
        terminalreporter.section("bad input")
        wrong = sum(result.expected != result.got for result in report.bad_input_results)
        terminalreporter.write_line(f"bad inputs tried: {len(report.bad_input_results)}, unexpected: {wrong}")

"""Fixtures for the capture tests: committed rows (the consumers read them from other threads), a
fresh peer registry and a known plan, a scripted engine and the recorded verdict chain."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

import pytest
from django.contrib.auth.models import User

from registration.models import Outlet
from registration.roles import CLERK
from tests.capture.dbseed import reseed_after_flush, seed_reference_rows
from tests.capture.fakes import FakeAnalysis
from tests.factories import OutletFactory, make_staff
from tests.peer_registry import fresh_peer_registry

__all__ = ["reseed_after_flush"]


@pytest.fixture
def outlet(reseed_after_flush: None, transactional_db: None) -> Outlet:
    """The consumer tests run the ORM in other threads: rows must be committed (transactional)."""
    seed_reference_rows()
    return cast(Outlet, OutletFactory())


@pytest.fixture
def other_clerk(outlet: Outlet) -> User:
    """A clerk of another outlet (created after `outlet`, so on the transactional database)."""
    return make_staff(CLERK, outlet=cast(Outlet, OutletFactory()))


@pytest.fixture
def fake_engine(monkeypatch: pytest.MonkeyPatch) -> list[FakeAnalysis]:
    """Replace the liveness engine adapter with a scripted one; returns the analyses built."""
    built: list[FakeAnalysis] = []

    def build(plan: Any) -> FakeAnalysis:
        analysis = FakeAnalysis(list(plan))
        built.append(analysis)
        return analysis

    monkeypatch.setattr("capture.webrtc.analysis.build_analysis", build)
    return built


@pytest.fixture
def judgements(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record the verdict chain instead of sending it to the broker (no worker in these tests)."""
    enqueued: list[str] = []
    monkeypatch.setattr("registration.services.attempts._enqueue_judgement", enqueued.append)
    return enqueued


@pytest.fixture(autouse=True)
def fresh_registry(settings: Any) -> Iterator[None]:
    """Each test gets its own peer registry (the limit may be overridden per test) and a known plan."""
    settings.SHIMING_FIXED_CHALLENGE_PLAN = ["blink", "turn_left", "turn_right"]
    with fresh_peer_registry():
        yield

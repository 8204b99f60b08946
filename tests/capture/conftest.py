"""Fixtures for the capture tests: a clerk, a session ready for the challenge, a fake engine."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, cast

import pytest
from django.contrib.auth.models import User

from registration.models import Outlet, VerificationSession
from registration.roles import CLERK
from registration.state_machine import SessionState
from tests import factories
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
def make_session(clerk: User) -> Callable[..., VerificationSession]:
    """A session as the handover leaves it by default (photographed with a stand-in portrait, consented):
    the capture may start."""

    def build(state: str = SessionState.CONSENTED, **details: Any) -> VerificationSession:
        portrait = None if state == SessionState.CREATED else b"portrait"
        return factories.make_session(clerk=clerk, state=state, portrait=portrait, **details)

    return build


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

"""Fixtures for the capture tests: a clerk, a session ready for the challenge, a fake engine."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, cast

import pytest

from capture.webrtc import registry as registry_module
from registration import services
from registration.models import EvidenceKind, Outlet, VerificationSession
from registration.roles import CLERK
from registration.state_machine import SessionState
from tests.capture.dbseed import reseed_after_flush, seed_reference_rows
from tests.capture.fakes import FakeAnalysis
from tests.factories import OutletFactory, UserFactory, make_phone, make_prc_id

__all__ = ["reseed_after_flush"]


@pytest.fixture
def outlet(reseed_after_flush: None, transactional_db: None) -> Outlet:
    seed_reference_rows()
    return cast(Outlet, OutletFactory())


@pytest.fixture
def clerk(outlet: Outlet) -> Any:
    return UserFactory(role=CLERK, outlet=outlet)


@pytest.fixture
def other_clerk(outlet: Outlet) -> Any:
    return UserFactory(role=CLERK, outlet=OutletFactory())


@pytest.fixture
def make_session(clerk: Any) -> Callable[..., VerificationSession]:
    """A session as the document step leaves it (state document_captured, a portrait stored)."""

    def build(state: str = SessionState.DOCUMENT_CAPTURED) -> VerificationSession:
        session = services.registration_create(
            clerk=clerk,
            full_name="李 四",
            document_type="prc_id",
            document_number=make_prc_id(),
            phone_number=make_phone(),
        )
        if state != SessionState.CREATED:
            services.consent_record(session_id=session.pk, actor=clerk, consent_version="2", language="zh-hans")
        if state == SessionState.DOCUMENT_CAPTURED:
            # The portrait crop belongs to the matcher's module: store a stand-in and move the state.
            services.evidence_store(
                session=session, kind=EvidenceKind.ID_PORTRAIT, content=b"portrait", content_type="image/jpeg"
            )
            VerificationSession.objects.filter(pk=session.pk).update(state=SessionState.DOCUMENT_CAPTURED)
        session.refresh_from_db()
        return session

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
    registry_module._registry = None
    yield
    if registry_module._registry is not None:
        registry_module._registry.shutdown_executor()
    registry_module._registry = None

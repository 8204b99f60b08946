"""Fixtures for the page tests: a signed-in clerk and sessions at each step."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import pytest
from django.test import Client

from registration import services
from registration.models import EvidenceKind, Outlet, VerificationSession
from registration.roles import CLERK
from registration.state_machine import SessionState
from tests.factories import OutletFactory, UserFactory, make_phone, make_prc_id


@pytest.fixture(autouse=True)
def fixed_plan(settings: Any) -> None:
    settings.SHIMING_FIXED_CHALLENGE_PLAN = ["blink", "turn_left", "turn_right"]


@pytest.fixture
def outlet(db: None) -> Outlet:
    return cast(Outlet, OutletFactory())


@pytest.fixture
def clerk(outlet: Outlet) -> Any:
    return UserFactory(role=CLERK, outlet=outlet)


@pytest.fixture
def other_clerk(db: None) -> Any:
    return UserFactory(role=CLERK, outlet=OutletFactory())


@pytest.fixture
def signed_in(clerk: Any) -> Client:
    client = Client()
    client.force_login(clerk)
    return client


@pytest.fixture
def make_session(clerk: Any) -> Callable[..., VerificationSession]:
    def build(state: str = SessionState.CREATED, portrait: bytes | None = None) -> VerificationSession:
        session = services.registration_create(
            clerk=clerk,
            full_name="赵 六",
            document_type="prc_id",
            document_number=make_prc_id(),
            phone_number=make_phone(),
        )
        if state != SessionState.CREATED:
            services.consent_record(session_id=session.pk, actor=clerk, consent_version="2", language="zh-hans")
        if portrait is not None:
            services.evidence_store(
                session=session, kind=EvidenceKind.ID_PORTRAIT, content=portrait, content_type="image/jpeg"
            )
        if state not in {SessionState.CREATED, SessionState.CONSENTED}:
            VerificationSession.objects.filter(pk=session.pk).update(state=state)
        session.refresh_from_db()
        return session

    return build

"""Fixtures for the registration tests: outlets, staff of each role, API clients, sessions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from registration import services
from registration.models import Outlet, VerificationSession
from registration.roles import CLERK, SUPERVISOR
from tests.factories import OutletFactory, UserFactory, make_phone, make_prc_id


@pytest.fixture
def outlet(db: None) -> Outlet:
    return OutletFactory.create()


@pytest.fixture
def other_outlet(db: None) -> Outlet:
    return OutletFactory.create()


@pytest.fixture
def clerk(outlet: Outlet) -> Any:
    return UserFactory(role=CLERK, outlet=outlet)


@pytest.fixture
def supervisor(outlet: Outlet) -> Any:
    return UserFactory(role=SUPERVISOR, outlet=outlet, is_staff=True)


@pytest.fixture
def other_clerk(other_outlet: Outlet) -> Any:
    return UserFactory(role=CLERK, outlet=other_outlet)


@pytest.fixture
def client_for() -> Callable[[Any], APIClient]:
    def build(user: Any) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return build


@pytest.fixture
def registration_input() -> Callable[..., dict[str, Any]]:
    def build(**overrides: Any) -> dict[str, Any]:
        data = {
            "full_name": "张 三",
            "document_type": "prc_id",
            "document_number": make_prc_id(),
            "phone_number": make_phone(),
        }
        data.update(overrides)
        return data

    return build


@pytest.fixture
def new_session(clerk: Any, registration_input: Callable[..., dict[str, Any]]) -> Callable[..., VerificationSession]:
    def build(**overrides: Any) -> VerificationSession:
        return services.registration_create(clerk=clerk, **registration_input(**overrides))

    return build


@pytest.fixture
def consented_session(new_session: Callable[..., VerificationSession], clerk: Any) -> VerificationSession:
    session = new_session()
    return services.consent_record(session_id=session.pk, actor=clerk, consent_version="2", language="zh-hans")

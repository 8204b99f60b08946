"""The challenge plan is drawn per attempt when the capture starts
(registration/services/attempts.py, capture_start) and is no part of the REST payload, so opening
sessions until the plan fits a footage gains nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from registration import services
from registration.models import VerificationSession
from registration.state_machine import SessionState
from tests import factories

from .report import record_access

pytestmark = [pytest.mark.security, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def random_plans(settings: Any) -> None:
    settings.SHIMING_FIXED_CHALLENGE_PLAN = []  # the real draw, not the suite's fixed plan


def test_opening_a_session_reveals_no_plan(
    clerk: Any, client_for: Callable[[Any], APIClient], registration_input: Callable[..., dict[str, Any]]
) -> None:
    client = client_for(clerk)
    created = client.post("/api/sessions/", registration_input(), format="json").json()
    detail = client.get(f"/api/sessions/{created['id']}/").json()
    listed = client.get("/api/sessions/").json()["results"][0]
    shown = [payload for payload in (created, detail, listed) if "challenge_plan" in payload]
    record_access("GET api/sessions/{id}/ challenge plan", "right user", expected="hidden",
                  got="shown" if shown else "hidden")  # fmt: skip
    assert shown == []
    assert VerificationSession.objects.get(pk=created["id"]).challenge_plan == []  # nothing drawn yet


def test_each_attempt_draws_its_own_plan_when_the_capture_starts(clerk: Any) -> None:
    session = factories.make_session(clerk=clerk, state=SessionState.CONSENTED, portrait=b"\xff\xd8")
    plans = []
    for _ in range(3):
        started = services.capture_start(session_id=session.pk, actor=clerk)
        plans.append(list(started.challenge_plan))
        services.capture_abort(session_id=session.pk, nonce=started.challenge_nonce, reason="disconnected")
    assert all(len(plan) == 3 for plan in plans)
    assert plans[0] != plans[1] != plans[2]  # never the previous attempt's plan

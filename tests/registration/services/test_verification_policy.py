"""The screen-light policy switch: off changes nothing; on, each attempt's plan has a light step,
or the no-lights path's extra actions when the customer asks for it (audited, and stored with the
configuration the trace is judged with)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from capture.webrtc.analysis import build_analysis
from registration import services
from registration.liveness_settings import liveness_config, plan_config
from registration.models import AuditEvent, VerificationPolicy, VerificationSession
from registration.verification_policy import effective_policy
from tests import factories


def consented(make_session: Callable[..., VerificationSession]) -> VerificationSession:
    """A session past the handover: photographed and consented, ready for the capture."""
    return make_session(state="consented", portrait=factories.STAND_IN_PORTRAIT)


def started(session: VerificationSession, clerk: Any, *, no_lights: bool = False) -> tuple[list[str], dict[str, Any]]:
    plan = list(services.capture_start(session_id=session.pk, actor=clerk, no_lights=no_lights).challenge_plan)
    event = AuditEvent.objects.filter(action="session.liveness_running", object_id=str(session.pk)).latest("created_at")
    return plan, dict(event.details)


@pytest.mark.django_db
def test_with_the_policy_off_nothing_changes(make_session: Callable[..., VerificationSession], clerk: Any) -> None:
    assert effective_policy().light_challenge is False
    plan, details = started(consented(make_session), clerk, no_lights=True)  # the choice means nothing while off
    assert "light" not in plan
    assert len(plan) == liveness_config().step_count
    assert "no_lights" not in details
    assert plan_config(plan).light.enabled is False


@pytest.mark.django_db
def test_with_the_policy_on_a_plan_has_one_light_step_or_more_actions_without_lights(
    make_session: Callable[..., VerificationSession], clerk: Any, settings: Any
) -> None:
    settings.SHIMING_FIXED_CHALLENGE_PLAN = []  # the production drawer
    VerificationPolicy.objects.update_or_create(pk=1, defaults={"light_challenge": True})
    count = liveness_config().step_count
    plan, details = started(consented(make_session), clerk)
    assert plan.count("light") == 1
    assert len(plan) == count + 1
    assert details["light"] is True
    assert plan_config(plan).light.enabled is True
    assert plan_config(plan).light.declined is False

    plan, details = started(consented(make_session), clerk, no_lights=True)
    assert "light" not in plan
    assert len(plan) == count + liveness_config().light.no_lights_extra_steps
    assert details["no_lights"] is True
    config = plan_config(plan)
    assert config.light.declined is True
    analysis = build_analysis(plan)
    try:
        assert analysis.outcome().trace["config"]["light"]["declined"] is True  # recorded in the trace
    finally:
        analysis.close()

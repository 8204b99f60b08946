"""Starting a capture attempt is rate-limited per clerk and per outlet; a refused start changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from registration import services
from registration.models import VerificationSession


@pytest.mark.django_db
def test_capture_attempts_are_rate_limited_per_clerk_and_per_outlet(
    make_session: Callable[..., VerificationSession], clerk: Any, supervisor: Any, settings: Any
) -> None:
    from registration.errors import RateLimited

    settings.SHIMING_CAPTURE_ATTEMPTS_PER_MINUTE_CLERK = 2
    settings.SHIMING_CAPTURE_ATTEMPTS_PER_MINUTE_OUTLET = 3
    sessions = [make_session("consented", portrait=b"\xff\xd8portrait") for _ in range(4)]
    for session in sessions[:2]:
        services.capture_start(session_id=session.pk, actor=clerk)
    with pytest.raises(RateLimited) as by_clerk:
        services.capture_start(session_id=sessions[2].pk, actor=clerk)
    assert by_clerk.value.code == "capture_rate_clerk"
    services.capture_start(session_id=sessions[2].pk, actor=supervisor)  # another account at the outlet
    with pytest.raises(RateLimited) as by_outlet:
        services.capture_start(session_id=sessions[3].pk, actor=supervisor)
    assert by_outlet.value.code == "capture_rate_outlet"
    refused = VerificationSession.objects.get(pk=sessions[3].pk)
    assert (refused.state, refused.attempt_count, refused.challenge_nonce) == ("consented", 0, "")

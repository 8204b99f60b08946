"""A supervisor's decision holds the per-ID limit of active numbers even when two approvals race."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from registration import services
from registration.models import VerificationSession
from registration.state_machine import SessionState


@pytest.mark.django_db(transaction=True)
def test_per_id_limit_holds_when_two_approvals_race(
    make_session: Callable[..., VerificationSession],
    registration_input: Callable[..., dict[str, Any]],
    clerk: Any,
    supervisor: Any,
    settings: Any,
) -> None:
    settings.SHIMING_MAX_ACTIVE_NUMBERS_PER_ID = 1
    number = registration_input()["document_number"]
    sessions = [
        services.session_request_alternative(
            session_id=make_session(SessionState.DOCUMENT_CAPTURED, document_number=number).pk,
            actor=clerk,
            reason="",
        )
        for _ in range(2)
    ]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def decide(session: VerificationSession) -> None:
        barrier.wait()
        try:
            outcomes.append(
                services.session_decide(
                    session_id=session.pk, supervisor=supervisor, decision="approved", note="race"
                ).state
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=decide, args=(session,)) for session in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["approved", "rejected"]

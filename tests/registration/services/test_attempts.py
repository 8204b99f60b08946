"""Starting a capture attempt is rate-limited per clerk and per outlet; a refused start changes nothing.
An attempt is spent only by trying: an interruption (the page left, the connection broke) gives it
back, up to the policy's limit of interruptions (each audited). The last failed attempt sends the
case to a supervisor, never to a rejection by the machine (flagged after spoof signals)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from registration import services
from registration.models import AuditEvent, VerificationSession
from registration.state_machine import SessionState as S
from registration.verification_policy import effective_policy


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


@pytest.mark.django_db
def test_leaving_three_times_during_the_check_leaves_every_attempt(
    make_session: Callable[..., VerificationSession], clerk: Any
) -> None:
    session = make_session("consented", portrait=b"\xff\xd8portrait")
    for _ in range(3):
        started = services.capture_start(session_id=session.pk, actor=clerk)
        assert started.attempt_count == 1
        services.capture_abort(session_id=session.pk, nonce=started.challenge_nonce, reason="disconnected")
        after = VerificationSession.objects.get(pk=session.pk)
        assert (after.state, after.attempt_count, after.challenge_nonce) == (S.CONSENTED, 0, "")
    audited = AuditEvent.objects.filter(object_id=str(session.pk), action="capture.interrupted")
    assert [event.details["given_back"] for event in audited] == [True, True, True]


@pytest.mark.django_db
def test_an_interruption_after_a_failed_attempt_returns_to_the_failure(
    make_session: Callable[..., VerificationSession], clerk: Any
) -> None:
    session = make_session("consented", portrait=b"\xff\xd8portrait")
    first = services.capture_start(session_id=session.pk, actor=clerk)
    services.capture_abort(session_id=session.pk, nonce=first.challenge_nonce, reason="capture_timeout")
    second = services.capture_start(session_id=session.pk, actor=clerk)
    services.capture_abort(session_id=session.pk, nonce=second.challenge_nonce, reason="video_stalled")
    after = VerificationSession.objects.get(pk=session.pk)
    assert (after.state, after.attempt_count, after.liveness_reasons) == (S.LIVENESS_FAILED, 1, ["capture_timeout"])


@pytest.mark.django_db
def test_past_the_limit_an_interruption_counts_as_a_failed_attempt(
    make_session: Callable[..., VerificationSession], clerk: Any, settings: Any
) -> None:
    settings.SHIMING_MAX_INTERRUPTED_ATTEMPTS = 2
    assert effective_policy().max_interrupted_attempts == 2  # the one place the limit is read
    session = make_session("consented", portrait=b"\xff\xd8portrait")
    for _ in range(3):
        started = services.capture_start(session_id=session.pk, actor=clerk)
        services.capture_abort(session_id=session.pk, nonce=started.challenge_nonce, reason="disconnected")
    after = VerificationSession.objects.get(pk=session.pk)
    assert (after.state, after.attempt_count, after.liveness_reasons) == (S.LIVENESS_FAILED, 1, ["disconnected"])
    audited = AuditEvent.objects.filter(object_id=str(session.pk), action="capture.interrupted").order_by("id")
    assert [event.details["given_back"] for event in audited] == [True, True, False]


@pytest.mark.django_db
def test_the_last_honest_failure_sends_the_case_to_a_supervisor(
    make_session: Callable[..., VerificationSession], clerk: Any
) -> None:
    session = make_session("consented", portrait=b"\xff\xd8portrait")
    for _ in range(effective_policy().max_liveness_attempts):
        started = services.capture_start(session_id=session.pk, actor=clerk)
        services.capture_abort(session_id=session.pk, nonce=started.challenge_nonce, reason="capture_timeout")
    after = VerificationSession.objects.select_related("subscriber").get(pk=session.pk)
    assert (after.state, after.decision_reasons) == (S.MANUAL_REVIEW, ["liveness_attempts_exhausted"])
    assert after.subscriber.status == "pending"  # a person decides, nothing is closed yet


@pytest.mark.django_db
def test_after_spoof_signals_the_last_failure_goes_to_review_flagged_with_them(
    make_session: Callable[..., VerificationSession], clerk: Any
) -> None:
    session = make_session("consented", portrait=b"\xff\xd8portrait")
    for reasons in (["suspected_injection"], ["step_timeout"], ["no_turn"]):
        started = services.capture_start(session_id=session.pk, actor=clerk)
        VerificationSession.objects.filter(pk=started.pk).update(liveness_finished_at=started.liveness_started_at)
        services.liveness_verdict_apply(session_id=session.pk, passed=False, reasons=reasons, detail={})
    after = VerificationSession.objects.get(pk=session.pk)
    assert after.state == S.MANUAL_REVIEW
    assert after.decision_reasons == ["liveness_attempts_exhausted", "spoof_signals", "suspected_injection"]
    assert after.liveness_passed is False  # shown as a failed check, never as "not done"

"""Spoof signals end automatic approval for the whole session: an attempt that ended with
`suspected_injection`, `repeated_frames` or `impossible_timestamps` (or declined its light step) sends
the case to a supervisor with the reason even when a retry passes and the faces match, and the
"check by hand" path after such an attempt shows a failed live check with those reasons, never
"not done" (registration/services/attempts.py:spoof_signals).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from registration import services
from registration.face_matching.policy import ReasonCode
from registration.models import EvidenceKind, VerificationSession
from registration.state_machine import SessionState
from tests.factories import STAND_IN_PORTRAIT, store_live_frame

from .report import record_bad_input

pytestmark = [pytest.mark.security, pytest.mark.django_db]

S = SessionState
INJECTED = ["suspected_injection", "repeated_frames"]


def _attempt_ends(session: VerificationSession, *, passed: bool, reasons: list[str]) -> None:
    """An attempt ran and the worker wrote its verdict (the path of a real capture's end)."""
    VerificationSession.objects.filter(pk=session.pk).update(
        state=S.LIVENESS_RUNNING, liveness_finished_at=timezone.now()
    )
    assert services.liveness_verdict_apply(session_id=session.pk, passed=passed, reasons=reasons, detail={})


@pytest.mark.model
def test_a_retry_after_an_injection_signal_goes_to_a_supervisor(
    make_session: Callable[..., VerificationSession], testdata: Path
) -> None:
    """The same person, who would be approved (tests/registration/test_tasks.py's same-person pair)."""
    session = make_session(S.CONSENTED)
    photos = testdata / "verification" / "deepface"
    content = (photos / "img2.jpg").read_bytes()
    services.evidence_store(session=session, kind=EvidenceKind.ID_PORTRAIT, content=content, content_type="image/jpeg")
    _attempt_ends(session, passed=False, reasons=INJECTED)
    store_live_frame(session, (photos / "img6.jpg").read_bytes())  # the retry's capture
    _attempt_ends(session, passed=True, reasons=[])

    decision = services.faces_match(session_id=session.pk)
    session.refresh_from_db()
    record_bad_input("retry after suspected_injection", expected="manual_review", got=decision, code="spoof_signals")
    assert decision == "manual_review"
    assert session.state == S.MANUAL_REVIEW
    # The faces were in the approve band: only the spoof signals kept it from approval.
    assert session.decision_reasons == [
        ReasonCode.SCORE_AT_ACCEPT.value,
        "spoof_signals",
        "repeated_frames",
        "suspected_injection",
    ]


def test_honest_failures_bar_nothing(make_session: Callable[..., VerificationSession]) -> None:
    session = make_session(S.CONSENTED)
    _attempt_ends(session, passed=False, reasons=["no_blink", "step_timeout"])
    _attempt_ends(session, passed=True, reasons=[])
    assert services.spoof_signals(VerificationSession.objects.get(pk=session.pk)) == []


def test_a_declined_light_step_bars_automatic_approval(
    make_session: Callable[..., VerificationSession], clerk: Any, settings: Any
) -> None:
    settings.SHIMING_LIGHT_CHALLENGE = True
    session = make_session(S.CONSENTED, portrait=STAND_IN_PORTRAIT)
    services.capture_start(session_id=session.pk, actor=clerk, no_lights=True)
    signals = services.spoof_signals(VerificationSession.objects.get(pk=session.pk))
    record_bad_input("capture ?no_lights=1", expected="lights_declined", got=",".join(signals), code="lights_declined")
    assert signals == ["lights_declined"]


def test_check_by_hand_after_a_spoof_shows_a_failed_check_with_the_reasons(
    make_session: Callable[..., VerificationSession], clerk: Any, supervisor: Any
) -> None:
    session = make_session(S.CONSENTED)
    _attempt_ends(session, passed=False, reasons=INJECTED)
    services.session_request_alternative(session_id=session.pk, actor=clerk, reason="the camera does not work")
    session.refresh_from_db()
    assert session.state == S.MANUAL_REVIEW
    assert session.liveness_passed is False
    assert session.decision_reasons == ["spoof_signals", "repeated_frames", "suspected_injection"]
    assert set(INJECTED) <= set(session.liveness_reasons)

    browser = Client()
    browser.force_login(supervisor)
    page = browser.get(f"/review/{session.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    shown = "not done" if "Not done" in page else "not passed" if "Not passed" in page else "?"
    record_bad_input("check by hand after a spoof", expected="not passed", got=shown, code="spoof_signals")
    assert shown == "not passed"
    assert '"suspected_injection"' in page  # the reasons the page puts into words


def test_check_by_hand_without_an_attempt_still_says_not_done(
    make_session: Callable[..., VerificationSession], clerk: Any, supervisor: Any
) -> None:
    session = make_session(S.CONSENTED)
    services.session_request_alternative(session_id=session.pk, actor=clerk, reason="declines face processing")
    browser = Client()
    browser.force_login(supervisor)
    page = browser.get(f"/review/{session.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Not done" in page

"""Celery tasks. They take ids only, re-read state, and are idempotent (safe with acks_late)."""

from __future__ import annotations

import json
import logging
from typing import Any

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import InterfaceError, OperationalError

from . import services
from .models import Evidence, EvidenceKind, VerificationSession
from .state_machine import SessionState

logger = logging.getLogger(__name__)

# Errors worth a retry: the database or the broker blinked. Anything else is a bug or bad data.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (OperationalError, InterfaceError, ConnectionError, TimeoutError)


def _evidence_bytes(session: VerificationSession, kind: str) -> bytes | None:
    evidence = Evidence.objects.filter(session=session, kind=kind).select_related("session__outlet").first()
    if evidence is None:
        return None
    return services.evidence_read(evidence=evidence, actor=None, purpose=f"worker:{kind}")


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True,
    retry_backoff_max=30,
    max_retries=5,
    soft_time_limit=30,
    time_limit=45,
)
def liveness_verdict(self: Any, session_id: str) -> str:
    """Recompute the liveness verdict from the stored trace; this verdict is the one that counts."""
    from capture.liveness_settings import liveness_config

    from capture.liveness import recompute_verdict

    session = VerificationSession.objects.select_related("outlet").get(pk=session_id)
    if session.state != SessionState.LIVENESS_RUNNING:
        return session.state
    raw_trace = _evidence_bytes(session, EvidenceKind.LIVENESS_TRACE)
    if raw_trace is None:
        services.liveness_verdict_apply(session_id=session_id, passed=False, reasons=["no_trace"], detail={})
        return SessionState.LIVENESS_FAILED
    verdict = recompute_verdict(json.loads(raw_trace), tuple(session.challenge_plan), liveness_config())
    has_frame = Evidence.objects.filter(session=session, kind=EvidenceKind.LIVE_FRAME).exists()
    reasons = list(verdict.reasons)
    passed = verdict.passed and has_frame
    if verdict.passed and not has_frame:
        reasons.append("no_live_frame")
    services.liveness_verdict_apply(session_id=session_id, passed=passed, reasons=reasons, detail=verdict.summary())
    return SessionState.LIVENESS_PASSED if passed else SessionState.LIVENESS_FAILED


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True,
    retry_backoff_max=30,
    max_retries=5,
    soft_time_limit=60,
    time_limit=90,
)
def match_faces(self: Any, session_id: str) -> str:
    """Match the live frame 1:1 against the session's own ID portrait and decide."""
    from .face_matching import FaceMatchError, decide, get_matcher
    from .images import decode_jpeg

    session = services.matching_begin(session_id=session_id)
    if session is None:
        return VerificationSession.objects.values_list("state", flat=True).get(pk=session_id)
    portrait = _evidence_bytes(session, EvidenceKind.ID_PORTRAIT)
    live_frame = _evidence_bytes(session, EvidenceKind.LIVE_FRAME)
    if portrait is None or live_frame is None:
        services.match_apply(
            session_id=session_id,
            decision="manual_review",
            reasons=["evidence_missing"],
            distance=None,
            threshold=None,
            model="",
            detail={},
        )
        return SessionState.MANUAL_REVIEW
    try:
        result = get_matcher().match(decode_jpeg(portrait), decode_jpeg(live_frame))
    except SoftTimeLimitExceeded:
        services.match_apply(
            session_id=session_id,
            decision="manual_review",
            reasons=["match_timeout"],
            distance=None,
            threshold=None,
            model="",
            detail={},
        )
        return SessionState.MANUAL_REVIEW
    except FaceMatchError as exc:
        services.match_apply(
            session_id=session_id,
            decision="manual_review",
            reasons=[exc.code],
            distance=None,
            threshold=None,
            model="",
            detail={"error": str(exc)},
        )
        return SessionState.MANUAL_REVIEW
    outcome = decide(result)
    services.match_apply(
        session_id=session_id,
        decision=outcome.decision,
        reasons=list(outcome.reasons),
        distance=result.distance,
        threshold=result.threshold,
        model=result.model,
        detail=result.summary(),
    )
    return outcome.decision


@shared_task(acks_late=True, autoretry_for=TRANSIENT_ERRORS, retry_backoff=True, max_retries=3)
def expire_stale_sessions() -> int:
    return services.sessions_expire_stale()


@shared_task(acks_late=True, autoretry_for=TRANSIENT_ERRORS, retry_backoff=True, max_retries=3)
def purge_expired_evidence() -> int:
    return services.evidence_purge()

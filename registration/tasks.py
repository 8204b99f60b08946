"""Celery tasks. They take ids only, re-read state, and are idempotent (safe with acks_late)."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
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


# Idempotent tasks (they re-read state and do nothing twice), so acks_late and retries are safe.
JUDGEMENT_TASK_OPTIONS: dict[str, Any] = {
    "bind": True,
    "acks_late": True,
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": True,
    "retry_backoff_max": 30,
    "max_retries": 5,
}


@shared_task(**JUDGEMENT_TASK_OPTIONS, soft_time_limit=30, time_limit=45)
def liveness_verdict(self: Any, session_id: str) -> str:
    """Recompute the liveness verdict from the stored trace; this verdict is the one that counts."""
    from liveness import ChallengePlan, LivenessConfig, recompute_verdict

    from .liveness_settings import liveness_config

    session = VerificationSession.objects.select_related("outlet").get(pk=session_id)
    if session.state != SessionState.LIVENESS_RUNNING or session.liveness_finished_at is None:
        return str(session.state)  # already judged, or the capture has not finished
    raw_trace = _evidence_bytes(session, EvidenceKind.LIVENESS_TRACE)
    if raw_trace is None:
        services.liveness_verdict_apply(session_id=session_id, passed=False, reasons=["no_trace"], detail={})
        return SessionState.LIVENESS_FAILED
    trace = json.loads(raw_trace)
    plan = ChallengePlan.parse(session.challenge_plan)
    # Judge with the thresholds the capture ran with (stored with the trace), else today's settings.
    config = LivenessConfig.from_dict(trace["config"]) if "config" in trace else liveness_config()
    verdict = recompute_verdict(trace, plan, config)
    reasons = [reason.value for reason in verdict.reasons]
    has_frame = Evidence.objects.filter(session=session, kind=EvidenceKind.LIVE_FRAME).exists()
    passed = verdict.passed and has_frame
    if verdict.passed and not has_frame:
        reasons.append("no_live_frame")
    services.liveness_verdict_apply(session_id=session_id, passed=passed, reasons=reasons, detail=verdict.to_dict())
    return SessionState.LIVENESS_PASSED if passed else SessionState.LIVENESS_FAILED


@shared_task(**JUDGEMENT_TASK_OPTIONS, soft_time_limit=60, time_limit=90)
def match_faces(self: Any, session_id: str) -> str:
    """Match the live frame 1:1 against the session's own ID portrait and decide (idempotent)."""
    from .face_matching import FaceMatchingError, ModelUnavailable, get_matcher
    from .face_matching.policy import DecisionBand, MatchPolicy, decide
    from .policy import effective_policy

    session = services.matching_begin(session_id=session_id)
    if session is None:  # already decided, or the liveness verdict did not pass
        return str(VerificationSession.objects.values_list("state", flat=True).get(pk=session_id))
    portrait = _evidence_bytes(session, EvidenceKind.ID_PORTRAIT)
    live_frame = _evidence_bytes(session, EvidenceKind.LIVE_FRAME)
    if portrait is None or live_frame is None:
        return _to_manual_review(session_id, "evidence_missing")
    try:
        result = get_matcher().match(portrait, live_frame)
    except SoftTimeLimitExceeded:
        return _to_manual_review(session_id, "match_timeout")
    except ModelUnavailable as exc:
        # A deployment fault: the case goes to a person, and the task fails loudly for the operators.
        _to_manual_review(session_id, exc.reason_code, error=str(exc))
        raise
    except FaceMatchingError as exc:
        return _to_manual_review(session_id, exc.reason_code, error=str(exc))
    policy = effective_policy()
    outcome = decide(result.distance, MatchPolicy(policy.face_accept_threshold, policy.face_reject_threshold))
    decision = {DecisionBand.APPROVE: "approved", DecisionBand.REJECT: "rejected"}.get(outcome.band, "manual_review")
    services.match_apply(
        session_id=session_id,
        decision=decision,
        reasons=list(outcome.reason_codes),
        distance=result.distance,
        threshold=policy.face_accept_threshold,
        model=result.model,
        detail={
            "distance_metric": result.distance_metric,
            "accept_threshold": policy.face_accept_threshold,
            "reject_threshold": policy.face_reject_threshold,
            "reference_detector": result.reference_detector,
            "probe_detector": result.probe_detector,
            "timings_ms": asdict(result.timings),
        },
    )
    return decision


def _to_manual_review(session_id: str, reason: str, *, error: str = "") -> str:
    services.match_apply(
        session_id=session_id,
        decision="manual_review",
        reasons=[reason],
        distance=None,
        threshold=None,
        model="",
        detail={"error": error} if error else {},
    )
    return SessionState.MANUAL_REVIEW


@shared_task(acks_late=True, autoretry_for=TRANSIENT_ERRORS, retry_backoff=True, max_retries=3)
def expire_stale_sessions() -> int:
    return services.sessions_expire_stale()


@shared_task(acks_late=True, autoretry_for=TRANSIENT_ERRORS, retry_backoff=True, max_retries=3)
def purge_expired_evidence() -> int:
    return services.evidence_purge()

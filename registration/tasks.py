"""Celery tasks. They take ids only and call a service, which re-reads state and does nothing twice
(so acks_late and retries are safe). The rules live in `services.judgement`."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import InterfaceError, OperationalError

from . import services, task_names

# Errors worth a retry: the database or the broker blinked. Anything else is a bug or bad data.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (OperationalError, InterfaceError, ConnectionError, TimeoutError)

# Idempotent tasks (they re-read state and do nothing twice), so acks_late and retries are safe.
JUDGEMENT_TASK_OPTIONS: dict[str, Any] = {
    "bind": True,
    "acks_late": True,
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": True,
    "retry_backoff_max": 30,
    "max_retries": 5,
}
# The beat sweeps: idempotent too, and harmless to run again a minute later.
SWEEP_TASK_OPTIONS: dict[str, Any] = {
    "acks_late": True,
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": True,
    "max_retries": 3,
}


@shared_task(**JUDGEMENT_TASK_OPTIONS, name=task_names.LIVENESS_VERDICT, soft_time_limit=30, time_limit=45)
def liveness_verdict(self: Any, session_id: str) -> str:
    """Recompute the liveness verdict from the stored trace; this verdict is the one that counts."""
    return services.liveness_judge(session_id=session_id)


@shared_task(**JUDGEMENT_TASK_OPTIONS, name=task_names.EMBED_REFERENCE, soft_time_limit=30, time_limit=45)
def embed_reference(self: Any, session_id: str) -> bool:
    """Embed the document portrait while the customer does the challenge (kept in Redis, never stored)."""
    return services.reference_embed(session_id=session_id)


@shared_task(**JUDGEMENT_TASK_OPTIONS, name=task_names.MATCH_FACES, soft_time_limit=60, time_limit=90)
def match_faces(self: Any, session_id: str) -> str:
    """Match the live frame 1:1 against the session's own ID portrait and decide (idempotent)."""
    try:
        return services.faces_match(session_id=session_id)
    except SoftTimeLimitExceeded:
        return services.match_to_manual_review(session_id=session_id, reason="match_timeout")


@shared_task(name=task_names.EXPIRE_STALE_SESSIONS, **SWEEP_TASK_OPTIONS)
def expire_stale_sessions() -> int:
    return services.sessions_expire_stale()


@shared_task(name=task_names.RECOVER_ATTEMPTS, **SWEEP_TASK_OPTIONS)
def recover_attempts() -> dict[str, int]:
    return services.attempts_recover()


@shared_task(name=task_names.PURGE_EXPIRED_EVIDENCE, **SWEEP_TASK_OPTIONS)
def purge_expired_evidence() -> int:
    return services.evidence_purge()


@shared_task(name=task_names.ENFORCE_RETENTION, **SWEEP_TASK_OPTIONS, time_limit=600)
def enforce_retention() -> dict[str, int]:
    """Every open session's maximum age, the evidence purge and the identities' erasure (idempotent)."""
    return services.retention_enforce()

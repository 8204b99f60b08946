"""Tasks run by a real Celery worker process against the test PostgreSQL and Redis."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from registration import services
from registration.models import AuditEvent, Evidence, EvidenceKind, VerificationSession
from registration.tasks import expire_stale_sessions, purge_expired_evidence
from tests.conftest import wait_until

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_worker_expires_stale_sessions_once(
    celery_worker_process: Any, new_session: Callable[..., VerificationSession]
) -> None:
    stale, fresh = new_session(), new_session()
    VerificationSession.objects.filter(pk=stale.pk).update(expires_at=timezone.now() - timedelta(seconds=5))
    for _ in range(2):  # twice: the second run finds nothing left to do
        expire_stale_sessions.delay()
    assert wait_until(lambda: VerificationSession.objects.get(pk=stale.pk).state == "expired")
    assert wait_until(lambda: AuditEvent.objects.filter(object_id=str(stale.pk), action="session.expired").count() == 1)
    assert VerificationSession.objects.get(pk=fresh.pk).state == "created"


def test_worker_purges_evidence_after_retention(
    celery_worker_process: Any, new_session: Callable[..., VerificationSession], clerk: Any
) -> None:
    old, recent = new_session(), new_session()
    for session in (old, recent):
        services.evidence_store(
            session=session, kind=EvidenceKind.ID_PORTRAIT, content=b"jpeg", content_type="image/jpeg"
        )
        services.session_cancel(session_id=session.pk, actor=clerk)
    VerificationSession.objects.filter(pk=old.pk).update(evidence_purge_after=timezone.now() - timedelta(minutes=1))
    for _ in range(2):
        purge_expired_evidence.delay()
    assert wait_until(lambda: not Evidence.objects.filter(session=old).exists())
    assert wait_until(lambda: AuditEvent.objects.filter(object_id=str(old.pk), action="evidence.purged").count() == 1)
    assert Evidence.objects.filter(session=recent).count() == 1

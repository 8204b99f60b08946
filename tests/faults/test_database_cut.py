"""PostgreSQL briefly unavailable during a write: a TCP proxy in front of it is cut in the middle of an
API request's transaction and under a worker's task. The request fails cleanly (503 JSON) with nothing
half-written, the task retries, and after the proxy comes back everything works."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import timedelta
from typing import Any
from unittest.mock import patch

import pytest
from celery import Celery
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from registration import audit as audit_module
from registration import task_names
from registration.models import AuditEvent, Subscriber, VerificationSession
from registration.services import registrations, transitions
from registration.state_machine import SessionState
from tests.processes import database_url_for, wait_until
from tests.security.snapshot import database_snapshot

from .conftest import fault_injected, sessions_lost
from .services import CeleryWorker, TcpProxy

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

S = SessionState


def _postgres_address() -> tuple[str, int]:
    return connection.settings_dict.get("HOST") or "127.0.0.1", int(connection.settings_dict.get("PORT") or 5432)


@pytest.fixture
def proxied_connection(transactional_db: None) -> Iterator[TcpProxy]:
    """This process's database connection goes through a proxy the test can cut."""
    proxy = TcpProxy(*_postgres_address())
    original = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update(HOST="127.0.0.1", PORT=str(proxy.port))
    yield proxy
    proxy.restore()
    connection.close()
    connection.settings_dict.update(HOST=original["HOST"], PORT=original["PORT"])
    proxy.close()


def _cut_when(proxy: TcpProxy, action: str) -> Any:
    """Patch the audit writer to cut the proxy just before it writes `action`: mid-transaction."""
    real_audit = audit_module.audit

    def audit_then_cut(**kwargs: Any) -> Any:
        if kwargs["action"] == action:
            proxy.cut()
            fault_injected()
        return real_audit(**kwargs)

    patches = ExitStack()
    for module in (registrations, transitions):  # where session.created and every move are audited
        patches.enter_context(patch.object(module, "audit", audit_then_cut))
    return patches


def _snapshot_after_restore(proxy: TcpProxy) -> dict[str, Any]:
    proxy.restore()
    connection.close()  # a broken connection is replaced, as at the start of the next request
    return database_snapshot()


def test_database_lost_mid_registration_is_a_clean_503_and_nothing_half_written(
    proxied_connection: TcpProxy, clerk: Any, registration_input: Callable[..., dict[str, Any]]
) -> None:
    proxy = proxied_connection
    client = APIClient()
    client.force_login(clerk)
    before = database_snapshot()
    data = registration_input()

    with _cut_when(proxy, "session.created"):  # after the subscriber and session rows, before the audit
        response = client.post("/api/sessions/", data, format="json")

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "unavailable"
    assert _snapshot_after_restore(proxy) == before  # no identity, subscriber or session row survived

    again = client.post("/api/sessions/", data, format="json")
    assert again.status_code == 201, again.json()
    assert Subscriber.objects.count() == before["registration.Subscriber"] + 1
    assert not sessions_lost([again.json()["id"]])


def test_database_lost_mid_consent_leaves_the_session_as_it_was(
    proxied_connection: TcpProxy, clerk: Any, make_session: Callable[..., VerificationSession]
) -> None:
    proxy = proxied_connection
    session = make_session(state=S.DOCUMENT_CAPTURED, portrait=b"\xff\xd8portrait")  # the tablet handed over
    client = APIClient()
    client.force_login(clerk)
    before = database_snapshot()
    consent = {"consent_version": "3", "language": "zh-hans"}

    with _cut_when(proxy, "session.consented"):  # after the consent record, before the audit
        response = client.post(f"/api/sessions/{session.pk}/consent/", consent, format="json")

    assert response.status_code == 503
    assert _snapshot_after_restore(proxy) == before
    session.refresh_from_db()
    assert session.state == S.DOCUMENT_CAPTURED
    assert not session.consents.exists()

    assert client.post(f"/api/sessions/{session.pk}/consent/", consent, format="json").status_code == 200
    assert session.consents.count() == 1
    assert not sessions_lost([session.pk])


def test_database_down_before_a_request_is_a_clean_503(
    proxied_connection: TcpProxy, clerk: Any, make_session: Callable[..., VerificationSession]
) -> None:
    proxy = proxied_connection
    session = make_session()
    client = APIClient()
    client.force_login(clerk)
    proxy.cut()
    fault_injected()
    connection.close()
    for method, path in (("get", "/api/sessions/"), ("post", f"/api/sessions/{session.pk}/cancel/")):
        response = getattr(client, method)(path, {}, format="json") if method == "post" else client.get(path)
        assert response.status_code == 503, response.content[:300]
        assert response.json()["error"]["code"] == "unavailable"
    proxy.restore()
    connection.close()
    assert client.get("/api/sessions/").status_code == 200
    session.refresh_from_db()
    assert session.state == S.CREATED  # the cut cancel changed nothing
    assert not sessions_lost([session.pk])


def test_a_task_retries_while_the_database_is_away_and_writes_once(
    broker: Celery,
    start_worker: Callable[..., CeleryWorker],
    make_session: Callable[..., VerificationSession],
) -> None:
    host, port = _postgres_address()
    worker_proxy = TcpProxy(host, port)
    try:
        url = database_url_for({**connection.settings_dict, "HOST": "127.0.0.1", "PORT": worker_proxy.port})
        worker = start_worker("db-cut", database_url=url)
        stale = make_session()
        VerificationSession.objects.filter(pk=stale.pk).update(expires_at=timezone.now() - timedelta(seconds=5))

        worker_proxy.cut()
        fault_injected()
        broker.send_task(task_names.EXPIRE_STALE_SESSIONS)
        assert wait_until(lambda: "Retry in" in worker.log(), timeout=30), worker.log()[-3000:]
        assert VerificationSession.objects.get(pk=stale.pk).state == S.CREATED  # nothing written meanwhile
        threading.Timer(0.5, worker_proxy.restore).start()

        assert wait_until(lambda: VerificationSession.objects.get(pk=stale.pk).state == S.EXPIRED, timeout=60), (
            worker.log()[-3000:]
        )
        assert AuditEvent.objects.filter(object_id=str(stale.pk), action="session.expired").count() == 1
        assert not sessions_lost([stale.pk])
    finally:
        worker_proxy.close()

"""Redis restarted during a session (its own redis-server, which loses everything on restart): the Celery
worker reconnects and processes a task sent after the restart; the channel layer reconnects, a lost push
never undoes a committed change, and a page that reconnects sees the current state and later pushes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from celery import Celery
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from capture.routing import websocket_urlpatterns
from registration import services, task_names
from registration.models import AuditEvent, VerificationSession
from registration.state_machine import SessionState
from tests.processes import wait_until

from .conftest import fault_injected, sessions_lost
from .services import CeleryWorker, RedisServer

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

S = SessionState
ROUTES = URLRouter(websocket_urlpatterns)


def _stale(make_session: Callable[..., VerificationSession]) -> VerificationSession:
    session = make_session()
    VerificationSession.objects.filter(pk=session.pk).update(expires_at=timezone.now() - timedelta(seconds=5))
    return session


def _state(session: VerificationSession) -> str:
    return str(VerificationSession.objects.values_list("state", flat=True).get(pk=session.pk))


def test_worker_reconnects_and_processes_a_task_sent_after_the_restart(
    broker: Celery,
    private_redis: RedisServer,
    start_worker: Callable[..., CeleryWorker],
    make_session: Callable[..., VerificationSession],
) -> None:
    worker = start_worker("redis-restart")
    before = _stale(make_session)
    broker.send_task(task_names.EXPIRE_STALE_SESSIONS)
    assert wait_until(lambda: _state(before) == S.EXPIRED, timeout=30)

    private_redis.restart(down_seconds=2.0)
    fault_injected()
    after = _stale(make_session)
    broker.send_task(task_names.EXPIRE_STALE_SESSIONS)  # the client reconnects on its own

    assert wait_until(lambda: _state(after) == S.EXPIRED, timeout=90), worker.log()[-3000:]
    assert "Connection to broker lost" in worker.log()
    assert AuditEvent.objects.filter(object_id=str(after.pk), action="session.expired").count() == 1
    assert not sessions_lost([before.pk, after.pk])


@pytest.fixture
def private_channel_layer(settings: Any, private_redis: RedisServer) -> None:
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": settings.REDIS_CHANNEL_LAYER,
            "CONFIG": {"hosts": [private_redis.url], "prefix": "shiming-faults"},
        }
    }


def test_pages_reconnect_after_the_channel_layer_restarts(
    private_channel_layer: None,
    private_redis: RedisServer,
    clerk: Any,
    make_session: Callable[..., VerificationSession],
) -> None:
    session = make_session(state=S.DOCUMENT_CAPTURED, portrait=b"\xff\xd8portrait")  # the tablet handed over
    path = f"/ws/sessions/{session.pk}/"

    async def page() -> WebsocketCommunicator:
        communicator = WebsocketCommunicator(ROUTES, path)
        communicator.scope["user"] = clerk
        connected, _ = await communicator.connect(timeout=5)
        assert connected
        return communicator

    async def before_restart() -> dict[str, Any]:
        communicator = await page()
        try:
            return dict(await communicator.receive_json_from(timeout=5))
        finally:
            await communicator.disconnect()

    assert async_to_sync(before_restart)()["session"]["state"] == S.DOCUMENT_CAPTURED

    private_redis.restart(down_seconds=1.0)
    fault_injected()
    # A change made right after the restart commits whatever happens to its push.
    services.consent_record(session_id=session.pk, actor=clerk, consent_version="3", language="zh-hans")
    assert _state(session) == S.CONSENTED

    async def after_restart() -> tuple[dict[str, Any], dict[str, Any]]:
        communicator = await page()
        try:
            current = await communicator.receive_json_from(timeout=5)
            await database_sync_to_async(services.session_cancel)(session_id=session.pk, actor=clerk)
            pushed = await communicator.receive_json_from(timeout=5)
            return current, pushed
        finally:
            await communicator.disconnect()

    current, pushed = async_to_sync(after_restart)()
    assert current["session"]["state"] == S.CONSENTED  # the reconnecting page reads the current state
    assert pushed["session"]["state"] == S.CANCELLED  # and gets pushes again
    assert not sessions_lost([session.pk])

"""Fixtures for the fault tests (services they start themselves), the check that every session is still
valid after a fault, and the fault counts in the terminal summary."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from _pytest.terminal import TerminalReporter
from celery import Celery

from registration.models import AuditEvent, VerificationSession
from registration.state_machine import FINAL_STATES, SessionState
from tests.processes import database_url_for

from .services import CeleryWorker, RedisServer


@dataclass
class FaultCounts:
    injected: int = 0
    sessions_checked: int = 0
    sessions_lost: int = 0


counts = FaultCounts()


def pytest_terminal_summary(terminalreporter: TerminalReporter, exitstatus: int, config: pytest.Config) -> None:
    if counts.injected or counts.sessions_checked:
        terminalreporter.section("faults")
        terminalreporter.write_line(
            f"faults injected: {counts.injected}, sessions checked after them: {counts.sessions_checked}, "
            f"sessions lost: {counts.sessions_lost}"
        )


def fault_injected(times: int = 1) -> None:
    counts.injected += times


def sessions_lost(session_ids: Iterable[Any]) -> list[str]:
    """Sessions that vanished or are not in a valid state, with why; counted in the summary.

    Valid: the session exists, its state is one of the state machine's, and its fields agree with
    the state (a final state has its decision time, an approved one an active subscriber, ...).
    """
    problems: list[str] = []
    ids = [str(session_id) for session_id in session_ids]
    found = {str(session.pk): session for session in VerificationSession.objects.filter(pk__in=ids)}
    for session_id in ids:
        session = found.get(session_id)
        problems.extend(_problems(session_id, session))
    counts.sessions_checked += len(ids)
    counts.sessions_lost += len({problem.split(":")[0] for problem in problems})
    return problems


def _problems(session_id: str, session: VerificationSession | None) -> list[str]:
    if session is None:
        return [f"{session_id}: gone"]
    state = session.state
    checks = {
        "unknown state": state not in SessionState.values,
        "final without decided_at": state in FINAL_STATES and session.decided_at is None,
        "approved but subscriber not active": state == SessionState.APPROVED and session.subscriber.status != "active",
        "matching without matching_started_at": state == SessionState.MATCHING and session.matching_started_at is None,
        "state not audited": not AuditEvent.objects.filter(object_id=session_id, action=f"session.{state}").exists(),
    }
    return [f"{session_id}: {name} ({state})" for name, failed in checks.items() if failed]


@pytest.fixture(scope="module")
def fault_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("faults")


@pytest.fixture(scope="module")
def private_redis(fault_folder: Path) -> Iterator[RedisServer]:
    """This module's own redis-server on a spare port (broker and channel layer)."""
    server = RedisServer(fault_folder)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def broker(private_redis: RedisServer) -> Iterator[Celery]:
    """A Celery client that sends the product's tasks to the private Redis, routed as the product's app."""
    from config.celery_app import app as product

    app = Celery("fault-tests", broker=private_redis.url, set_as_current=False)
    app.conf.task_routes = product.conf.task_routes
    app.conf.task_default_queue = product.conf.task_default_queue
    yield app
    app.close()


@pytest.fixture
def start_worker(
    django_db_setup: None, fault_folder: Path, private_redis: RedisServer
) -> Iterator[Callable[..., CeleryWorker]]:
    """Start Celery workers on the test database and the private Redis; all are stopped at the end."""
    from django.db import connection

    started: list[CeleryWorker] = []

    def start(
        name: str, *, queues: str = "default", database_url: str = "", visibility_timeout: int = 300
    ) -> CeleryWorker:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": database_url or database_url_for(connection.settings_dict),
            "REDIS_URL": private_redis.url,
            "CELERY_VISIBILITY_TIMEOUT": str(visibility_timeout),
            "PYTHONUNBUFFERED": "1",
        }
        worker = CeleryWorker(fault_folder, name=name, queues=queues, env=env)
        started.append(worker)
        worker.start()
        return worker

    yield start
    for worker in started:
        worker.stop()

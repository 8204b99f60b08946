"""The registration tests use the shared fixtures of tests/conftest.py (outlets, staff of each role,
API clients, sessions) and, for the tasks, a real Celery worker."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from tests.processes import database_url_for, flush_test_redis, running_celery_worker


@pytest.fixture(scope="session")
def celery_worker_process(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[subprocess.Popen[bytes]]:
    """A real Celery worker (prefork, both queues) on the test database and the test Redis database.

    Tests that use it need committed data: use `transactional_db`. Its log is at `worker.log_path`.
    """
    from django.db import connection

    flush_test_redis()
    log_path = tmp_path_factory.mktemp("celery") / "worker.log"
    database_url = database_url_for(connection.settings_dict)
    with running_celery_worker(
        log_path, database_url=database_url, queues="default,face", name="test-worker"
    ) as worker:
        worker.log_path = log_path  # type: ignore[attr-defined]
        yield worker

"""The worker start-up hook: which workers warm the face matcher."""

from __future__ import annotations

from pathlib import Path

import pytest

from registration.worker import serves_face_queue
from tests.processes import database_url_for, running_celery_worker, wait_until


@pytest.mark.parametrize(
    ("queues", "expected"),
    [
        (None, True),  # no -Q: the worker serves every queue, face included
        ("", True),
        (" , ", True),
        ([], True),
        ("face", True),
        ("default,face", True),
        ("default, face", True),
        (["default", "face"], True),
        ("default", False),
        (["default"], False),
    ],
)
def test_serves_face_queue(queues: str | list[str] | None, expected: bool) -> None:
    assert serves_face_queue(queues) is expected


@pytest.mark.worker
@pytest.mark.model
def test_a_worker_started_without_queues_warms_the_matcher(django_db_setup: None, tmp_path: Path) -> None:
    from django.db import connection

    log_path = tmp_path / "worker.log"
    database_url = database_url_for(connection.settings_dict)
    with running_celery_worker(log_path, database_url=database_url, queues=None, name="all-queues"):
        warmed = wait_until(lambda: "face matcher warmed up" in log_path.read_text(errors="replace"), timeout=120)
    assert warmed, log_path.read_text(errors="replace")[-4000:]

"""The e2e stack flushes the database only once the server and worker it ran are quiet
(tests/e2e/conftest.py `stack`): a flush that ran into the transaction a closed page had left the
server deadlocked (CI, test_with_two_cameras_the_choice_is_offered_and_remembered's teardown)."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest
from django.db import connection

from tests.conftest import other_busy_connections, wait_for_quiet_database

pytestmark = pytest.mark.django_db(transaction=True)


def other_process_connection() -> psycopg.Connection[tuple[object, ...]]:
    settings = connection.settings_dict
    return psycopg.connect(
        host=settings["HOST"], port=settings["PORT"] or 5432, user=settings["USER"], dbname=settings["NAME"]
    )


def test_the_flush_waits_for_another_process_transaction_to_end() -> None:
    with other_process_connection() as other:
        other.execute("SELECT count(*) FROM registration_verificationsession")  # a transaction, holding its lock
        assert other_busy_connections() == 1
        committing_at: list[float] = []

        def commit_later() -> None:
            time.sleep(0.5)
            committing_at.append(time.monotonic())
            other.commit()

        thread = threading.Thread(target=commit_later)
        thread.start()
        assert wait_for_quiet_database(timeout=10)
        quiet_at = time.monotonic()
        thread.join()

    assert committing_at
    assert quiet_at >= committing_at[0]


def test_an_idle_connection_does_not_hold_the_flush() -> None:
    with other_process_connection() as other:
        other.execute("SELECT 1")
        other.commit()
        assert other_busy_connections() == 0
        assert wait_for_quiet_database(timeout=1)

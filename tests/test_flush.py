"""The flush that ends a transactional test outlasts a deadlock with a server or worker the suite
runs in a subprocess (tests/flush.py, installed for every test by tests/conftest.py): a TRUNCATE
that PostgreSQL aborts to break a deadlock with another connection's transaction (as a capture
page's server left it after the browser closed) runs again once that transaction has ended."""

from __future__ import annotations

import re
import threading
import time

import psycopg
import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.core.management.color import no_style
from django.core.management.sql import sql_flush
from django.db import DatabaseError, connection, connections
from psycopg.sql import SQL, Identifier

from tests.flush import flush_until_done, other_busy_connections, wait_for_quiet_database
from tests.processes import wait_until

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


def flush_tables() -> list[str]:
    """The tables of flush's TRUNCATE, in the order it locks them."""
    return re.findall(r'"([^"]+)"', sql_flush(no_style(), connection)[0])


def flush_waits_for_a_lock_on(table: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = %s::regclass", [f'"{table}"'])
        return int(cursor.fetchone()[0]) == 1


def test_a_flush_that_deadlocks_with_another_process_runs_again_once_it_has_ended() -> None:
    first, last = flush_tables()[0], flush_tables()[-1]
    # flush's table order follows string hashing, so `first` may be a table its post_migrate fills
    # again (permissions, content types): what must be gone is a row the test wrote
    Group.objects.create(name="flushed")
    outcome: dict[str, object] = {}

    def flush() -> None:
        try:
            outcome["attempts"] = flush_until_done(lambda: call_command("flush", verbosity=0, interactive=False))
        except (CommandError, DatabaseError) as error:  # the test's assertion reports it
            outcome["error"] = error
        finally:
            connections.close_all()

    with other_process_connection() as other:
        other.execute("SET deadlock_timeout = '20s'")  # PostgreSQL aborts the flush, which waits 1 s
        other.execute(SQL("SELECT 1 FROM {} LIMIT 1").format(Identifier(last)))  # a transaction holding the last table
        thread = threading.Thread(target=flush)
        thread.start()
        assert wait_until(lambda: flush_waits_for_a_lock_on(last), timeout=10), "the flush did not reach the table"
        other.execute(
            SQL("SELECT 1 FROM {} LIMIT 1").format(Identifier(first))
        )  # waits for the flush, which waits for it: a deadlock
        other.commit()
        thread.join(timeout=60)
        assert not thread.is_alive(), "the flush did not end within 60 s"
        left = other.execute(SQL("SELECT count(*) FROM {}").format(Identifier(Group._meta.db_table))).fetchone()

    assert "error" not in outcome, outcome.get("error")
    assert outcome["attempts"] == 2  # aborted once by the deadlock, done the second time
    assert left == (0,)


def test_every_transactional_test_ends_with_the_flush_that_runs_again() -> None:
    from django.test import TransactionTestCase

    teardown = TransactionTestCase._fixture_teardown  # type: ignore[attr-defined]  # noqa: SLF001 - what pytest-django calls
    assert teardown.__qualname__ == "flushes_outlast_deadlocks.<locals>.fixture_teardown"

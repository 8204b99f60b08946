"""The flush that ends every transactional test, made to outlast a deadlock with a subprocess.

A transactional test ends with a flush: one TRUNCATE of every table. A server or worker the suite
runs in a subprocess may still be writing what the test's closed page left it (a socket's end is
handled after the browser has gone); its transaction and the TRUNCATE can lock two tables in
opposite orders, and PostgreSQL then aborts one of them. When that is the flush, it runs again once
the other transaction has ended. Django has no hook for this, so `flushes_outlast_deadlocks` wraps
its private `TransactionTestCase._fixture_teardown`: the one place the suite touches it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from tests.processes import wait_until

DEADLOCK_DETECTED = "40P01"  # PostgreSQL's SQLSTATE for a statement aborted to break a deadlock
FLUSH_ATTEMPTS = 5


def other_busy_connections() -> int:
    """Connections of other processes (a test's server or worker) to this test database that are
    running a statement or hold a transaction open."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND backend_type = 'client backend' AND state <> 'idle'"
        )
        return int(cursor.fetchone()[0])


def wait_for_quiet_database(timeout: float = 15.0) -> bool:
    """Wait until no other process is inside a transaction on the test database (before a flush)."""
    return wait_until(lambda: other_busy_connections() == 0, timeout=timeout, interval=0.05)


def is_deadlock(error: BaseException) -> bool:
    """Whether PostgreSQL aborted the statement behind `error` to break a deadlock (the psycopg error
    is the cause of Django's OperationalError, itself the cause of flush's CommandError)."""
    seen: BaseException | None = error
    for _ in range(10):
        if seen is None:
            return False
        if getattr(seen, "sqlstate", None) == DEADLOCK_DETECTED:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def flush_until_done(flush: Callable[[], object], attempts: int = FLUSH_ATTEMPTS) -> int:
    """Run `flush`; when PostgreSQL aborts it to break a deadlock with another process's transaction,
    wait for that process to finish and run it again. Returns the attempts it took."""
    for attempt in range(1, attempts):
        try:
            flush()
            return attempt
        except Exception as error:
            if not is_deadlock(error):
                raise
            wait_for_quiet_database()
    flush()
    return attempts


@contextmanager
def flushes_outlast_deadlocks() -> Iterator[None]:
    """While open, every TransactionTestCase teardown flush goes through `flush_until_done`."""
    from django.test import TransactionTestCase

    original = TransactionTestCase._fixture_teardown  # type: ignore[attr-defined]  # noqa: SLF001 - every flush

    def fixture_teardown(self: TransactionTestCase) -> None:
        flush_until_done(lambda: original(self))

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(TransactionTestCase, "_fixture_teardown", fixture_teardown)
        yield

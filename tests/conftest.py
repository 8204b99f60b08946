"""Fixtures shared by the whole suite."""

from __future__ import annotations

import ctypes.util
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from registration.models import Outlet, VerificationSession
from registration.roles import CLERK, SUPERVISOR
from registration.state_machine import SessionState
from tests import factories
from tests.factories import OutletFactory

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def testdata_root() -> Path:
    """The shared test data folder: $SHIMING_TESTDATA, default ../shared/testdata."""
    configured = os.environ.get("SHIMING_TESTDATA", str(PROJECT_ROOT.parent / "shared" / "testdata"))
    return Path(configured).resolve()


# Under .ci/run (SHIMING_REQUIRE_TESTDATA=1: the data is there and ensure-services installed the tools)
# what a test needs and lacks fails it; a developer's clone without it skips with the reason.
CI_RUN = os.environ.get("SHIMING_REQUIRE_TESTDATA") == "1"


# What a fresh process should not inherit from the suite: its Django settings and native log levels.
SUITE_ONLY_VARIABLES = ("DJANGO_", "TF_", "GLOG_")


def run_python(
    code: str,
    env: Mapping[str, str] | None = None,
    *,
    without: tuple[str, ...] = SUITE_ONLY_VARIABLES,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """`python -c code` in a fresh process from the project root: this process's environment less
    the variables whose names start with one of `without`, plus `env`."""
    clean = {key: value for key, value in os.environ.items() if not key.startswith(without)}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT_ROOT,
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def needs_tool(command: str, reason: str) -> pytest.MarkDecorator:
    """Skip where `command` is not installed (a developer's clone), never under .ci/run."""
    return pytest.mark.skipif(shutil.which(command) is None and not CI_RUN, reason=reason)


def needs_library(name: str, reason: str) -> pytest.MarkDecorator:
    """Skip where the shared library `name` (as `ctypes.util.find_library` takes it, "jemalloc") is
    not installed (a developer's clone), never under .ci/run."""
    return pytest.mark.skipif(ctypes.util.find_library(name) is None and not CI_RUN, reason=reason)


@pytest.fixture(scope="session")
def testdata() -> Path:
    """Path to the shared test data; tests that need it skip where it is absent (a user's clone)."""
    root = testdata_root()
    if not (root / "manifest.csv").is_file():
        message = f"shared test data not found at {root} (set SHIMING_TESTDATA)"
        if CI_RUN:
            pytest.fail(message)
        pytest.skip(message)
    return root


def _flush_test_redis() -> None:
    import redis
    from django.conf import settings

    client = redis.Redis.from_url(settings.REDIS_URL)
    try:
        client.flushdb()
    finally:
        client.close()


@contextmanager
def running_celery_worker(
    log_path: Path, *, database_url: str, queues: str | None, name: str
) -> Iterator[subprocess.Popen[bytes]]:
    """Start a real Celery worker (prefork, one process) and wait for "ready."; stop it on exit.

    `queues` is the `-Q` argument; None starts the worker without `-Q`, serving every queue.
    """
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url,
        "PYTHONUNBUFFERED": "1",
    }
    command = [sys.executable, "-m", "celery", "-A", "config.celery_app", "worker"]
    if queues is not None:
        command += ["-Q", queues]
    command += [
        "-c",
        "1",
        "--pool",
        "prefork",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "-n",
        f"{name}-{os.getpid()}@%h",
        "--loglevel",
        "INFO",
    ]
    with log_path.open("wb") as log:
        worker = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 180
        while "ready." not in log_path.read_text(errors="replace"):
            if worker.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the Celery worker did not start:\n{log_path.read_text(errors='replace')[-4000:]}")
            time.sleep(0.2)
        yield worker
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


@pytest.fixture(scope="session")
def celery_worker_process(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[subprocess.Popen[bytes]]:
    """A real Celery worker (prefork, both queues) on the test database and the test Redis database.

    Tests that use it need committed data: use `transactional_db`. Its log is at `worker.log_path`.
    """
    from django.db import connection

    _flush_test_redis()
    log_path = tmp_path_factory.mktemp("celery") / "worker.log"
    database_url = _test_database_url_for(connection.settings_dict)
    with running_celery_worker(
        log_path, database_url=database_url, queues="default,face", name="test-worker"
    ) as worker:
        worker.log_path = log_path  # type: ignore[attr-defined]
        yield worker


def _test_database_url_for(settings_dict: dict[str, Any]) -> str:
    user = settings_dict.get("USER") or "postgres"
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{settings_dict['NAME']}"


def wait_until(predicate: Callable[[], bool], *, timeout: float = 60.0, interval: float = 0.1) -> bool:
    """Poll `predicate` until it is true or `timeout` seconds pass; returns the last answer."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


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


DEADLOCK_DETECTED = "40P01"  # PostgreSQL's SQLSTATE for a statement aborted to break a deadlock
FLUSH_ATTEMPTS = 5


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


@pytest.fixture(scope="session", autouse=True)
def flush_outlasts_a_deadlock() -> Iterator[None]:
    """A transactional test ends with a flush: one TRUNCATE of every table. A server or worker the
    suite runs in a subprocess may still be writing what the test's closed page left it (a socket's
    end is handled after the browser has gone); its transaction and the TRUNCATE can lock two
    tables in opposite orders, and PostgreSQL then aborts one of them. When that is the flush, it
    runs again once the other transaction has ended, for every test that flushes, whatever
    fixtures it used."""
    from django.test import TransactionTestCase

    original = TransactionTestCase._fixture_teardown  # type: ignore[attr-defined]  # noqa: SLF001 - every flush

    def fixture_teardown(self: TransactionTestCase) -> None:
        flush_until_done(lambda: original(self))

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(TransactionTestCase, "_fixture_teardown", fixture_teardown)
        yield


DATABASE_FIXTURES = (
    "db",
    "transactional_db",
    "live_server",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
)


@pytest.fixture(autouse=True)
def reference_rows(request: pytest.FixtureRequest) -> None:
    """The rows the data migrations create (roles, consent texts), present at the start of every
    database test: a transactional test ends with a flush that empties every table."""
    uses_database = request.node.get_closest_marker("django_db") is not None or any(
        name in request.fixturenames for name in DATABASE_FIXTURES
    )
    if not uses_database:
        return
    request.getfixturevalue("_django_db_helper")  # database access as the test asked for it
    from tests.reference_data import seed_reference_rows

    seed_reference_rows()


# --- people and sessions: the builders live in tests/factories.py ---------------------------------
# A folder that needs them differently (the capture tests need committed rows) overrides `outlet`
# or `make_session` in its own conftest, keeping the names.

SessionBuilder = Callable[..., VerificationSession]


@pytest.fixture
def outlet(db: None) -> Outlet:
    return cast(Outlet, OutletFactory())


@pytest.fixture
def other_outlet(db: None) -> Outlet:
    return cast(Outlet, OutletFactory())


@pytest.fixture
def clerk(outlet: Outlet) -> User:
    return factories.make_staff(CLERK, outlet=outlet)


@pytest.fixture
def supervisor(outlet: Outlet) -> User:
    return factories.make_staff(SUPERVISOR, outlet=outlet, is_staff=True)


@pytest.fixture
def other_clerk(other_outlet: Outlet) -> User:
    """A clerk of another outlet."""
    return factories.make_staff(CLERK, outlet=other_outlet)


@pytest.fixture
def client_for() -> Callable[[User | None], APIClient]:
    """An API client signed in as the given user (anonymous for None)."""

    def build(user: User | None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return build


@pytest.fixture
def registration_input() -> Callable[..., dict[str, Any]]:
    """Valid registration details; keyword arguments override fields."""
    return factories.registration_details


@pytest.fixture
def make_session(clerk: User) -> SessionBuilder:
    """`make_session(state=..., portrait=..., **details)`: a session of `clerk` in that state."""

    def build(state: str = SessionState.CREATED, portrait: bytes | None = None, **details: Any) -> VerificationSession:
        return factories.make_session(clerk=clerk, state=state, portrait=portrait, **details)

    return build


@pytest.fixture
def new_session(clerk: User) -> SessionBuilder:
    """`new_session(**details)`: a just-created session of `clerk` (state created)."""

    def build(**details: Any) -> VerificationSession:
        return factories.make_session(clerk=clerk, **details)

    return build


@pytest.fixture
def photographed_session(clerk: User) -> SessionBuilder:
    """`photographed_session(**details)`: a session of `clerk` whose document photo the clerk took
    (state document_captured, a stand-in portrait): the tablet goes to the customer for the consent."""

    def build(**details: Any) -> VerificationSession:
        return factories.make_session(
            clerk=clerk, state=SessionState.DOCUMENT_CAPTURED, portrait=factories.STAND_IN_PORTRAIT, **details
        )

    return build


@pytest.fixture
def created_session(clerk: User) -> VerificationSession:
    """A just-opened session of `clerk`: the clerk's document photo comes next."""
    return factories.make_session(clerk=clerk)


@pytest.fixture
def consented_session(clerk: User) -> VerificationSession:
    """A session past the handover: photographed (a stand-in portrait) and consented, ready for the capture."""
    return factories.make_session(clerk=clerk, state=SessionState.CONSENTED, portrait=factories.STAND_IN_PORTRAIT)

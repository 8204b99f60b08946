"""Fixtures every suite needs: the shared test data, the reference rows, the flush that outlasts a
deadlock, and the people and sessions the tests act with.

What one suite alone needs lives in its own conftest: the real Celery worker of the registration
tests in tests/registration/conftest.py, the browser stack in tests/e2e/conftest.py, the services
the fault tests cut in tests/faults/conftest.py. Helpers that are not fixtures are plain modules:
tests/environment.py (paths, tools), tests/processes.py (subprocesses, a Celery worker, polling),
tests/flush.py (the deadlock-proof flush) and tests/factories.py (the builders).

`flush_outlasts_a_deadlock` stays here although the deadlocks come from servers and workers that
only some suites start: a flush runs after every transactional test, and any of them (a capture
test, a worker test) may run after a browser test whose server is still writing what its closed
page left it, so every flush of the session needs it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from registration.models import Outlet, VerificationSession
from registration.roles import CLERK, SUPERVISOR
from registration.state_machine import SessionState
from tests import factories
from tests.environment import CI_RUN, testdata_root
from tests.factories import OutletFactory
from tests.flush import flushes_outlast_deadlocks


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


@pytest.fixture(scope="session", autouse=True)
def flush_outlasts_a_deadlock() -> Iterator[None]:
    """Every transactional test's closing flush runs again when PostgreSQL aborts it to break a
    deadlock with a server or worker subprocess (tests/flush.py), whatever fixtures the test used."""
    with flushes_outlast_deadlocks():
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
# A folder that needs committed rows (the capture tests) overrides `outlet` in its own conftest,
# keeping the name; the people and sessions below follow it.


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


SessionBuilder = Callable[..., VerificationSession]


@pytest.fixture
def make_session(clerk: User) -> SessionBuilder:
    """`make_session(state=created, portrait=..., **details)`: a session of `clerk` in `state`
    (tests/factories.py `make_session`: a stand-in portrait once the state is past the document
    photo, unless `portrait` says otherwise)."""

    def build(state: str = SessionState.CREATED, **options: Any) -> VerificationSession:
        return factories.make_session(clerk=clerk, state=state, **options)

    return build


@pytest.fixture
def created_session(make_session: SessionBuilder) -> VerificationSession:
    """A just-opened session of `clerk`: the clerk's document photo comes next."""
    return make_session()


@pytest.fixture
def consented_session(make_session: SessionBuilder) -> VerificationSession:
    """A session past the handover: photographed (a stand-in portrait) and consented, ready for the capture."""
    return make_session(SessionState.CONSENTED)

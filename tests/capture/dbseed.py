"""Reference rows the migrations create (roles, consent texts), restored around transactional tests.

A transactional test ends with a flush that empties every table, including rows a data migration
made; the next test (transactional or not) expects them, so they are put back after the flush.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.reference_data import seed_reference_rows


@pytest.fixture
def reseed_after_flush(django_db_blocker: pytest.FixtureRequest) -> Iterator[None]:
    """Request before `transactional_db`: its teardown then runs after the flush."""
    yield
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        seed_reference_rows()

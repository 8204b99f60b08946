"""Reference rows the migrations create (roles, consent texts), restored around transactional tests.

A transactional test ends with a flush that empties every table, including rows a data migration
made; the next test (transactional or not) expects them, so they are put back after the flush.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator

import pytest
from django.apps import apps

SEED_MIGRATION = "registration.migrations.0002_roles_consent_texts_audit_append_only"


def seed_reference_rows() -> None:
    importlib.import_module(SEED_MIGRATION).create_roles_and_texts(apps, None)


@pytest.fixture
def reseed_after_flush(django_db_blocker: pytest.FixtureRequest) -> Iterator[None]:
    """Request before `transactional_db`: its teardown then runs after the flush."""
    yield
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        seed_reference_rows()

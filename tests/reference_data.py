"""The reference rows the data migrations create (roles, consent texts), for tests to put back
after a transactional test's flush has emptied every table."""

from __future__ import annotations

import importlib

from django.apps import apps

SEED_MIGRATION = "registration.migrations.0002_roles_consent_texts_audit_append_only"


def seed_reference_rows() -> None:
    importlib.import_module(SEED_MIGRATION).create_roles_and_texts(apps, None)

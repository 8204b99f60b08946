"""The reference rows the data migrations create (roles, consent texts), for tests to put back
after a transactional test's flush has emptied every table."""

from __future__ import annotations

import importlib

from django.apps import apps

# Each seeding data migration and its function, in migration order.
SEED_STEPS = (
    ("registration.migrations.0001_initial", "create_roles_and_texts"),
    ("registration.migrations.0001_initial", "publish_v2"),
    ("registration.migrations.0008_privacy_retention", "publish_v3"),
)


def seed_reference_rows() -> None:
    for module, function in SEED_STEPS:
        getattr(importlib.import_module(module), function)(apps, None)

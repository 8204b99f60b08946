"""The project's configuration. A process that imports it must say which settings it runs.

There is no default (the local settings have DEBUG and published keys): docker/Dockerfile sets
config.settings.production, `make` the local ones; only manage.py falls back to the local settings,
for developers, when DJANGO_SETTINGS_MODULE is unset (see manage.py).
"""

import os

from django.core.exceptions import ImproperlyConfigured

from .startup_noise import quiet_environment

if not os.environ.get("DJANGO_SETTINGS_MODULE"):
    raise ImproperlyConfigured(
        "DJANGO_SETTINGS_MODULE is not set: say which settings this process runs "
        "(config.settings.production in production, config.settings.local for development)."
    )

quiet_environment()  # before anything imports TensorFlow

from .celery_app import app as celery_app  # noqa: E402

__all__ = ["celery_app"]

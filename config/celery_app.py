"""The Celery application: broker from settings, tasks discovered from the Django apps."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("shiming")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Worker start-up hooks (the matcher's warm-up) must be connected before the worker starts.
import registration.worker  # noqa: E402, F401

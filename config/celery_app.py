"""The Celery application: broker from settings, tasks discovered from the Django apps.

No default settings: importing `config` without DJANGO_SETTINGS_MODULE fails (config/__init__.py).
"""

from celery import Celery

app = Celery("shiming")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Worker start-up hooks (the matcher's warm-up) must be connected before the worker starts.
import registration.worker  # noqa: E402, F401

"""The Celery application: broker and behaviour from the settings, tasks discovered from the Django
apps, and where the tasks run and when the sweeps run, by the names of `registration/task_names.py`.

The routes and the beat schedule are set here, on the app, rather than in the settings: they need
the tasks' names, and the settings import no app code (config sits above the apps and may import
them; the settings load before the apps). No default settings: importing `config` without
DJANGO_SETTINGS_MODULE fails (config/__init__.py).
"""

from celery import Celery

from registration import task_names

TASK_ROUTES = {name: {"queue": queue} for name, queue in task_names.QUEUE_OF_TASK.items()}
"""The judgement's tasks to their queues; any other task goes to `task_names.DEFAULT_QUEUE`."""

BEAT_SCHEDULE = {
    "purge-expired-evidence": {"task": task_names.PURGE_EXPIRED_EVIDENCE, "schedule": 15 * 60},
    "enforce-retention": {"task": task_names.ENFORCE_RETENTION, "schedule": 15 * 60},
    "expire-stale-sessions": {"task": task_names.EXPIRE_STALE_SESSIONS, "schedule": 60},
    "recover-attempts": {"task": task_names.RECOVER_ATTEMPTS, "schedule": 60},
}
"""The sweeps `celery beat` sends, every `schedule` seconds."""

app = Celery("shiming")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    task_default_queue=task_names.DEFAULT_QUEUE,
    task_routes=TASK_ROUTES,
    beat_schedule=BEAT_SCHEDULE,
)
app.autodiscover_tasks()

# Worker start-up hooks (the matcher's warm-up) must be connected before the worker starts.
import registration.worker  # noqa: E402, F401

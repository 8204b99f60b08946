"""The names of the Celery tasks and of their queues, in one place.

The tasks are declared under these names (`registration/tasks.py`), the services send them by
these names without importing the tasks, and the Celery app (config/celery_app.py) routes and
schedules them by these names. No Django import here: the Celery app is built while the settings
load (config/__init__.py), before Django is set up.
"""

from __future__ import annotations

DEFAULT_QUEUE = "default"
"""The liveness verdict and the beat sweeps."""
FACE_QUEUE = "face"
"""Face work (the portrait's embedding, the match): served by workers that load the matcher."""

LIVENESS_VERDICT = "registration.tasks.liveness_verdict"
EMBED_REFERENCE = "registration.tasks.embed_reference"
MATCH_FACES = "registration.tasks.match_faces"
EXPIRE_STALE_SESSIONS = "registration.tasks.expire_stale_sessions"
RECOVER_ATTEMPTS = "registration.tasks.recover_attempts"
PURGE_EXPIRED_EVIDENCE = "registration.tasks.purge_expired_evidence"
ENFORCE_RETENTION = "registration.tasks.enforce_retention"

QUEUE_OF_TASK: dict[str, str] = {
    LIVENESS_VERDICT: DEFAULT_QUEUE,
    EMBED_REFERENCE: FACE_QUEUE,
    MATCH_FACES: FACE_QUEUE,
}
"""Where the judgement's tasks run; any other task goes to the default queue."""

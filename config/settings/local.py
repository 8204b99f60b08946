"""The embedded default for `make run`: SQLite, in-memory channel layer, tasks run in-process."""

from .base import *  # noqa: F403
from .base import BASE_DIR, LOGGING, env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="local-development-only-not-a-secret")
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'local.sqlite3'}")}
CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_URL = "memory://"
SHIMING_EVIDENCE_KEYS = env.list(
    "SHIMING_EVIDENCE_KEYS", default=["local1:bG9jYWwtZGV2ZWxvcG1lbnQta2V5LTMyLWJ5dGVzISE="]
)
SHIMING_ID_HASH_KEY = env("SHIMING_ID_HASH_KEY", default="local-development-id-hash-key")

# `make run`: Daphne's start-up lines (endpoint, HTTP/2) and the reloader's say what the banner says.
QUIET_LOGGERS = {"daphne": {"level": "WARNING"}, "django.utils.autoreload": {"level": "WARNING"}}
LOGGING = {**LOGGING, "loggers": {**LOGGING["loggers"], **QUIET_LOGGERS}}

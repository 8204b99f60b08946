"""The embedded default for `make run`: SQLite, in-memory channel layer, tasks run in-process."""

from pathlib import Path

from .base import *  # noqa: F403
from .base import BASE_DIR, DLIB_MATCHER, LOGGING, OMZ_MATCHER, SHIMING_MODELS_DIR, env

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

# `make run` works offline on a fresh clone: the OMZ matcher when `make models` has installed its
# files, the DeepFace (Dlib) matcher otherwise (its weights come with the Python packages). The
# start-up banner says which one and how to get the other (scripts/serve).
_OMZ_INSTALLED = (
    Path(SHIMING_MODELS_DIR) / "omz/face-reidentification-retail-0095/FP16/face-reidentification-retail-0095.bin"
).is_file()
SHIMING_FACE_MATCHER = env("SHIMING_FACE_MATCHER", default=OMZ_MATCHER if _OMZ_INSTALLED else DLIB_MATCHER)

# `make run`: the browser and the server share this machine and its LAN.
SHIMING_ICE_LOCAL_NETWORKS = env.list(
    "SHIMING_ICE_LOCAL_NETWORKS",
    default=["127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7", "fe80::/10"],
)

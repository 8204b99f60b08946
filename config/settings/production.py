"""Production: every secret comes from the environment and has no default (start-up fails fast)."""

from .base import *  # noqa: F403
from .base import REDIS_CHANNEL_LAYER, env, redis_channel_host

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
DATABASES = {"default": env.db("DATABASE_URL")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
# A kept connection is checked before a request reuses it: after a PostgreSQL restart the first
# WebSocket to touch the database failed with a 500 on the connection the server had closed.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
REDIS_URL = env("REDIS_URL")
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": REDIS_CHANNEL_LAYER,
        "CONFIG": {"hosts": [redis_channel_host(REDIS_URL)], "prefix": env("CHANNELS_PREFIX", default="shiming")},
    }
}
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
SHIMING_EVIDENCE_KEYS = env.list("SHIMING_EVIDENCE_KEYS")
SHIMING_ID_HASH_KEY = env("SHIMING_ID_HASH_KEY")
# The OMZ matcher is the default (base); a missing model file stops every process at start-up
# (registration/apps.py) instead of failing the first customer's match.
SHIMING_REQUIRE_FACE_MODELS = env.bool("SHIMING_REQUIRE_FACE_MODELS", default=True)

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# The TLS proxy of docker/ runs on the host network in front of the web process bound to loopback.
SHIMING_TRUSTED_PROXIES = env.list("SHIMING_TRUSTED_PROXIES", default=["127.0.0.1", "::1"])

# TLS is terminated by the reverse proxy in docker/ (docs/deployment.md): trust its header (the web process
# listens on loopback only, so only the proxy can send it).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"

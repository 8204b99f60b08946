"""Settings for the test suite: real PostgreSQL and Redis, URLs from the environment."""

from .base import *  # noqa: F403
from .base import BASE_DIR, REDIS_CHANNEL_LAYER, env, redis_channel_host

SECRET_KEY = "test-only-not-a-secret"  # noqa: S105
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SHIMING_EVIDENCE_KEYS = ["test1:dGVzdC1ldmlkZW5jZS1rZXktMzItYnl0ZXMtbG9uZyE="]
SHIMING_ID_HASH_KEY = "test-id-hash-key"
DEEPFACE_HOME = env("DEEPFACE_HOME", default="/tmp/shiming-test-deepface")  # noqa: S108
# The suite runs the production matcher (OMZ) on the files `make models` installed (.ci/run installs
# them from ../shared/models); the Dlib matcher's own tests build it explicitly.
SHIMING_MODELS_DIR = env("SHIMING_MODELS_DIR", default=str(BASE_DIR / "var" / "models"))
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)

# The suite uses its own Redis database so a developer's worker never takes the tests' tasks.
REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/1")
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": REDIS_CHANNEL_LAYER,
        "CONFIG": {"hosts": [redis_channel_host(REDIS_URL)], "prefix": "shiming-test"},
    }
}
CELERY_BROKER_URL = REDIS_URL
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# A separate test database name lets two suites run side by side on one server.
DATABASES["default"]["TEST"] = {"NAME": env("SHIMING_TEST_DB", default="test_shiming")}

# Tests that must know the steps in advance set a fixed plan (comma-separated steps); empty means the
# production random plan. It exists only here: the drawer below reads it, production never does.
SHIMING_FIXED_CHALLENGE_PLAN: list[str] = env.list("SHIMING_FIXED_CHALLENGE_PLAN", default=[])
SHIMING_CHALLENGE_PLAN_DRAWER = "tests.plans.fixed_or_random_plan"
# The browser tests run Chromium and the server on this machine.
SHIMING_ICE_LOCAL_NETWORKS = env.list(
    "SHIMING_ICE_LOCAL_NETWORKS",
    default=["127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7", "fe80::/10"],
)

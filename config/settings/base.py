"""Settings shared by every environment. Values come from environment variables, read here only."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff

# The capture limit's rule is a pure constant (no Django import). No app code is imported here: the
# face thresholds are each matcher's own (FaceMatcher.SCALE).
from config.capacity import default_capture_limit
from config.environment import Environment, int_at_least

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = Environment()


def redis_channel_host(url: str) -> dict[str, object]:
    """A channel-layer host with a socket timeout longer than channels_redis's 5 s blocking read:
    redis-py 8 defaults to 5 s too, and then every idle WebSocket consumer dies with a timeout.

    A command on a pooled connection that Redis closed (Redis restarted) is sent again on a new
    one: redis-py's asyncio client retries nothing by default, and the first WebSocket to join
    its group after a restart failed with a 500."""
    return {"address": url, "socket_timeout": 30, "retry": Retry(ExponentialBackoff(cap=2, base=0.1), 3)}


# --- Core -------------------------------------------------------------------------------------
DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="")  # local and test settings give their own
ALLOWED_HOSTS: list[str] = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS: list[str] = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "daphne",
    # Before the admin: its templates/admin/search_form.html replaces the admin's, whose search icon
    # says "Search" in English in every language (registration/admin_i18n.py lists such fixes).
    "registration",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "registration.apps.SignInProtectionConfig",  # django-axes, named in the admin's language
    "capture",
    "frontend",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "frontend.middleware.RenewingSessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "frontend.customer_mode.CustomerModeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "frontend.middleware.ContentSecurityPolicyMiddleware",
    "axes.middleware.AxesMiddleware",
]

# Shared tablets: a sign-in ends after SHIMING_SESSION_IDLE_MINUTES without a request (each
# request renews it), not after Django's two weeks; its sockets close on their next push.
SESSION_COOKIE_AGE = 60 * env.int("SHIMING_SESSION_IDLE_MINUTES", default=30)
SESSION_SAVE_EVERY_REQUEST = True

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/shiming")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "frontend:login"
LOGIN_REDIRECT_URL = "frontend:home"
LOGOUT_REDIRECT_URL = "frontend:login"

# --- i18n -------------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Static files -----------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- Redis, Channels, Celery ------------------------------------------------------------------
REDIS_CHANNEL_LAYER = "config.channel_layer.RedisChannelLayer"  # channels_redis without its buffer leak
REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": REDIS_CHANNEL_LAYER,
        "CONFIG": {"hosts": [redis_channel_host(REDIS_URL)], "prefix": env("CHANNELS_PREFIX", default="shiming")},
    }
}
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A new pool process warms the face matcher up (registration/worker.py) before it reports for work:
# the pool must wait for that, or it kills every replacement of a crashed process (4 s by default).
CELERY_WORKER_PROC_ALIVE_TIMEOUT = env.float("CELERY_WORKER_PROC_ALIVE_TIMEOUT", default=120.0)
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=300)}
# Routes, default queue and beat schedule: config/celery_app.py (by the tasks' names).

# --- REST framework ---------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "registration.authentication.ExpiringTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "registration.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "registration.apis.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_RATES": {
        "session_create": env("THROTTLE_SESSION_CREATE", default="30/min"),
        "outlet_session_create": env("THROTTLE_OUTLET_SESSION_CREATE", default="120/min"),
        # Document photos per clerk: a registration needs one, a few with retakes.
        "document_upload": env("THROTTLE_DOCUMENT_UPLOAD", default="10/min"),
        # The card readers' agents (registration/reader_agent.py): a poll a second, a read per card,
        # per reader and per address (an outlet's readers may share one).
        "reader_poll": env("THROTTLE_READER_POLL", default="120/min"),
        "reader_poll_address": env("THROTTLE_READER_POLL_ADDRESS", default="600/min"),
        "chip_read": env("THROTTLE_CHIP_READ", default="30/min"),
        "chip_read_address": env("THROTTLE_CHIP_READ_ADDRESS", default="120/min"),
    },
}
# API tokens (POST /api/auth/token/) stop working this long after they were issued; asking again
# after that gives a new key (registration/authentication.py).
SHIMING_API_TOKEN_TTL_HOURS = env.int("SHIMING_API_TOKEN_TTL_HOURS", default=12)
SPECTACULAR_SETTINGS = {
    "TITLE": "Shiming API",
    "DESCRIPTION": "Real-name SIM registration with 1:1 face verification.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI served from the installed sidecar package: no CDN at run time.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # No badge from validator.swagger.io: nothing is fetched from outside (and the CSP would refuse it).
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {"DocumentTypeEnum": "registration.documents.DocumentType"},
}

# --- Login throttling (django-axes) -----------------------------------------------------------
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# Whose address a failure counts against: the TCP peer, or behind a trusted proxy the client it
# names in X-Forwarded-For (registration/proxies.py). Addresses or CIDR blocks; none by default, so
# X-Forwarded-For is ignored unless the deployment says which proxy writes it.
SHIMING_TRUSTED_PROXIES: list[str] = env.list("SHIMING_TRUSTED_PROXIES", default=[])
AXES_CLIENT_IP_CALLABLE = "registration.proxies.client_ip_address"
AXES_RESET_ON_SUCCESS = True
# A locked-out user sees the sign-in page saying so (not axes' bare text), the API a JSON error.
AXES_LOCKOUT_CALLABLE = "registration.lockout.lockout_response"

# --- Product rules ----------------------------------------------------------------------------
SHIMING_MAX_ACTIVE_NUMBERS_PER_ID = env.int("SHIMING_MAX_ACTIVE_NUMBERS_PER_ID", default=5)
SHIMING_SESSION_TTL_SECONDS = env.int("SHIMING_SESSION_TTL_SECONDS", default=600)
SHIMING_MAX_LIVENESS_ATTEMPTS = env.int("SHIMING_MAX_LIVENESS_ATTEMPTS", default=3)
# Interrupted attempts (the page left, the connection broke) that do not count, per session.
SHIMING_MAX_INTERRUPTED_ATTEMPTS = env.int("SHIMING_MAX_INTERRUPTED_ATTEMPTS", default=5)
SHIMING_MAX_UPLOAD_BYTES = env.int("SHIMING_MAX_UPLOAD_BYTES", default=8 * 1024 * 1024)
# A document photo from a tablet camera (12-16 MP at most; the largest shared photo is 12.6 MP) and
# the stored portrait and frame; decoding one costs ~12 bytes a pixel (registration/images.py).
SHIMING_MAX_IMAGE_PIXELS = env.int("SHIMING_MAX_IMAGE_PIXELS", default=16_000_000)
# Uploaded images decoded at once per web process, and how long a request waits for a turn.
SHIMING_MAX_CONCURRENT_DECODES = env.int("SHIMING_MAX_CONCURRENT_DECODES", default=2)
SHIMING_DECODE_WAIT_SECONDS = env.float("SHIMING_DECODE_WAIT_SECONDS", default=10.0)
SHIMING_GUARDIAN_CONSENT_UNDER_AGE = env.int("SHIMING_GUARDIAN_CONSENT_UNDER_AGE", default=14)
SHIMING_EVIDENCE_RETENTION_HOURS = env.int("SHIMING_EVIDENCE_RETENTION_HOURS", default=72)
# Retention that ends (docs/privacy.md): the longest a session may stay in each state that is not
# final. The tablet's steps end with the session time; a session waiting for the workers (verdict,
# comparison) is closed after this many hours; a case in manual review is escalated after so many
# days and closed after so many, its evidence then purged after the retention above.
SHIMING_JUDGEMENT_MAX_HOURS = env.int("SHIMING_JUDGEMENT_MAX_HOURS", default=24)
SHIMING_REVIEW_ESCALATE_DAYS = env.int("SHIMING_REVIEW_ESCALATE_DAYS", default=3)
SHIMING_REVIEW_CLOSE_DAYS = env.int("SHIMING_REVIEW_CLOSE_DAYS", default=14)
# The holder's identity is kept while a number is active and this long after its service ends
# (MIIT's 2013 real-name registration rules: two years).
SHIMING_IDENTITY_KEEP_DAYS = env.int("SHIMING_IDENTITY_KEEP_DAYS", default=730)
# The filing threshold of the 2025 face-recognition Measures (art. 15): the people whose face
# information is held; the admin's front page warns from this share of it.
SHIMING_FILING_THRESHOLD_PEOPLE = env.int("SHIMING_FILING_THRESHOLD_PEOPLE", default=100_000)
SHIMING_FILING_WARNING_SHARE = env.float("SHIMING_FILING_WARNING_SHARE", default=0.8)
# The 30-working-day filing deadline counts China's public holidays and adjusted working weekends
# from this calendar file (default: registration/data/cn_working_calendar.json; years it lacks
# give an approximate deadline, said on the page).
SHIMING_WORKING_CALENDAR = env("SHIMING_WORKING_CALENDAR", default="")
# The controller named in the consent text, the counter notice and the impact assessment.
SHIMING_CONTROLLER_NAME = env("SHIMING_CONTROLLER_NAME", default="")
SHIMING_CONTROLLER_CONTACT = env("SHIMING_CONTROLLER_CONTACT", default="")
# The largest request body anything accepts: a document photo with its multipart framing and form
# fields. Larger bodies are refused as they arrive, before they are read (config/body_limit.py; the
# proxy's docker/Caddyfile says the same); Django's in-memory limits are the same figure.
SHIMING_MAX_REQUEST_BYTES = SHIMING_MAX_UPLOAD_BYTES + 1024 * 1024
# A body that announces no length (chunked) is capped far lower: the pages, the reader agent and any
# HTTP client uploading a file announce its length, and reading an unannounced body up to the cap
# cost daphne's event loop ~11 ms of CPU per refused 9 MiB body (bench/big_body.py, docs/security.md).
SHIMING_MAX_UNSIZED_REQUEST_BYTES = 64 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = SHIMING_MAX_REQUEST_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = SHIMING_MAX_REQUEST_BYTES

# Evidence encryption: "key-id:base64-32-bytes" entries, the first encrypts, all decrypt (rotation).
SHIMING_EVIDENCE_KEYS: list[str] = env.list("SHIMING_EVIDENCE_KEYS", default=[])
# Keyed hash for ID-number lookups (HMAC-SHA256); changing it orphans existing lookups.
SHIMING_ID_HASH_KEY = env("SHIMING_ID_HASH_KEY", default="")

# --- Face matching ----------------------------------------------------------------------------
# The matcher (docs/face-matching.md): Intel OMZ face-reidentification-retail-0095 in production; its
# files are installed by `make models` into SHIMING_MODELS_DIR (nothing is downloaded at run time).
# The DeepFace (Dlib) matcher needs no model step. Each matcher carries its own calibrated
# thresholds and score direction; an admin can override them for the matcher in use only.
OMZ_MATCHER = "registration.face_matching.omz_matcher.OmzMatcher"
DLIB_MATCHER = "registration.face_matching.deepface_matcher.DeepFaceMatcher"
SHIMING_MODELS_DIR = env("SHIMING_MODELS_DIR", default=str(BASE_DIR / "var" / "models"))
SHIMING_FACE_MATCHER = env("SHIMING_FACE_MATCHER", default=OMZ_MATCHER)
# Refuse to start when the configured matcher's model files are missing (production: True).
SHIMING_REQUIRE_FACE_MODELS = env.bool("SHIMING_REQUIRE_FACE_MODELS", default=False)
DEEPFACE_HOME = env("DEEPFACE_HOME", default=str(BASE_DIR / "var" / "deepface"))
# Targets the thresholds are calibrated for (`manage.py face_calibrate`, docs/face-matching.md):
# the false match rate the accept threshold must keep, and the share of genuine customers the
# reject threshold may turn away outright (1 %: an outright reject loses a genuine customer, a
# review costs a supervisor a minute, so doubt goes to review).
SHIMING_FACE_TARGET_FMR = env.float("SHIMING_FACE_TARGET_FMR", default=1e-4)
SHIMING_FACE_TARGET_FNMR_REJECT = env.float("SHIMING_FACE_TARGET_FNMR_REJECT", default=0.01)
# OMZ matcher's detector per image type ("yunet" or "retail-0004"; docs/face-matching.md, "Which detector").
SHIMING_OMZ_REFERENCE_DETECTOR = env("SHIMING_OMZ_REFERENCE_DETECTOR", default="yunet")
SHIMING_OMZ_PROBE_DETECTOR = env("SHIMING_OMZ_PROBE_DETECTOR", default="yunet")
# Dlib matcher's detector chains per image type; the next detector runs only when the first finds no face.
SHIMING_FACE_REFERENCE_DETECTORS: list[str] = env.list("SHIMING_FACE_REFERENCE_DETECTORS", default=["dlib", "mtcnn"])
SHIMING_FACE_PROBE_DETECTORS: list[str] = env.list("SHIMING_FACE_PROBE_DETECTORS", default=["mediapipe", "mtcnn"])
SHIMING_FACE_DETECTION_MAX_SIDE = env.int("SHIMING_FACE_DETECTION_MAX_SIDE", default=512)
# A second face at least this fraction of the largest one's width makes an image "several faces".
SHIMING_FACE_SEVERAL_FACES_RATIO = env.float("SHIMING_FACE_SEVERAL_FACES_RATIO", default=0.7)

# --- Liveness challenge -------------------------------------------------------------------------
SHIMING_LIVENESS_FPS = env.float("SHIMING_LIVENESS_FPS", default=15.0)  # frames analysed per second at most
SHIMING_LIVENESS_STEPS = env.int("SHIMING_LIVENESS_STEPS", default=3)
# The screen-light step (docs/liveness.md, "Screen-light challenge"): off until measured on real tablets; the
# admin's verification policy can switch it at run time.
SHIMING_LIGHT_CHALLENGE = env.bool("SHIMING_LIGHT_CHALLENGE", default=False)
SHIMING_LIVENESS_TURN_DEGREES = env.float("SHIMING_LIVENESS_TURN_DEGREES", default=25.0)
SHIMING_LIVENESS_STEP_TIMEOUT_SECONDS = env.float("SHIMING_LIVENESS_STEP_TIMEOUT_SECONDS", default=8.0)
SHIMING_LIVENESS_SESSION_TIMEOUT_SECONDS = env.float("SHIMING_LIVENESS_SESSION_TIMEOUT_SECONDS", default=40.0)

# --- Capture ----------------------------------------------------------------------------------
# The face track's bitrate in kbit/s: the page's encoder ceiling, and in Chromium also where it starts
# (capture/webrtc/bitrate.py: the browser's own start, ~300 kbit/s, blurred small eyes shut).
SHIMING_FACE_VIDEO_KBPS = env("SHIMING_FACE_VIDEO_KBPS", cast=int_at_least(100), default=1000)
SHIMING_ICE_SERVERS: list[dict[str, object]] = env.json("SHIMING_ICE_SERVERS", default=[])
# Non-public networks (CIDR) the capture may exchange media with directly: an outlet's LAN when the
# server sits in it. Offers' candidates elsewhere in loopback, link-local or private ranges are
# dropped, and so are the server's own such addresses in its answers (capture/webrtc/candidates.py).
SHIMING_ICE_LOCAL_NETWORKS: list[str] = env.list("SHIMING_ICE_LOCAL_NETWORKS", default=[])
# Captures one web process analyses at once; beyond that the page says "busy, retry" before every
# capture slows down. Unless set: the cores the process may use (affinity, cgroup quota) times the
# captures one core carries with the decision p95 under 1.5 s (measured: docs/capacity.md).
SHIMING_CAPTURES_PER_CORE = env.float("SHIMING_CAPTURES_PER_CORE", default=2.5)
SHIMING_MAX_CAPTURE_SESSIONS = env.int(
    "SHIMING_MAX_CAPTURE_SESSIONS", default=default_capture_limit(SHIMING_CAPTURES_PER_CORE)
)
# After a capture ends, hand the allocator's free pages back to the system (glibc's malloc_trim),
# at most once in this many seconds; 0: never. Without it a web process on glibc creeps up in RSS
# with no live object behind it. Only where glibc allocates: the production web process runs
# jemalloc (docker/web.env), which returns pages by itself (capture/webrtc/memory.py).
SHIMING_MALLOC_TRIM_SECONDS = env.float("SHIMING_MALLOC_TRIM_SECONDS", default=30.0)
# Capture attempts started per minute, per clerk and per outlet (a clerk cannot honestly do more).
SHIMING_CAPTURE_ATTEMPTS_PER_MINUTE_CLERK = env.int("SHIMING_CAPTURE_ATTEMPTS_PER_MINUTE_CLERK", default=30)
SHIMING_CAPTURE_ATTEMPTS_PER_MINUTE_OUTLET = env.int("SHIMING_CAPTURE_ATTEMPTS_PER_MINUTE_OUTLET", default=120)

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        "silent": {"class": "logging.NullHandler"},
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "aioice": {"level": "WARNING"},
        "aiortc": {"level": "WARNING"},
        # Django's default config gives "django" its own console handler besides the root's: every
        # record (each request of the development server) was printed twice. The root prints it.
        "django": {"handlers": ["silent"], "level": "INFO", "propagate": True},
        "axes.apps": {"level": "WARNING"},  # the "AXES: BEGIN version" line of every process
    },
}

# Who draws a session's challenge plan (a dotted path to `(previous: list[str] | None) -> list[str]`).
# Deliberately not read from the environment: production always draws the random plan; only the
# test settings point it elsewhere (config/settings/test.py).
SHIMING_CHALLENGE_PLAN_DRAWER = "registration.services.registrations.random_challenge_plan"

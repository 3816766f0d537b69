"""Hindsight settings: one file, read from the environment.

Defaults suit a laptop (DEBUG on, SQLite, no outside service). Production sets DEBUG=0 and must then give a
strong SECRET_KEY, or start-up stops with one clear line.
"""

import datetime as dt
import ipaddress
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_duration, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", True)

_DEV_SECRET_KEY = "django-insecure-hindsight-laptop-only"
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY is not set; with DEBUG off Hindsight needs a strong secret key")
    SECRET_KEY = _DEV_SECRET_KEY
elif not DEBUG and (len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith("django-insecure")):
    # The same bar as Django's security.W009, enforced instead of warned about.
    raise ImproperlyConfigured(
        "SECRET_KEY is too weak; use at least 50 random characters, e.g. "
        "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# The admin's "revert to this version" would write past the services; the audit trail is for reading.
SIMPLE_HISTORY_REVERT_DISABLED = True

INSTALLED_APPS = [
    "forecasts",  # first, so that its templates (registration/, 403.html …) win over the admin's
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",  # API tokens: stored as digests, many per user, each expiring and revocable
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "axes",
    "simple_history",
]

MIDDLEWARE = [
    "forecasts.network.TrustedProxyMiddleware",
    "forecasts.middleware.RequestSizeLimitMiddleware",
    "forecasts.middleware.UnreadableQueryMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "forecasts.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # 429s for clients and usernames that must wait; failed authentications counted (forecasts/guard.py).
    "forecasts.guard.HostileClientMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # The audit trail records who made each change made during a request.
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

if not DEBUG:
    # runserver serves static files on a laptop; in production WhiteNoise serves the collected ones.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],  # templates live in forecasts/templates
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: DATABASE_URL (postgres://user@host:5432/name), else a SQLite file in the project.
DATABASE_URL = env_str("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
try:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("CONN_MAX_AGE", 60))}
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {exc}") from None
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the scheduler writes; IMMEDIATE avoids "database is locked"
    # upgrades from read to write transactions half way through.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
else:
    # Dropped connections (a restarted PostgreSQL) are noticed before use instead of failing a request.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["TEST"] = {"NAME": env_str("TEST_DATABASE_NAME") or None}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# Lock-out after repeated failed logins (pages, admin and the token endpoint alike): django-axes.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 15))
# A username is locked from one address; another address (the real owner) can still log in.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# The client's address from one source (forecasts/network.py): behind a trusted proxy, the real client's.
AXES_CLIENT_IP_CALLABLE = "forecasts.network.axes_client_address"
# Doors that check a password (forecasts/guard.py): attempts per address a minute; after so many failures in the
# window, the address or the username waits 1 s, then 2, 4, … up to AUTH_MAX_WAIT: a 429 with Retry-After.
PASSWORD_ATTEMPTS_PER_ADDRESS = env_str("PASSWORD_ATTEMPTS_PER_ADDRESS", "20/minute")
AUTH_FAILURES_PER_ADDRESS = env_int("AUTH_FAILURES_PER_ADDRESS", 20)
AUTH_FAILURES_PER_USERNAME = env_int("AUTH_FAILURES_PER_USERNAME", 5)
AUTH_FAILURE_WINDOW = env_int("AUTH_FAILURE_WINDOW", 15 * 60)
AUTH_MAX_WAIT = env_int("AUTH_MAX_WAIT", 15 * 60)
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

# Email: the console on a laptop; SMTP when EMAIL_HOST is set.
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH") or None  # with the file-based backend
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Hindsight <hindsight@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
ADMINS = [("Admin", addr) for addr in env_list("ADMINS", [])]

# Celery: Redis is the broker when REDIS_URL is set. Without it (a laptop), the broker is a folder in the
# project (kombu's filesystem transport), so `make run` runs the real worker and beat with no outside service.
REDIS_URL = env_str("REDIS_URL")
CELERY_BROKER_DIR = Path(env_str("CELERY_BROKER_DIR") or BASE_DIR / ".broker")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Unacknowledged tasks (acks_late) come back after this; task retry back-off stays well below it.
        "visibility_timeout": 3600,
        "socket_timeout": 3,
        "socket_connect_timeout": 3,
    }
else:
    CELERY_BROKER_DIR.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR),
        "data_folder_out": str(CELERY_BROKER_DIR),
        # kombu's default puts the broadcast folder in the working directory; keep it with the rest.
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
    }
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_ACKS_LATE = True
# A worker killed mid-task hands the task back to the broker instead of dropping it.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing gives up after a few seconds when the broker is down: the database, not the broker, holds the
# truth, and the next sweep catches up.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}

# Resolution checks: a check pending this many days after it was sent is escalated to the admins.
CHECK_GRACE_DAYS = env_int("CHECK_GRACE_DAYS", 7)

# API tokens (django-rest-knox): `POST /api/v1/auth/token/` gives a new one that expires after API_TOKEN_TTL (a
# Django duration: "30 00:00:00", "P30D", or a number of days). Logging out revokes it; a password change, by any
# door, revokes all of the user's tokens (forecasts/services/tokens.py).
API_TOKEN_TTL = env_duration("API_TOKEN_TTL", dt.timedelta(days=30))
if API_TOKEN_TTL > dt.timedelta(days=3650):
    raise ImproperlyConfigured(f"API_TOKEN_TTL={API_TOKEN_TTL} is longer than ten years")
REST_KNOX = {
    "AUTH_HEADER_PREFIX": "Token",
    "TOKEN_TTL": API_TOKEN_TTL,
    "AUTO_REFRESH": False,  # a token lives API_TOKEN_TTL from when it was made, however much it is used
}

REST_FRAMEWORK = {
    # Token first, so that a request without credentials gets 401 with a WWW-Authenticate header.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "forecasts.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["forecasts.api.permissions.RolePermission"],
    "DEFAULT_PARSER_CLASSES": [
        "forecasts.api.parsers.JSONBodyParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "forecasts.api.pagination.Pagination",
    "PAGE_SIZE": env_int("API_PAGE_SIZE", 50),
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "forecasts.api.views.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "forecasts.api.throttling.TokenRateThrottle",
        "forecasts.api.throttling.AnonymousRateThrottle",
    ],
}
API_THROTTLE_USER = env_str("API_THROTTLE_USER", "1200/minute")
API_THROTTLE_ANON = env_str("API_THROTTLE_ANON", "60/minute")

# The cache holds throttle counters: Redis when there is one (shared by every web process), else memory.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "hindsight",
            "OPTIONS": {"socket_timeout": 1, "socket_connect_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
SPECTACULAR_SETTINGS = {
    "TITLE": "Hindsight API",
    "DESCRIPTION": "Expert forecasts, resolvable questions and calibration scores. Send `Authorization: Token …`.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The interactive docs are served from the project (no CDN).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "forecasts.api.schema.add_error_responses",
        "forecasts.api.schema.add_links",
    ],
    "ENUM_NAME_OVERRIDES": {
        "OutcomeEnum": "forecasts.models.Outcome",
        "ResolutionOutcomeEnum": "forecasts.models.RESOLUTION_OUTCOME_CHOICES",
        "QuestionStatusEnum": "forecasts.models.Question.Status",
    },
}

# HTTPS: on by default in production; HTTPS=0 serves plain HTTP (behind nothing, or a proxy that is not TLS).
HTTPS = env_bool("HTTPS", not DEBUG)
# The proxies (addresses or CIDRs) whose X-Forwarded-For and X-Forwarded-Proto are believed (forecasts/network.py):
# the client's address is then the right-most hop that is not one of them. Without any, REMOTE_ADDR is the client.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", [])
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError:
        raise ImproperlyConfigured(f"TRUSTED_PROXIES: {_proxy!r} is not an address or a CIDR") from None
if env_bool("BEHIND_PROXY", False) and not TRUSTED_PROXIES:
    raise ImproperlyConfigured("BEHIND_PROXY is replaced by TRUSTED_PROXIES: list the proxy's addresses or CIDRs")
# X-Forwarded-Proto counts only from a trusted proxy: forecasts.network.TrustedProxyMiddleware drops it otherwise.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if TRUSTED_PROXIES else None
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
# Scripts and styles only from this site (no inline script); inline style attributes are allowed for the
# admin's templates. The API docs load their start-up script from a separate URL for this reason.
CONTENT_SECURITY_POLICY = env_str(
    "CONTENT_SECURITY_POLICY",
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'",
)
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2 * 1024 * 1024)
CSV_IMPORT_MAX_BYTES = env_int("CSV_IMPORT_MAX_BYTES", 50 * 1024 * 1024)

# Work bounds: no request holds a web worker for more than a few seconds. An article up to INGEST_SYNC_MAX_BYTES
# is read in the request (201; the reader parses as it reads, about 40 ms per KB with its drafts written, so 25 KB
# is about a second: README "Work bounds", tests/benchmarks/bench_ingest_budget.py); a larger one (up to 1 MB) is a
# job for a Celery worker (202 and a job to poll). An admin CSV upload above CSV_SYNC_MAX_BYTES (about 1 s per MB on PostgreSQL, 3 s on SQLite) is
# imported by a job too. The jobs' time limits, in seconds:
INGEST_SYNC_MAX_BYTES = env_int("INGEST_SYNC_MAX_BYTES", 25_000)
CSV_SYNC_MAX_BYTES = env_int("CSV_SYNC_MAX_BYTES", 1_000_000)
INGEST_JOB_TIME_LIMIT = env_int("INGEST_JOB_TIME_LIMIT", 120)
CSV_JOB_TIME_LIMIT = env_int("CSV_JOB_TIME_LIMIT", 900)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Request log lines name the client by its address from forecasts/network.py (behind a proxy: the client's).
    "filters": {"client": {"()": "forecasts.network.ClientAddressFilter"}},
    "formatters": {"default": {"format": "%(levelname)s %(name)s %(client)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["client"], "formatter": "default"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

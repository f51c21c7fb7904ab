"""SalesGoals settings, driven entirely by the environment.

With no environment at all the product runs embedded: SQLite file, eager Celery, local-memory
cache, DEBUG on. `DATABASE_URL` / `REDIS_URL` switch to PostgreSQL and Redis; `DJANGO_DEBUG=0`
with production values makes `check --deploy` clean.
"""

import datetime
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF, UNSAFE_INLINE

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DATABASE_URL = env("DATABASE_URL", default="")
REDIS_URL = env("REDIS_URL", default="")
EMBEDDED = (not DATABASE_URL or DATABASE_URL.startswith("sqlite")) and not REDIS_URL

DEBUG = env.bool("DJANGO_DEBUG", default=EMBEDDED)
SECRET_KEY = env(
    "DJANGO_SECRET_KEY",
    default="embedded-insecure-key-only-for-local-use" if DEBUG else environ.Env.NOTSET,
)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "treebeard",
    "simple_history",
    "axes",
    "csp",
    "django_htmx",
    "django_celery_beat",
    "salesgoals",
    "kpis",
    "targets",
    "plans",
    "incentives",
    "training",
    "crm_sync",
    "audit",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "salesgoals.security.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
    "salesgoals.api.errors.RefuseNulCharactersMiddleware",
]

ROOT_URLCONF = "salesgoals.urls"
WSGI_APPLICATION = "salesgoals.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "salesgoals.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url_config(DATABASE_URL or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # No JIT compilation: this is short OLTP queries, and the planner's cost for a scope's
    # `OR EXISTS (…)` passes jit_above_cost, so PostgreSQL spent ~1 s compiling a 100 ms
    # deal list (bench/load.py).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "salesgoals.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Log-in lock-out (django-axes): see the Security block below.

LANGUAGE_CODE = env("LANGUAGE_CODE", default="zh-hans")
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Our own number formats on top of Django's (zh-hans groups thousands with a comma, as our
# users write amounts).
FORMAT_MODULE_PATH = ["salesgoals.formats"]
TIME_ZONE = env("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Uploaded files (training materials). Persistent, outside the code: docker-compose.yml mounts
# a volume here, and it is backed up beside the database (README, Operations).
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "media")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "salesgoals.staticfiles.PlotlyFinder",
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# A page never waits on a dead Redis: connecting and reading time out quickly, and errors
# read as misses (IGNORE_EXCEPTIONS); after a failure the backend skips Redis for a
# few seconds (`salesgoals.cache`), so a request pays the timeout once. Nothing here is the
# only copy of anything: tokens are fetched again, throttle counters restart, and the locks
# kept here (one CRM sync per connection, one outbox drain) fail closed — the work waits for
# the next run — while PostgreSQL advisory and row locks keep the data right.
REDIS_CONNECT_TIMEOUT = env.float("REDIS_CONNECT_TIMEOUT", default=0.5)
REDIS_SOCKET_TIMEOUT = env.float("REDIS_SOCKET_TIMEOUT", default=0.5)
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "salesgoals.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "salesgoals",
            "OPTIONS": {
                "SOCKET_CONNECT_TIMEOUT": REDIS_CONNECT_TIMEOUT,
                "SOCKET_TIMEOUT": REDIS_SOCKET_TIMEOUT,
                "IGNORE_EXCEPTIONS": True,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery: eager in-process without a broker (embedded mode) -------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=REDIS_URL or None)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
# Task modules not named tasks.py (autodiscovery only finds those).
CELERY_IMPORTS = ["kpis.tasks_alerts"]
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Sending a task never blocks the sender on a dead broker: connect/read time out within a
# second, one immediate retry, then `salesgoals.dispatch` keeps the task in PostgreSQL
# (`PendingTask`) and the relay sends it once the broker is back. Workers still reconnect
# for as long as it takes (`broker_connection_retry` stays on for consuming).
CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_CONNECT_TIMEOUT
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
    "socket_timeout": env.float("CELERY_BROKER_SOCKET_TIMEOUT", default=1.0),
    # Connecting for a publish: one retry at once, not kombu's default 2 s sleeps.
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
    # A message taken by a worker that died (acks_late) is delivered again after this; it
    # must stay longer than the longest task.
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
}
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = REDIS_CONNECT_TIMEOUT
CELERY_REDIS_SOCKET_TIMEOUT = 5.0
# The result store's reconnects (20 by default, ~20 s when Redis is gone) for the few
# callers that wait for a result; `dispatch` sends without one.
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {
    "retry_policy": {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}
}
# The one place where periodic work is declared; django-celery-beat copies it into the
# database, where admins can adjust schedules.
CELERY_BEAT_SCHEDULE = {
    "kpis-drain-outbox": {
        "task": "kpis.tasks.drain_outbox_task",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "kpis-pace-alerts": {
        "task": "kpis.tasks_alerts.pace_alerts_task",
        "schedule": crontab(minute=20),
        "options": {"expires": 3000},
    },
    "kpis-weekly-digest": {
        "task": "kpis.tasks_alerts.weekly_digest_task",
        "schedule": crontab(hour=8, minute=0, day_of_week="mon"),
        "options": {"expires": 6 * 3600},
    },
    "targets-activate-plans": {
        "task": "targets.tasks.activate_plans_task",
        "schedule": crontab(hour=0, minute=10),
        "options": {"expires": 3600},
    },
    "targets-verify-plans": {
        "task": "targets.tasks.verify_plans_task",
        "schedule": crontab(hour=2, minute=30),
        "options": {"expires": 3 * 3600},
    },
    "incentives-close-periods": {
        "task": "incentives.tasks.close_periods_task",
        "schedule": crontab(hour=1, minute=30),
        "options": {"expires": 6 * 3600},
    },
    "crm-sync-due": {
        "task": "crm_sync.tasks.sync_due_task",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "plans-task-reminders": {
        "task": "plans.tasks.task_reminders_task",
        "schedule": crontab(hour=7, minute=30),
        "options": {"expires": 6 * 3600},
    },
    "plans-report-reminders": {
        "task": "plans.tasks.report_reminders_task",
        "schedule": crontab(hour=9, minute=0, day_of_week="mon"),
        "options": {"expires": 6 * 3600},
    },
    "training-recommendations": {
        "task": "training.tasks.compute_recommendations_task",
        "schedule": crontab(hour=4, minute=0),
        "options": {"expires": 6 * 3600},
    },
    "training-certification-reminders": {
        "task": "training.tasks.certification_reminders_task",
        "schedule": crontab(hour=7, minute=45),
        "options": {"expires": 6 * 3600},
    },
    "relay-pending-tasks": {
        "task": "salesgoals.tasks.relay_pending_tasks_task",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "purge-old-notifications": {
        "task": "salesgoals.tasks.purge_read_notifications_task",
        "schedule": crontab(hour=3, minute=15),
        "options": {"expires": 3600},
    },
}

# --- E-mail ---------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url(
    "EMAIL_URL", default="consolemail://" if DEBUG else "smtp://localhost:25"
)
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="SalesGoals <noreply@salesgoals.local>")

FIELD_ENCRYPTION_KEY = env("FIELD_ENCRYPTION_KEY", default="")
# Key rotation: new key first, old keys after it (comma-separated). Secrets are read with any
# of them and written with the first; `manage.py crm_rotate_secrets` re-encrypts everything.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])

# --- CRM sync -------------------------------------------------------------------------------
CRM_SYNC = {
    # Seconds a run holds its per-connection lock without a heartbeat (a killed worker's lock
    # expires after this).
    "LOCK_SECONDS": env.int("CRM_SYNC_LOCK_SECONDS", default=300),
    # Incremental syncs re-read this many seconds before the watermark.
    "OVERLAP_SECONDS": env.int("CRM_SYNC_OVERLAP_SECONDS", default=300),
    # Page sizes (the CRMs' maxima); tests lower them to keep fakes small.
    "ZOHO_PER_PAGE": 200,
    "FXIAOKE_LIMIT": 100,
    "MAX_RETRIES": 5,
}

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "salesgoals.api.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "salesgoals.api.schema.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
        "salesgoals.api.renderers.CSVRenderer",
        "salesgoals.api.renderers.XLSXRenderer",
    ],
    "URL_FORMAT_OVERRIDE": "format",
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "SalesGoals API",
    "DESCRIPTION": "Sales target management: org, calendar, metrics, targets, KPIs and more.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# --- Product settings -----------------------------------------------------------------------
SALESGOALS = {
    "BASE_CURRENCY": env("BASE_CURRENCY", default="CNY"),
    "DEMO_PASSWORD": "salesgoals",
    "ALLOW_DEMO_DATA": env.bool("ALLOW_DEMO_DATA", default=False),
}

# --- Security -------------------------------------------------------------------------------
# Log-in lock-out (django-axes): a username from one IP address is locked after
# AXES_FAILURE_LIMIT failures for AXES_COOLOFF_MINUTES, on the log-in page and on
# POST /api/v1/auth/token/ alike; even the right password is refused meanwhile. Retrying while
# locked does not restart the cool-off. Admins unlock with `manage.py axes_reset_username`.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=8)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "salesgoals.security.lockout_response"
# Behind N reverse proxies (the TLS proxy in front of `web`), the client address is the Nth
# last entry of X-Forwarded-For; lock-out and rate limits key on it.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
if TRUSTED_PROXY_COUNT:
    AXES_IPWARE_PROXY_COUNT = TRUSTED_PROXY_COUNT
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
    REST_FRAMEWORK["NUM_PROXIES"] = TRUSTED_PROXY_COUNT


# API rate limits (salesgoals/api/throttling.py), "N/s|min|hour|day"; "off" switches one off.
# Generous for reads; writes per person allow a fast spreadsheet-like session (a target grid
# edit is one PATCH) and the load bench's 50 users; the token endpoint is per client IP.
def _rate(value: str) -> str | None:
    value = value.strip()
    return None if value.lower() in ("", "off", "none", "0") else value


REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = [
    "salesgoals.api.throttling.AnonThrottle",
    "salesgoals.api.throttling.UserThrottle",
    "salesgoals.api.throttling.WritesThrottle",
]
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
    "anon": _rate(env("API_THROTTLE_ANON", default="300/min")),
    "user": _rate(env("API_THROTTLE_USER", default="3000/min")),
    "writes": _rate(env("API_THROTTLE_WRITES", default="120/min")),
    "token": _rate(env("API_THROTTLE_TOKEN", default="60/min")),
}
REST_FRAMEWORK["EXCEPTION_HANDLER"] = "salesgoals.api.throttling.exception_handler"

# Sessions: a working day by default; a password change ends the person's other sessions
# (Django's session auth hash; the password page keeps the current one) and deactivating an
# account ends all of them and deletes its API token (salesgoals.security).
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=12 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = env.bool("SESSION_EXPIRE_AT_BROWSER_CLOSE", default=False)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# No script reads the CSRF cookie: pages carry the token in forms and in <body hx-headers>.
CSRF_COOKIE_HTTPONLY = True

# Content-Security-Policy (django-csp 4): no inline script, no eval, nothing from other
# hosts. Styles allow 'unsafe-inline' because plotly.js writes style attributes and a
# <style> element, and so do htmx (indicator styles) and Swagger UI (see ARCHITECTURE.md).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Secure-sessionid"
    CSRF_COOKIE_NAME = "__Secure-csrftoken"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

"""Test settings: the same settings, with a fast hasher and plain static storage."""

import os

# Tests never need a real secret, also when DATABASE_URL/REDIS_URL turn production defaults on.
os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-not-used-anywhere-else-0123456789")

from .settings import *  # noqa: F403
from .settings import CACHES, REDIS_URL, SALESGOALS, STORAGES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
AXES_FAILURE_LIMIT = 5
LANGUAGE_CODE = "en"
SALESGOALS = {**SALESGOALS, "ALLOW_DEMO_DATA": True}

# A fixed Fernet key for CRM secrets (never used outside tests).
FIELD_ENCRYPTION_KEY = "q9mYtR3c0a8TqJ6mE3p3hG0l8mZk1Qy3sV0a9uQyX2c="
FIELD_ENCRYPTION_KEYS: list[str] = []

# The live server of the browser tests speaks plain HTTP on 127.0.0.1.
SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SESSION_COOKIE_NAME = "sessionid"
CSRF_COOKIE_NAME = "csrftoken"

# Tasks run in-process in tests; tests/core/test_celery_worker.py sends through Redis to a
# real worker explicitly.
CELERY_TASK_ALWAYS_EAGER = True

if REDIS_URL:
    # Tests clear the cache before each test: keep it in its own Redis database, away from
    # the Celery broker and any developer data.
    from urllib.parse import urlsplit, urlunsplit

    _WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0) % 8

    CACHES = {
        "default": {
            **CACHES["default"],
            # One database per pytest-xdist worker (gw0 → 15, gw1 → 14 …).
            "LOCATION": urlunsplit(urlsplit(REDIS_URL)._replace(path=f"/{15 - _WORKER}")),
            "KEY_PREFIX": "salesgoals-test",
        }
    }

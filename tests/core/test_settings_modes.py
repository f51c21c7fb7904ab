"""The settings have three shapes, chosen by the environment alone.

- nothing set: embedded (SQLite, eager Celery, local-memory cache, DEBUG on);
- DATABASE_URL / REDIS_URL: PostgreSQL, Redis cache and broker, real Celery workers;
- DJANGO_DEBUG=0 with production values: `check --deploy` is clean; without a secret key the
  process refuses to start.

Each case runs in a fresh interpreter, because settings are read once per process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECRET = "test-settings-modes-a-long-random-production-secret-value-0123456789"

PROBE = """
import json
from django.conf import settings
from salesgoals.celery import app
print(json.dumps({
    "debug": settings.DEBUG,
    "engine": settings.DATABASES["default"]["ENGINE"],
    "cache": settings.CACHES["default"]["BACKEND"],
    "eager": settings.CELERY_TASK_ALWAYS_EAGER,
    "app_eager": bool(app.conf.task_always_eager),
    "broker": app.conf.broker_url or "",
    "result_backend": app.conf.result_backend or "",
    "staticfiles": settings.STORAGES["staticfiles"]["BACKEND"],
}))
"""


def _run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    base = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "PYTHONDONTWRITEBYTECODE": "1",
        "DJANGO_SETTINGS_MODULE": "salesgoals.settings",
    }
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _probe(**env: str) -> dict:
    result = _run(["-c", PROBE], **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def _env_example() -> dict[str, str]:
    values = {}
    for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            values[key.strip()] = value.strip()
    return values


@pytest.fixture
def no_dotenv() -> None:
    # settings.py reads ROOT/.env for variables the process does not set.
    if (ROOT / ".env").exists():
        pytest.skip(".env in the project directory overrides the embedded defaults")


def test_no_environment_means_embedded_mode(no_dotenv) -> None:
    mode = _probe()
    assert mode["debug"] is True
    assert mode["engine"] == "django.db.backends.sqlite3"
    assert mode["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    assert mode["eager"] is True
    assert mode["app_eager"] is True
    assert mode["broker"] == ""
    assert mode["staticfiles"] == "django.contrib.staticfiles.storage.StaticFilesStorage"


def test_service_urls_switch_to_postgres_redis_and_real_workers() -> None:
    mode = _probe(
        DATABASE_URL="postgres://u:p@db.internal:5432/salesgoals",
        REDIS_URL="redis://cache.internal:6379/0",
        DJANGO_SECRET_KEY=SECRET,
    )
    assert mode["debug"] is False  # debug is only the embedded default
    assert mode["engine"] == "django.db.backends.postgresql"
    assert mode["cache"] == "salesgoals.cache.RedisCache"  # django-redis with a breaker
    assert mode["eager"] is False
    assert mode["app_eager"] is False
    assert mode["broker"] == "redis://cache.internal:6379/0"
    assert mode["result_backend"] == "redis://cache.internal:6379/0"
    assert mode["staticfiles"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"


def test_production_values_pass_check_deploy() -> None:
    result = _run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=SECRET,
        DJANGO_ALLOWED_HOSTS="salesgoals.example.com",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_env_example_is_a_clean_production_configuration() -> None:
    values = _env_example()
    assert values["DJANGO_DEBUG"] == "0"
    mode = _probe(**values)
    assert mode["debug"] is False
    assert mode["engine"] == "django.db.backends.postgresql"
    assert mode["eager"] is False
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **values)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "env",
    [
        pytest.param({"DJANGO_DEBUG": "0"}, id="debug-off"),
        pytest.param({"DATABASE_URL": "postgres://u:p@db.internal/sg"}, id="service-mode"),
    ],
)
def test_production_without_a_secret_key_refuses_to_start(env) -> None:
    result = _run(["manage.py", "check"], **env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr
    assert "ImproperlyConfigured" in result.stderr

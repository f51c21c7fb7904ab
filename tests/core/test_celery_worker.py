"""A real Celery worker, started by the test, runs our tasks through Redis.

The worker is a separate process with its own settings, so it reaches the database only through
`DATABASE_URL`: the test passes it the URL of pytest's test database (PostgreSQL; an in-memory
SQLite test database cannot be shared). It listens on a queue of its own, so another worker on
the same Redis never takes these tasks, and it is always stopped when the module ends.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core import mail
from django.db import connections

from salesgoals import services
from salesgoals.models import Notification
from salesgoals.tasks import ping_task, send_notification_email_task
from tests.conftest import need_service
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("REDIS_URL", "")
RESULT_TIMEOUT = 60

pytestmark = [pytest.mark.services, pytest.mark.timeout(180)]


def _redis_answers(url: str) -> bool:
    if not url:
        return False
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


def _database_url() -> str | None:
    """The URL of the test database this process uses, or None if a worker cannot share it."""
    connection = connections["default"]
    if connection.vendor != "postgresql":
        return None
    s = connection.settings_dict
    credentials = quote(s["USER"] or "", safe="")
    if s["PASSWORD"]:
        credentials += ":" + quote(s["PASSWORD"], safe="")
    host = s["HOST"] or "127.0.0.1"
    port = f":{s['PORT']}" if s["PORT"] else ""
    return f"postgres://{credentials}@{host}{port}/{quote(s['NAME'], safe='')}"


@dataclass
class Worker:
    process: subprocess.Popen
    queue: str
    log_path: Path
    database_url: str | None

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-6000:]

    def result_of(self, async_result, timeout: float = RESULT_TIMEOUT):
        """Wait for a result, failing at once (with the worker's log) if the worker died."""
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                if async_result.ready():
                    return async_result.get(timeout=5)
                if self.process.poll() is not None:
                    pytest.fail(f"worker exited with {self.process.returncode}:\n{self.log()}")
                time.sleep(0.1)
            pytest.fail(f"no result within {timeout}s; worker log:\n{self.log()}")
        finally:
            async_result.forget()


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)  # warm shutdown of the worker's process group
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    except ProcessLookupError:
        pass


@pytest.fixture(scope="module")
def redis_url() -> str:
    need_service("Redis (REDIS_URL)", _redis_answers(REDIS_URL))
    return REDIS_URL


@pytest.fixture(scope="module")
def worker(redis_url, django_db_setup, tmp_path_factory):
    """`celery -A salesgoals worker` on a private queue, pointed at the test database."""
    queue = f"salesgoals-test-{uuid.uuid4().hex[:10]}"
    log_path = tmp_path_factory.mktemp("celery") / "worker.log"
    database_url = _database_url()
    env = {
        **os.environ,
        # The production settings module, as `celery -A salesgoals worker` runs in production;
        # only the services, the secret and an in-memory mailbox come from the test.
        "DJANGO_SETTINGS_MODULE": "salesgoals.settings",
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY") or "celery-worker-test-" * 4,
        "EMAIL_URL": "memorymail://",
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": redis_url,
        "CELERY_RESULT_BACKEND": redis_url,
        "PYTHONUNBUFFERED": "1",
    }
    if database_url:
        env["DATABASE_URL"] = database_url
    else:
        env.pop("DATABASE_URL", None)  # the worker's own SQLite file; only `ping` runs then
    command = [
        sys.executable, "-m", "celery", "-A", "salesgoals", "worker",
        "--pool=solo", "--concurrency=1", "-Q", queue, "-n", f"{queue}@%h",
        "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "info",
    ]  # fmt: skip
    with log_path.open("w") as log:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield Worker(process, queue, log_path, database_url)
    finally:
        _stop(process)
        import redis

        client = redis.Redis.from_url(redis_url)
        client.delete(queue, f"_kombu.binding.{queue}")
        client.close()


@pytest.fixture
def broker_app(redis_url):
    """The project's Celery app, sending through Redis (never eager) for this test."""
    from salesgoals.celery import app

    keys = ("task_always_eager", "broker_url", "result_backend")
    saved = {key: app.conf[key] for key in keys}
    wanted = {"task_always_eager": False, "broker_url": redis_url, "result_backend": redis_url}
    moved = any(saved[key] != wanted[key] for key in ("broker_url", "result_backend"))
    app.conf.update(wanted)
    if moved:  # the test settings use another broker: drop connections made for the old one
        _forget_connections(app)
    yield app
    app.conf.update(saved)
    if moved:
        _forget_connections(app)


def _forget_connections(app) -> None:
    app._pool = None
    app.amqp._producer_pool = None
    app._backend_cache = None
    app._local.__dict__.pop("backend", None)


def test_worker_answers_ping_through_redis(broker_app, worker) -> None:
    result = ping_task.apply_async(kwargs={"value": 21}, queue=worker.queue)
    assert worker.result_of(result) == 42


@pytest.mark.django_db(transaction=True)
def test_worker_emails_a_committed_notification_once(broker_app, worker) -> None:
    need_service("PostgreSQL test database for the worker", worker.database_url is not None)
    # Given a notification committed to the test database the worker also uses
    rep = UserFactory(username="worker-rep", email="worker-rep@example.com", role="rep")
    notification = services.notification_send(recipient=rep, title="Pace alert", body="Behind.")
    assert notification is not None
    mail.outbox = []

    # When the worker runs the e-mail task
    first = send_notification_email_task.apply_async(
        kwargs={"notification_id": notification.pk}, queue=worker.queue
    )
    assert worker.result_of(first) is True

    # Then the worker wrote emailed_at (the mail went to the worker's own outbox, not ours)
    notification.refresh_from_db()
    assert notification.emailed_at is not None
    assert mail.outbox == []

    # And a second delivery of the same task sends nothing
    emailed_at = notification.emailed_at
    second = send_notification_email_task.apply_async(
        kwargs={"notification_id": notification.pk}, queue=worker.queue
    )
    assert worker.result_of(second) is False
    assert Notification.objects.get(pk=notification.pk).emailed_at == emailed_at

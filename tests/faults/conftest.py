"""Fault-injection fixtures: Redis behind a proxy the test controls, a private queue.

Nothing here stops or restarts the shared PostgreSQL or Redis servers: "Redis down" is a TCP
proxy in front of it that the test closes (`tests.faults.proxy`), "PostgreSQL restarted" is
`pg_terminate_backend` on connections to this test's own database.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from salesgoals import cache as redis_cache
from salesgoals import dispatch
from tests.conftest import need_service
from tests.core.test_celery_worker import _redis_answers
from tests.faults.proxy import TcpProxy

REDIS_URL = os.environ.get("REDIS_URL", "")


@pytest.fixture(autouse=True)
def _breakers_closed() -> Iterator[None]:
    dispatch.reset()
    redis_cache.reset()
    yield
    dispatch.reset()
    redis_cache.reset()


@pytest.fixture(scope="module")
def redis_url() -> str:
    need_service("Redis (REDIS_URL)", _redis_answers(REDIS_URL))
    return REDIS_URL


@pytest.fixture
def redis_proxy(redis_url: str) -> Iterator[TcpProxy]:
    parts = urlsplit(redis_url)
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 6379)
    proxy.up()
    try:
        yield proxy
    finally:
        proxy.close()


def _forget_connections(app: Any) -> None:
    app._pool = None
    app.amqp._producer_pool = None
    app._backend_cache = None
    app._local.__dict__.pop("backend", None)
    app.amqp.__dict__.pop("router", None)
    app.amqp.flush_routes()


@pytest.fixture
def through_proxy(settings: Any, redis_url: str, redis_proxy: TcpProxy) -> Iterator[Any]:
    """Cache, broker and result store of this process go through the proxy (not eager);
    tasks go to a private queue, which the test empties itself."""
    from salesgoals.celery import app

    # Read before the settings change: the Celery config falls through to Django's settings.
    keys = ("task_always_eager", "broker_url", "result_backend", "task_routes")
    saved = {key: app.conf[key] for key in keys}
    parts = urlsplit(redis_url)
    url = urlunsplit(parts._replace(netloc=f"127.0.0.1:{redis_proxy.port}"))
    cache = settings.CACHES["default"]
    need_service("the Redis cache (REDIS_URL)", "redis" in cache["BACKEND"].lower())
    location = urlsplit(cache["LOCATION"])._replace(netloc=f"127.0.0.1:{redis_proxy.port}")
    settings.CACHES = {"default": {**cache, "LOCATION": urlunsplit(location)}}
    settings.CELERY_TASK_ALWAYS_EAGER = False
    queue = f"salesgoals-faults-{uuid.uuid4().hex[:10]}"
    app.conf.update(
        task_always_eager=False,
        broker_url=url,
        result_backend=url,
        task_routes={"*": {"queue": queue}},
    )
    _forget_connections(app)
    app.faults_queue = queue
    try:
        yield app
    finally:
        app.conf.update(saved)
        _forget_connections(app)
        forget_queue(redis_url, queue)


def forget_queue(redis_url: str, queue: str) -> None:
    """Remove a private queue from Redis, with its bindings and any message a killed worker
    left unacknowledged (so no other worker ever restores it)."""
    import json

    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
        for tag, raw in client.hgetall("unacked").items():
            try:
                _message, _exchange, routing_key = json.loads(raw)
            except ValueError:
                continue
            if routing_key == queue:
                client.hdel("unacked", tag)
                client.zrem("unacked_index", tag)
    finally:
        client.close()


def run_queued(app: Any, queue: str, *, timeout: float = 5.0) -> list[str]:
    """Take every message of `queue` and run it here, as a worker would; returns task names."""
    ran = []
    with app.connection_for_read() as connection:
        simple = connection.SimpleQueue(queue, no_ack=False)
        try:
            while True:
                try:
                    message = simple.get(timeout=timeout if not ran else 0.5)
                except simple.Empty:
                    break
                name = message.headers["task"]
                args, kwargs, _embed = message.decode()
                app.tasks[name].apply(args=args, kwargs=kwargs, throw=True)
                message.ack()
                ran.append(name)
        finally:
            simple.close()
    return ran


@pytest.fixture(name="org")
def org_fixture(transactional_db: None) -> Any:
    """The org of `tests.core.org_fixtures`, fiscal years 2025-2026 and the metric catalog
    (a transactional test before this one may have flushed the migration's rows)."""
    from salesgoals.metric_catalog import seed_metrics
    from salesgoals.models import Metric
    from salesgoals.services import fiscal_year_generate
    from tests.core.org_fixtures import build_org

    seed_metrics(Metric)
    fiscal_year_generate(year=2025)
    fiscal_year_generate(year=2026)
    return build_org()

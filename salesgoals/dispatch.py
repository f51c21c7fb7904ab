"""Sending Celery tasks: never lost, never raising into the sender, never hanging it.

`send(task, kwargs=...)` is the one way the product queues work:

- embedded mode (eager Celery, no broker): the task runs after commit, in-process, as before;
- with a broker: a `PendingTask` row is written in the caller's transaction (so the wish to
  run the task commits or rolls back with the data that caused it), the message is published
  after commit, and the row is deleted once the broker took it. When the broker does not
  answer (Redis down: connect/read time out within a second, see the CELERY_* settings) the
  error is logged, the row stays, and `relay_pending` — a beat task every minute — sends it
  once the broker is back. A process that dies between commit and publish leaves the row too.

After a failed publish the process stops trying for `BREAKER_SECONDS` (the row is simply
kept), so a page that queues several tasks pays the timeout once, not once per task; when the
cache on the same Redis server has just failed (`salesgoals.cache`), it does not try either. Tasks
are idempotent (tested in tests/faults/test_tasks_twice.py): a message sent twice — published,
then relayed because the row could not be deleted — changes nothing.
"""

from __future__ import annotations

import datetime
import functools
import logging
import threading
import time
from collections.abc import Iterable
from typing import Any

from django.db import DatabaseError, transaction
from django.db.models import F
from django.utils import timezone

from salesgoals.models import PendingTask

log = logging.getLogger("salesgoals.dispatch")

BREAKER_SECONDS = 15.0
_breaker = threading.Lock()
_down_until = 0.0


def _app() -> Any:
    from salesgoals.celery import app

    return app


def eager() -> bool:
    return bool(_app().conf.task_always_eager)


def broker_down() -> bool:
    """True while this process is not trying the broker: a publish failed a moment ago, or
    the cache, on the same Redis server, did."""
    if time.monotonic() < _down_until:
        return True
    from salesgoals import cache as redis_cache

    return redis_cache.down() and _broker_is_the_cache()


@functools.cache
def _broker_is_the_cache() -> bool:
    from urllib.parse import urlsplit

    from django.conf import settings

    location = settings.CACHES["default"].get("LOCATION") or ""
    broker = str(_app().conf.broker_url or "")
    if not (location.startswith("redis") and broker.startswith("redis")):
        return False
    return urlsplit(location).netloc == urlsplit(broker).netloc


def reset() -> None:
    """Forget a failed publish (tests, and the relay once the broker answered)."""
    global _down_until
    with _breaker:
        _down_until = 0.0
    _broker_is_the_cache.cache_clear()


def _trip() -> None:
    global _down_until
    with _breaker:
        _down_until = time.monotonic() + BREAKER_SECONDS


def send(task: Any, *, args: Iterable[Any] = (), kwargs: dict[str, Any] | None = None) -> None:
    """Queue `task(*args, **kwargs)` to run after the current transaction commits.

    Outside a transaction it is sent at once. Arguments must be JSON (ids, dates as text).
    """
    args, kwargs = list(args), dict(kwargs or {})
    if eager():
        transaction.on_commit(lambda: task.apply_async(args=args, kwargs=kwargs))
        return
    row = PendingTask.objects.create(task=task.name, args=args, kwargs=kwargs)
    transaction.on_commit(lambda: _after_commit(row.pk, task.name, args, kwargs))


def _publish(name: str, args: list, kwargs: dict) -> None:
    task = _app().tasks[name]
    # No retries beyond the transport's one, and no result subscription: a caller of `send`
    # never waits for a result, and subscribing would be another round trip to Redis.
    task.apply_async(args=args, kwargs=kwargs, retry=False, ignore_result=True)


def _after_commit(pk: int, name: str, args: list, kwargs: dict) -> None:
    """Publish one committed row; never raises (the request or task has already committed)."""
    if broker_down():
        return
    try:
        _publish(name, args, kwargs)
    except Exception as error:  # the broker's errors are many (kombu, redis-py, OSError)
        _trip()
        log.warning("Task %s kept for the relay: the broker did not take it (%s)", name, error)
        try:
            PendingTask.objects.filter(pk=pk).update(
                attempts=F("attempts") + 1, last_error=str(error)[:2000]
            )
        except DatabaseError:
            log.exception("Could not record the failed publish of %s", name)
        return
    try:
        PendingTask.objects.filter(pk=pk).delete()
    except DatabaseError:  # sent twice later by the relay: harmless, tasks are idempotent
        log.exception("Task %s was sent but its pending row stays", name)


def relay_pending(*, min_age_seconds: float = 30.0, batch: int = 200) -> dict[str, int]:
    """Send the tasks whose publish failed or never happened; stop at the first failure.

    Rows younger than `min_age_seconds` are left to the process that wrote them (their
    publish after commit is probably in flight). Rows are taken with SKIP LOCKED, so two
    relays (two beat processes) never send the same row twice.
    """
    cutoff = timezone.now() - datetime.timedelta(seconds=min_age_seconds)
    sent = 0
    while True:
        with transaction.atomic():
            rows = list(
                PendingTask.objects.select_for_update(skip_locked=True)
                .filter(created_at__lte=cutoff)
                .order_by("id")[:batch]
            )
            if not rows:
                break
            done = []
            for row in rows:
                try:
                    _publish(row.task, row.args, row.kwargs)
                except Exception as error:
                    log.warning("Relay stopped: the broker did not take %s (%s)", row.task, error)
                    PendingTask.objects.filter(pk=row.pk).update(
                        attempts=F("attempts") + 1, last_error=str(error)[:2000]
                    )
                    PendingTask.objects.filter(pk__in=done).delete()
                    return {"sent": sent + len(done), "failed": 1}
                done.append(row.pk)
            PendingTask.objects.filter(pk__in=done).delete()
            sent += len(done)
        if len(rows) < batch:
            break
    reset()
    return {"sent": sent, "failed": 0}

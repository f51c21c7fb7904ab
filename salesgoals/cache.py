"""The Redis cache backend: django-redis with short timeouts and a breaker.

With `IGNORE_EXCEPTIONS` a dead Redis reads as misses, but every call still waits for its
timeout — and one API request makes several (throttles read and write their counters). After
a call fails, this backend fails every call at once for `BREAKER_SECONDS`, so a request pays
the timeout once at most; then it tries Redis again. The failure is logged once per trip.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from typing import Any

from django_redis.cache import RedisCache as _RedisCache
from django_redis.exceptions import ConnectionInterrupted

log = logging.getLogger("salesgoals.cache")

BREAKER_SECONDS = 5.0
_lock = threading.Lock()
_down_until = 0.0


def down() -> bool:
    """True while this process skips Redis after a failed call."""
    return time.monotonic() < _down_until


def reset() -> None:
    global _down_until
    with _lock:
        _down_until = 0.0


def _trip() -> None:
    global _down_until
    with _lock:
        _down_until = time.monotonic() + BREAKER_SECONDS


class _Guarded:
    """The django-redis client, whose calls fail fast while the breaker is open."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        if not callable(attr):
            return attr

        @functools.wraps(attr)
        def call(*args: Any, **kwargs: Any) -> Any:
            if time.monotonic() < _down_until:
                skipped = ConnectionError("Redis is skipped for a few seconds after a failure")
                raise ConnectionInterrupted(connection=None) from skipped
            try:
                return attr(*args, **kwargs)
            except ConnectionInterrupted as error:
                _trip()
                log.warning("Redis cache skipped for a few seconds: %s", error.__cause__)
                raise

        return call


class RedisCache(_RedisCache):
    @property
    def client(self) -> Any:
        return _Guarded(super().client)

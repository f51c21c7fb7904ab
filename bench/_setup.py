"""Bench helpers: a throwaway test database (SQLite or DATABASE_URL's server)."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salesgoals.settings_test")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402


@contextmanager
def test_database() -> Iterator[None]:
    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    if connection.vendor == "postgresql":
        # Its own database: pytest runs on the same server use test_<name>[_gwN].
        base = connection.settings_dict["NAME"]
        connection.settings_dict.setdefault("TEST", {})["NAME"] = f"test_{base}_bench_{os.getpid()}"
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        yield
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def measure(fn: Callable[[], object], repeat: int = 20) -> dict[str, float | int]:
    """Median wall time in ms and the number of SQL queries of one call."""
    with CaptureQueriesContext(connection) as queries:
        fn()
    # Count now: the log is read lazily, and leaving the context reconnects the
    # request_started → reset_queries receiver, so later requests would empty it.
    count = len(queries)
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    return {"median_ms": round(timings[len(timings) // 2], 3), "queries": count}

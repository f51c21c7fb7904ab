"""Two outbox drains at once (PostgreSQL): they queue on the rollup's advisory lock and claim
keys with DELETE … RETURNING + SKIP LOCKED, so together they take every key exactly once and
leave the table a full recompute builds — also while facts keep being written."""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, connections

from kpis import rollup, services
from kpis.models import DirtyKey
from salesgoals.metric_catalog import seed_metrics
from salesgoals.models import Metric, User
from tests.core.org_fixtures import Org
from tests.kpis.rollup_fixtures import (
    TODAY,
    _no_drain_on_commit,  # noqa: F401 (autouse fixture)
    grain_table,
    org_fixture,  # noqa: F401 (fixture)
    values_table,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="SQLite has one writer: drains never overlap"
    ),
]

START = datetime.date(2026, 1, 5)


@pytest.fixture(scope="module", autouse=True)
def _catalog_kept(django_db_setup: None, django_db_blocker: Any) -> Any:
    """These tests commit, so the database is flushed after each, catalog included: seed it
    back for the tests that follow (and for the next run on a reused test database)."""
    yield
    with django_db_blocker.unblock():
        seed_metrics(Metric)


@pytest.fixture(autouse=True)
def _catalog(db: None) -> None:
    if not Metric.objects.exists():  # flushed by a committing test before this one
        seed_metrics(Metric)


def write_facts(reps: list[User], n: int, offset: int = 0) -> None:
    """n facts of every kind spread over the year, and some edits that move old keys."""
    for i in range(offset, offset + n):
        rep = reps[i % len(reps)]
        day = START + datetime.timedelta(days=(i * 11) % 340)
        services.deal_upsert(
            owner=rep,
            name=f"D{i}",
            amount=Decimal(1000 + 37 * i),
            created_date=day,
            close_date=day + datetime.timedelta(days=i % 20),
            status=["won", "lost", "open"][i % 3],
            source="import",
            external_id=f"c{i}",
        )
        services.order_upsert(owner=rep, order_date=day, amount=Decimal(50 + i))
        services.activity_upsert(owner=rep, activity_date=day, subject="Call")
        if i % 4 == 0:  # move the deal to another rep and date: old and new keys
            services.deal_upsert(
                owner=reps[(i + 1) % len(reps)],
                name=f"D{i}",
                amount=Decimal(2000 + i),
                created_date=day,
                close_date=day + datetime.timedelta(days=30),
                status="won",
                source="import",
                external_id=f"c{i}",
            )


def run_together(*jobs: Callable[[], Any]) -> list[Any]:
    """Start the jobs at the same moment, each in its own thread (own DB connection)."""
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)
    errors: list[BaseException] = []

    def run(i: int, job: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[i] = job()
        except BaseException as exc:  # re-raised in the test's thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a drain never finished (deadlock?)"
    if errors:
        raise errors[0]
    return results


def drain() -> dict:
    return rollup.drain_outbox(today=TODAY, batch_size=25)


def test_two_drains_at_once_take_every_key_once_and_equal_a_full_recompute(org: Org):
    # given: an outbox with some 200 keys
    reps = [org.rep, org.rep_b, org.rep_c]
    write_facts(reps, 40)
    keys = DirtyKey.objects.count()
    assert keys > 150
    # when: two drains start at the same moment
    first, second = run_together(drain, drain)
    # then: every key was taken exactly once, by one drain or the other
    assert first["keys"] + second["keys"] == keys
    assert not DirtyKey.objects.exists()
    incremental = values_table(), grain_table()
    rollup.full_recompute(today=TODAY)
    assert (values_table(), grain_table()) == incremental
    assert incremental[0]


def test_drains_racing_fact_writes_lose_no_key(org: Org):
    # given: some cells already rolled up
    reps = [org.rep, org.rep_b, org.rep_c]
    write_facts(reps, 10)
    rollup.drain_outbox(today=TODAY)
    # when: facts keep coming while two drains run
    run_together(lambda: write_facts(reps, 20, offset=100), drain, drain)
    rollup.drain_outbox(today=TODAY)  # what arrived after both finished
    # then
    assert not DirtyKey.objects.exists()
    incremental = values_table(), grain_table()
    rollup.full_recompute(today=TODAY)
    assert (values_table(), grain_table()) == incremental

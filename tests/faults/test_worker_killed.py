"""A Celery worker SIGKILLed in the middle of the full KPI rollup: the rerun leaves exactly
the tables of a clean run.

A real worker (the production settings, on this test's PostgreSQL database, through Redis on a
private queue) takes `full_rollup_task`; the test waits until the rollup holds its advisory
lock — it is inside its one transaction — and kills the worker's process group with SIGKILL.
Nothing of the half-done rollup may remain; the task run again (what the redelivered message
does) must produce the same cells as a rollup from scratch.
"""

from __future__ import annotations

import datetime
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from kpis import rollup
from kpis.models import Activity, Deal, KpiBuyer, KpiGrain, KpiValue, Order
from kpis.services import facts_bulk_import
from kpis.tasks import full_rollup_task
from tests.conftest import need_service
from tests.core.test_celery_worker import _database_url, _stop
from tests.core.test_celery_worker import broker_app as broker_app
from tests.factories import UserFactory
from tests.faults.conftest import forget_queue

ROOT = Path(__file__).resolve().parents[2]
LOCK_ID = 0x6B706973  # kpis.rollup._LOCK_ID
TABLES = (KpiValue, KpiGrain, KpiBuyer)

pytestmark = [
    pytest.mark.faults,
    pytest.mark.services,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(180),
]


def snapshot() -> dict[str, list[tuple]]:
    state = {}
    for model in TABLES:
        names = [
            f.attname
            for f in model._meta.concrete_fields
            if not f.primary_key
            and not getattr(f, "auto_now", False)
            and not getattr(f, "auto_now_add", False)
        ]
        state[model.__name__] = sorted(model.objects.values_list(*names), key=repr)
    return state


def lock_holder() -> int | None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND classid = 0 AND objid = %s AND database = "
            "(SELECT oid FROM pg_database WHERE datname = current_database())",
            [LOCK_ID],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def facts(org: Any) -> None:
    """Two years of deals, orders and activities for 24 reps (bulk, no outbox)."""
    rng = random.Random(20261127)
    teams = [org.team_a, org.team_b, org.team_c]
    reps = [org.rep, org.rep_b, org.rep_c] + [
        UserFactory(username=f"k{i}", org_unit=teams[i % 3], hire_date=datetime.date(2020, 1, 1))
        for i in range(21)
    ]
    today = timezone.localdate()
    first = datetime.date(today.year - 1, 1, 1)
    span = (today - first).days
    deals, orders, activities = [], [], []
    for rep in reps:
        for i in range(120):
            day = first + datetime.timedelta(days=rng.randrange(span))
            amount = rng.randrange(1_000_00, 90_000_00)
            status = rng.choice(["won", "won", "lost", "open"])
            deals.append(
                Deal(owner=rep, name=f"D{rep.pk}-{i}", amount_minor=amount,
                     original_amount_minor=amount, status=status,
                     created_date=day - datetime.timedelta(days=30), close_date=day)
            )  # fmt: skip
            orders.append(
                Order(owner=rep, order_date=day, amount_minor=amount // 2,
                      original_amount_minor=amount // 2)
            )  # fmt: skip
            activities.append(Activity(owner=rep, subject="Call", activity_date=day))
    facts_bulk_import(deals=deals, orders=orders, activities=activities, record_outbox=False)


def start_worker(queue: str, log_path: Path, redis_url: str, database_url: str) -> Any:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "salesgoals.settings",
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY") or "celery-worker-test-" * 4,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": redis_url,
        "CELERY_RESULT_BACKEND": redis_url,
        "PYTHONUNBUFFERED": "1",
    }
    command = [
        sys.executable, "-m", "celery", "-A", "salesgoals", "worker",
        "--pool=solo", "--concurrency=1", "-Q", queue, "-n", f"{queue}@%h",
        "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "info",
    ]  # fmt: skip
    with log_path.open("w") as log:
        return subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip


def test_worker_killed_mid_rollup_then_rerun_equals_a_clean_rollup(
    org,
    broker_app,
    redis_url,
    tmp_path,
) -> None:
    database_url = _database_url()
    need_service("PostgreSQL test database shared with a worker", database_url is not None)
    # Given two years of facts and the rollup tables as they are now
    facts(org)
    before = snapshot()

    # When a worker starts the full rollup and is SIGKILLed inside its transaction
    queue = f"salesgoals-faults-{uuid.uuid4().hex[:10]}"
    log_path = tmp_path / "worker.log"
    worker = start_worker(queue, log_path, redis_url, database_url)
    try:
        full_rollup_task.apply_async(queue=queue, ignore_result=True)
        deadline = time.monotonic() + 90
        holder = None
        while holder is None and time.monotonic() < deadline:
            assert worker.poll() is None, log_path.read_text()[-4000:]
            holder = lock_holder()
            time.sleep(0.01)
        assert holder is not None, log_path.read_text()[-4000:]
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        _stop(worker)
        forget_queue(redis_url, queue)
    assert "succeeded" not in log_path.read_text()  # killed before it finished

    # Then, once PostgreSQL has noticed, nothing of the half-done rollup is left
    deadline = time.monotonic() + 60
    while lock_holder() is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert lock_holder() is None
    assert snapshot() == before

    # When the task runs again (the redelivered message)
    assert full_rollup_task.apply(throw=True).successful()
    rerun = snapshot()

    # Then its tables are exactly those of a rollup from nothing
    assert rerun != before
    assert len(rerun["KpiValue"]) > 1000
    for model in TABLES:
        model.objects.all().delete()
    rollup.full_recompute()
    assert snapshot() == rerun

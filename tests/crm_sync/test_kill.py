"""A sync process killed with SIGKILL mid-run, then run again, leaves exactly the CRM's data.

The sync runs in a separate `manage.py crm_sync_run` process that shares pytest's test
database, so this needs PostgreSQL (an in-memory SQLite test database cannot be shared).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.db.models import Sum

from crm_sync.models import SyncRun, SyncState
from kpis.models import Deal, Source
from salesgoals import money
from tests.conftest import need_service
from tests.core.test_celery_worker import _database_url
from tests.crm_sync.conftest import run_now, zoho_connection

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.services, pytest.mark.timeout(120)]


@pytest.mark.django_db(transaction=True)
def test_sigkill_mid_run_then_rerun_leaves_exactly_the_crm_data(org, zoho) -> None:
    database_url = _database_url()
    need_service("PostgreSQL test database shared with a sync process", database_url is not None)
    owner = zoho.add_user("Rep A", "r@example.com")
    for i in range(3000):
        zoho.add_deal(owner, Decimal(f"{i}.37"))
    zoho.delay = 0.05  # slow enough to be killed in the middle
    connection = zoho_connection(zoho, objects_enabled=["Deals"])

    env = {**os.environ, "DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1",
           "DJANGO_SETTINGS_MODULE": "salesgoals.settings_test"}  # fmt: skip
    env.pop("REDIS_URL", None)
    process = subprocess.Popen(
        [sys.executable, "manage.py", "crm_sync_run", "--connection", str(connection.pk)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            run = SyncRun.objects.filter(connection=connection).first()
            if run is not None and run.pages >= 4:
                break
            assert process.poll() is None, process.stdout.read().decode()[-3000:]
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    killed = SyncRun.objects.get(connection=connection)
    assert killed.status == SyncRun.Status.RUNNING  # it never got to say anything
    partial = Deal.objects.filter(source=Source.ZOHO).count()
    assert 0 < partial < 3000
    state = SyncState.objects.get(connection=connection, crm_object="Deals", phase="records")
    assert state.cursor["pos"]

    zoho.delay = 0
    rerun = run_now(connection)

    assert rerun.status == SyncRun.Status.SUCCEEDED, rerun.error
    assert rerun.fetched <= 3000 - partial + 200  # resumed, not restarted
    alive = Deal.objects.alive().filter(source=Source.ZOHO)
    assert alive.count() == 3000
    assert alive.aggregate(s=Sum("original_amount_minor"))["s"] == sum(
        money.to_minor(Decimal(str(d["Amount"]))) for d in zoho.alive("Deals")
    )
    killed.refresh_from_db()
    assert killed.status == SyncRun.Status.FAILED

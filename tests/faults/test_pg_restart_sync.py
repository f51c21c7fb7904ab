"""PostgreSQL "restarted" in the middle of a CRM sync: the run resumes from its cursor.

The shared server is never restarted: the test terminates the sync's connection to its own
test database (`pg_terminate_backend`, from the test's connection), which is what the sync
sees when PostgreSQL restarts or fails over. The sync runs as the worker runs it
(`sync_run_task`, in a thread with its own connection) against the fake Zoho CRM.
"""

from __future__ import annotations

import threading
import time
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, connections
from django.db.models import Count, Sum

from crm_sync.models import SyncRun
from crm_sync.tasks import sync_run_task
from kpis.models import Deal, Source
from salesgoals import money
from tests.conftest import need_service
from tests.crm_sync.conftest import zoho_connection
from tests.fakes.zoho import FakeZoho

pytestmark = [
    pytest.mark.faults,
    pytest.mark.services,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(120),
]

DEALS = 3000


@pytest.fixture(autouse=True)
def _crm_settings(settings: Any) -> None:
    settings.CRM_SYNC = {**settings.CRM_SYNC, "BACKOFF_SECONDS": 0.0, "LOCK_SECONDS": 60}
    settings.SALESGOALS = {**settings.SALESGOALS, "DRAIN_ON_COMMIT": False}


def _terminate(pid: int) -> int:
    """End a backend of this test's database, as a PostgreSQL restart would."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid = %s AND pid <> pg_backend_pid()",
            [pid],
        )
        return cursor.fetchone()[0]


@pytest.fixture
def _eager_retries() -> Any:
    """In-process, a task's retry runs at once instead of being raised (a worker runs it a
    few seconds later)."""
    conf = sync_run_task.app.conf
    saved = conf.task_eager_propagates
    conf.task_eager_propagates = False
    yield
    conf.task_eager_propagates = saved


@pytest.mark.usefixtures("_eager_retries")
def test_connections_killed_mid_sync_resume_from_the_cursor_exactly_once(org) -> None:
    need_service("PostgreSQL", connection.vendor == "postgresql")
    with FakeZoho() as zoho:
        # Given a CRM with 3,000 deals, answering slowly enough to be caught mid-run
        owner = zoho.add_user("Rep A", "r@example.com")
        for i in range(DEALS):
            zoho.add_deal(owner, Decimal(f"{i}.37"))
        zoho.delay = 0.03
        run = SyncRun.objects.create(
            connection=zoho_connection(zoho, objects_enabled=["Deals"]), trigger="manual"
        )
        outcome: dict[str, Any] = {}

        started = threading.Event()

        def work() -> None:
            try:
                connection.ensure_connection()  # the connection the task will use
                outcome["pid"] = connection.connection.info.backend_pid
                started.set()
                outcome["result"] = sync_run_task.apply(kwargs={"run_id": run.pk}).result
            except BaseException as error:  # reported by the assertions below
                outcome["error"] = error
            finally:
                connections.close_all()

        # When, after a few committed writes, the sync's connection is terminated
        thread = threading.Thread(target=work)
        thread.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            fetched = SyncRun.objects.values_list("fetched", flat=True).get(pk=run.pk)
            if fetched >= 1000:
                break
            time.sleep(0.02)
        assert started.wait(timeout=5)
        terminated = _terminate(outcome["pid"])
        committed_before = SyncRun.objects.values_list("fetched", flat=True).get(pk=run.pk)
        zoho.delay = 0
        thread.join(timeout=90)

    # Then the run was cut in the middle...
    assert terminated >= 1
    assert 0 < committed_before < DEALS
    # ...and the task's retry finished it: the same run, resumed after the committed cursor
    assert "error" not in outcome, repr(outcome.get("error"))
    assert outcome["result"] == {"run": run.pk, "status": SyncRun.Status.SUCCEEDED}
    run.refresh_from_db()
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    # counters and cursor commit together: resuming reads each record once overall,
    # restarting would have counted the committed ones twice
    assert run.fetched == DEALS
    # And the facts are exactly the CRM's records, once each
    alive = Deal.objects.alive().filter(source=Source.ZOHO)
    assert alive.count() == DEALS
    assert not alive.values("external_id").annotate(n=Count("id")).filter(n__gt=1).exists()
    assert set(alive.values_list("external_id", flat=True)) == {
        d["id"] for d in zoho.alive("Deals")
    }
    assert alive.aggregate(s=Sum("original_amount_minor"))["s"] == sum(
        money.to_minor(Decimal(str(d["Amount"]))) for d in zoho.alive("Deals")
    )

"""A real Celery worker (through Redis, on PostgreSQL) runs a sync of the fake Zoho CRM."""

from __future__ import annotations

import os
from decimal import Decimal

import pytest
from django.conf import settings

from crm_sync.models import SyncRun
from crm_sync.tasks import sync_run_task
from kpis.models import Deal, Source
from tests.conftest import need_service
from tests.core.test_celery_worker import broker_app, redis_url, worker  # noqa: F401
from tests.crm_sync.conftest import zoho_connection

pytestmark = [pytest.mark.services, pytest.mark.timeout(180)]


@pytest.fixture(scope="module")
def crm_worker(request):
    # The worker runs the production settings: it needs the key the test encrypted with
    # (read from the environment when the worker starts; put back afterwards).
    saved = os.environ.get("FIELD_ENCRYPTION_KEY")
    os.environ["FIELD_ENCRYPTION_KEY"] = settings.FIELD_ENCRYPTION_KEY
    try:
        yield request.getfixturevalue("worker")
    finally:
        if saved is None:
            os.environ.pop("FIELD_ENCRYPTION_KEY", None)
        else:
            os.environ["FIELD_ENCRYPTION_KEY"] = saved


@pytest.mark.django_db(transaction=True)
def test_worker_syncs_and_a_redelivery_changes_nothing(broker_app, crm_worker, org, zoho):  # noqa: F811
    need_service("PostgreSQL test database for the worker", crm_worker.database_url is not None)
    owner = zoho.add_user("Rep A", "r@example.com")
    for i in range(450):
        zoho.add_deal(owner, Decimal(f"{i}.50"))
    run = SyncRun.objects.create(connection=zoho_connection(zoho), trigger="manual")

    result = sync_run_task.apply_async(kwargs={"run_id": run.pk}, queue=crm_worker.queue)
    assert crm_worker.result_of(result) == {"run": run.pk, "status": "succeeded"}
    assert Deal.objects.filter(source=Source.ZOHO).count() == 450

    calls = len(zoho.requests)
    again = sync_run_task.apply_async(kwargs={"run_id": run.pk}, queue=crm_worker.queue)
    assert crm_worker.result_of(again)["status"] == "succeeded"
    assert len(zoho.requests) == calls

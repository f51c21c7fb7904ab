"""Demo connections (no network), the Celery task wrappers and the management commands."""

from __future__ import annotations

import io
from decimal import Decimal
from types import SimpleNamespace

import httpx
import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command

from crm_sync import demo
from crm_sync.models import Connection, CrmUser, SyncRun
from crm_sync.tasks import sync_due_task, sync_run_task
from kpis.models import Deal
from tests.crm_sync.conftest import zoho_connection

pytestmark = pytest.mark.django_db


def test_demo_connections_are_disabled_with_history_and_no_network(org, monkeypatch) -> None:
    def no_network(*args, **kwargs):
        raise AssertionError("the demo must not call a CRM")

    monkeypatch.setattr(httpx.Client, "request", no_network)
    ctx = SimpleNamespace(reps=[org.rep, org.rep_b])
    assert demo.seed(ctx) == {"crm_connections": 2}
    assert demo.seed(ctx) == {"crm_connections": 0}  # idempotent
    assert set(Connection.objects.values_list("provider", "enabled")) == {
        ("zoho", False),
        ("fxiaoke", False),
    }
    assert SyncRun.objects.count() == 6
    assert CrmUser.objects.filter(user__isnull=True).count() == 2


def test_demo_connection_can_be_pointed_at_a_fake(org, zoho) -> None:
    demo.seed(SimpleNamespace(reps=[org.rep]))
    zoho.add_deal(zoho.add_user("Rep A", org.rep.email), Decimal("5.00"))
    name = demo.point_demo_connection("zoho", zoho)
    connection = Connection.objects.get(name=name)
    assert connection.enabled
    run = SyncRun.objects.create(connection=connection, trigger="manual")
    assert sync_run_task(run_id=run.pk)["status"] == "succeeded"
    assert Deal.objects.count() == 1


def test_the_run_task_is_idempotent(org, zoho) -> None:
    zoho.add_deal(zoho.add_user("Rep A", "r@example.com"), Decimal("5.00"))
    run = SyncRun.objects.create(connection=zoho_connection(zoho), trigger="manual")
    assert sync_run_task(run_id=run.pk) == {"run": run.pk, "status": "succeeded"}
    calls = len(zoho.requests)
    assert sync_run_task(run_id=run.pk) == {"run": run.pk, "status": "succeeded"}
    assert len(zoho.requests) == calls


def test_the_beat_task_queues_due_connections(org, zoho, django_capture_on_commit_callbacks):
    zoho_connection(zoho, schedule_minutes=15)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        result = sync_due_task()
    assert len(result["queued"]) == 1
    assert len(callbacks) == 1


def test_commands_run_a_sync_and_rotate_keys(org, zoho, settings) -> None:
    zoho.add_deal(zoho.add_user("Rep A", "r@example.com"), Decimal("5.00"))
    connection = zoho_connection(zoho)
    out = io.StringIO()
    call_command("crm_sync_run", connection=connection.pk, stdout=out)
    assert "succeeded" in out.getvalue()
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), settings.FIELD_ENCRYPTION_KEY]
    out = io.StringIO()
    call_command("crm_rotate_secrets", stdout=out)
    assert "re-encrypted 1" in out.getvalue()

"""Runs: one at a time per connection, resumable after a crash, schedules, secrets at rest."""

from __future__ import annotations

import datetime
import threading
from decimal import Decimal

import pytest
from cryptography.fernet import Fernet
from django.db import connections
from django.utils import timezone

from crm_sync import crypto, services
from crm_sync.models import Connection, SyncRun
from crm_sync.services.sync import RunLock
from kpis.models import Deal, Source
from tests.crm_sync.conftest import ZOHO_SECRETS, run_now, zoho_connection

pytestmark = pytest.mark.django_db


def test_two_requests_give_one_run(org, zoho) -> None:
    connection = zoho_connection(zoho)
    first, created = services.sync_request(connection=connection)
    second, created_again = services.sync_request(connection=connection)
    assert created
    assert not created_again
    assert first.pk == second.pk
    assert SyncRun.objects.count() == 1


def test_a_run_while_another_holds_the_lock_is_skipped(org, zoho) -> None:
    zoho.add_deal(zoho.add_user("Rep A", "r@example.com"), 10)
    connection = zoho_connection(zoho)
    holder = SyncRun.objects.create(
        connection=connection, trigger="manual", status="running", heartbeat_at=timezone.now()
    )
    assert RunLock(connection.pk, holder.pk).acquire()
    run = run_now(connection)
    assert run.status == SyncRun.Status.SKIPPED
    assert zoho.counts["api"] == 0
    assert not Deal.objects.exists()


def test_a_dead_runs_lock_is_taken_over(org, zoho) -> None:
    zoho.add_deal(zoho.add_user("Rep A", "r@example.com"), 10)
    connection = zoho_connection(zoho)
    dead = SyncRun.objects.create(
        connection=connection,
        trigger="manual",
        status="running",
        heartbeat_at=timezone.now() - datetime.timedelta(hours=1),
    )
    assert RunLock(connection.pk, dead.pk).acquire()
    run = run_now(connection)
    assert run.status == SyncRun.Status.SUCCEEDED
    dead.refresh_from_db()
    assert dead.status == SyncRun.Status.FAILED


@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_of_one_connection_run_once(org, zoho) -> None:
    owner = zoho.add_user("Rep A", "r@example.com")
    for i in range(600):
        zoho.add_deal(owner, Decimal(i))
    zoho.delay = 0.01
    connection = zoho_connection(zoho, objects_enabled=["Deals"])
    runs = [SyncRun.objects.create(connection=connection, trigger="manual") for _ in range(2)]
    barrier = threading.Barrier(2)

    def work(run_id: int) -> None:
        barrier.wait()
        try:
            services.run_sync(run_id=run_id, sleep=lambda s: None)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(r.pk,)) for r in runs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = sorted(SyncRun.objects.values_list("status", flat=True))
    assert statuses == ["skipped", "succeeded"]
    assert sum(1 for _m, p in zoho.requests if p == "/crm/v8/Deals") == 3
    assert Deal.objects.filter(source=Source.ZOHO).count() == 600


def test_a_crash_mid_run_resumes_without_loss_or_duplicates(
    org, zoho, monkeypatch, settings
) -> None:
    settings.CRM_SYNC = {**settings.CRM_SYNC, "RECORDS_PER_WRITE": 1}  # each page on its own
    owner = zoho.add_user("Rep A", "r@example.com")
    for i in range(1000):
        zoho.add_deal(owner, Decimal(f"{i}.01"))
    connection = zoho_connection(zoho, objects_enabled=["Deals"])
    from crm_sync.services import sync as sync_module

    real = sync_module.ingest_page
    pages = {"n": 0}

    def crash_on_third(ctx, mapping, records):
        pages["n"] += 1
        if pages["n"] == 3:
            raise KeyboardInterrupt  # the process dies in the middle of page 3
        return real(ctx, mapping, records)

    monkeypatch.setattr(sync_module, "ingest_page", crash_on_third)
    with pytest.raises(KeyboardInterrupt):
        run_now(connection)
    assert Deal.objects.count() == 400  # pages 1-2 committed, page 3 rolled back

    monkeypatch.setattr(sync_module, "ingest_page", real)
    run = run_now(connection)
    assert run.status == SyncRun.Status.SUCCEEDED
    assert run.fetched == 600  # resumed at page 3
    assert Deal.objects.filter(source=Source.ZOHO).count() == 1000
    assert sorted(Deal.objects.values_list("original_amount_minor", flat=True)) == sorted(
        i * 100 + 1 for i in range(1000)
    )


def test_small_pages_are_written_together_and_a_crash_resumes_after_the_last_write(
    org, zoho, monkeypatch, settings
) -> None:
    settings.CRM_SYNC = {**settings.CRM_SYNC, "RECORDS_PER_WRITE": 500}
    owner = zoho.add_user("Rep A", "r@example.com")
    for i in range(1000):
        zoho.add_deal(owner, Decimal(f"{i}.01"))
    connection = zoho_connection(zoho, objects_enabled=["Deals"])
    from crm_sync.services import sync as sync_module

    real = sync_module.ingest_page
    writes: list[int] = []

    def crash_on_second(ctx, mapping, records):
        writes.append(len(records))
        if len(writes) == 2:
            raise KeyboardInterrupt
        return real(ctx, mapping, records)

    monkeypatch.setattr(sync_module, "ingest_page", crash_on_second)
    with pytest.raises(KeyboardInterrupt):
        run_now(connection)
    assert writes == [600, 400]  # Zoho's pages of 200: three to a write, then the rest
    assert Deal.objects.count() == 600
    assert SyncRun.objects.get(connection=connection).pages == 3

    monkeypatch.setattr(sync_module, "ingest_page", real)
    run = run_now(connection)
    assert run.status == SyncRun.Status.SUCCEEDED
    assert run.fetched == 400  # resumed after the third page
    assert Deal.objects.filter(source=Source.ZOHO).count() == 1000


def test_due_connections_are_queued_by_schedule(
    org, zoho, django_capture_on_commit_callbacks
) -> None:
    due = zoho_connection(zoho, name="due", schedule_minutes=30)
    zoho_connection(zoho, name="manual-only", schedule_minutes=0)
    recent = zoho_connection(zoho, name="recent", schedule_minutes=30)
    Connection.objects.filter(pk=recent.pk).update(last_run_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=False):
        queued = services.sync_due()
    assert list(SyncRun.objects.filter(pk__in=queued).values_list("connection", flat=True)) == [
        due.pk
    ]


def test_secrets_are_encrypted_and_keys_rotate(org, zoho, settings) -> None:
    connection = zoho_connection(zoho)
    raw = Connection.objects.values_list("secrets_encrypted", flat=True).get(pk=connection.pk)
    assert ZOHO_SECRETS["refresh_token"] not in raw
    old_key = settings.FIELD_ENCRYPTION_KEY
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    assert services.secrets_rotate() == 1
    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    settings.FIELD_ENCRYPTION_KEY = ""
    connection.refresh_from_db()
    assert connection.secrets() == ZOHO_SECRETS
    settings.FIELD_ENCRYPTION_KEYS = [old_key]
    with pytest.raises(crypto.SecretsUnreadable):
        connection.secrets()

"""Celery entry points of `crm_sync`: thin, take ids, idempotent, acknowledged late.

A redelivered `sync_run_task` (the worker died) continues the same run from its committed
cursor; a finished run is left as it is. A run whose database connection dies is retried.
"""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError, close_old_connections

from . import services


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=5)
def sync_run_task(self, *, run_id: int) -> dict:
    try:
        run = services.run_sync(run_id=run_id)
    except (OperationalError, InterfaceError) as error:
        # The database went away mid-run (restart, failover, a killed backend). Every write
        # committed its cursor, so the same run resumes on a fresh connection.
        close_old_connections()
        raise self.retry(exc=error, countdown=min(60, 5 * 2**self.request.retries)) from error
    return {"run": run.pk, "status": run.status}


@shared_task(acks_late=True)
def sync_due_task() -> dict:
    """Beat, every minute: queue the connections whose schedule is due."""
    return {"queued": services.sync_due()}

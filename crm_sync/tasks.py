"""Celery entry points of `crm_sync`: thin, take ids, idempotent, acknowledged late.

A redelivered `sync_run_task` (the worker died) continues the same run from its committed
cursor; a finished run is left as it is.
"""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(acks_late=True, reject_on_worker_lost=True)
def sync_run_task(*, run_id: int) -> dict:
    run = services.run_sync(run_id=run_id)
    return {"run": run.pk, "status": run.status}


@shared_task(acks_late=True)
def sync_due_task() -> dict:
    """Beat, every minute: queue the connections whose schedule is due."""
    return {"queued": services.sync_due()}

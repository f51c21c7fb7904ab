"""Thin Celery wrappers around `plans.services` (idempotent; ids in, counts out)."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True, reject_on_worker_lost=True)
def task_reminders_task() -> dict[str, int]:
    """Daily: remind owners of action-plan tasks due soon and report overdue ones (once each)."""
    from plans.services.actions import task_reminders_send

    return task_reminders_send()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def report_reminders_task() -> dict[str, int]:
    """Weekly: remind reps whose report for the week just ended is missing (once each)."""
    from plans.services.reports import reports_remind_missing

    return {"sent": reports_remind_missing()}

"""Celery entry points of training: thin, idempotent, ids only."""

from __future__ import annotations

from celery import shared_task

from training import services


@shared_task(acks_late=True, reject_on_worker_lost=True)
def compute_recommendations_task() -> int:
    """Run the recommendation rules for everyone (new recommendations only)."""
    return len(services.recommendations_compute())


@shared_task(acks_late=True, reject_on_worker_lost=True)
def certification_reminders_task() -> int:
    """Remind holders of certifications expiring soon (once per certification) and people
    whose assignments went overdue (once per due date)."""
    return services.certification_reminders_send() + services.overdue_reminders_send()

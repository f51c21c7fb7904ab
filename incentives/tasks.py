"""Celery entry points of the incentives app (thin, idempotent, ids or dates only)."""

from __future__ import annotations

import datetime

from celery import shared_task

from incentives import services


@shared_task(acks_late=True, reject_on_worker_lost=True)
def close_periods_task(today: str | None = None) -> int:
    """Compute the statements of periods that ended in the last week (daily beat entry).

    Drafts are recomputed with the latest KPIs; approved and paid statements never change.
    """
    day = datetime.date.fromisoformat(today) if today else None
    return services.close_periods(today=day)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def compute_statements_task(plan_id: int, period_id: int) -> int:
    """On demand: compute one plan's statements for one period."""
    from incentives.models import IncentivePlan
    from salesgoals.models import Period

    plan = IncentivePlan.objects.filter(pk=plan_id, is_current=True).first()
    period = Period.objects.filter(pk=period_id).first()
    if plan is None or period is None:
        return 0
    return len(services.statements_compute(plan=plan, period=period))

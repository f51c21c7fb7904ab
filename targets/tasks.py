"""Thin Celery wrappers around `targets.services` (ids in, idempotent)."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True, reject_on_worker_lost=True)
def publish_plan_task(plan_id: int, version: int | None = None) -> dict[str, int]:
    from targets.services.publishing import plan_publish

    return plan_publish(plan_id=plan_id, version=version)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def activate_plans_task() -> int:
    """Daily: approved plans whose fiscal year has begun become active."""
    from targets.services.plans import plans_activate_due

    return plans_activate_due()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def verify_plans_task() -> dict[str, int]:
    """Nightly: every open plan's cells still satisfy the invariants; admins hear otherwise."""
    from targets.services.plans import plans_verify

    return plans_verify()

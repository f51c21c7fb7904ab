"""Celery entry points of `kpis`: thin, idempotent wrappers around `kpis.rollup`."""

from __future__ import annotations

import datetime

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

from . import rollup

DRAIN_LOCK = "kpis:drain-outbox"
DERIVED_DAY = "kpis:derived-day"
LOCK_SECONDS = 600


@shared_task(acks_late=True)
def drain_outbox_task() -> dict:
    """Drain the dirty-key outbox; once a day also refresh pace of the running periods.

    A cache lock keeps two drains from overlapping (a second one returns at once; the keys
    wait for the next run). Safe to repeat: draining an empty outbox does nothing.
    """
    if not cache.add(DRAIN_LOCK, "1", timeout=LOCK_SECONDS):
        return {"skipped": True}
    try:
        stats = rollup.drain_outbox()
        today = timezone.localdate()
        last = cache.get(DERIVED_DAY)
        if last != today.isoformat():
            since = datetime.date.fromisoformat(last) if last else None
            stats["derived"] = rollup.refresh_due(since=since, today=today)
            cache.set(DERIVED_DAY, today.isoformat(), timeout=None)
        return stats
    finally:
        cache.delete(DRAIN_LOCK)


@shared_task(acks_late=True)
def full_rollup_task(fiscal_year: int | None = None) -> dict:
    """Rebuild every KPI cell (or one fiscal year's) from the facts."""
    return rollup.full_recompute(fiscal_year=fiscal_year)


@shared_task(acks_late=True)
def refresh_periods_task(period_ids: list[int]) -> dict:
    """Working days of these periods changed: re-derive expected-to-date, pace, required rate."""
    return rollup.refresh_derived(period_ids=period_ids)

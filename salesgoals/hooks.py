"""Explicit extension points of the core for the apps above it.

The core never imports `kpis` (layering), but a KPI table must follow calendar changes: a new
fiscal year needs its cells built, changed working days change pace. Apps register plain
callables here in their `AppConfig.ready()`; the calendar services call them after commit.
Unlike signals, the list is visible in one place and called from one place.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.db import transaction

from .models import FiscalYear, Period

FiscalYearHook = Callable[[FiscalYear], None]
PeriodsHook = Callable[[list[int]], None]

fiscal_year_generated: list[FiscalYearHook] = []
working_days_changed: list[PeriodsHook] = []
_suspended = False


@contextmanager
def suspended() -> Iterator[None]:
    """For bulk loads that rebuild everything themselves afterwards (the demo data)."""
    global _suspended
    previous, _suspended = _suspended, True
    try:
        yield
    finally:
        _suspended = previous


def announce_fiscal_year_generated(fiscal_year: FiscalYear) -> None:
    if _suspended:
        return
    for hook in fiscal_year_generated:
        transaction.on_commit(lambda hook=hook: hook(fiscal_year))


def announce_working_days_changed(periods: list[Period]) -> None:
    period_ids = sorted(p.pk for p in periods)
    if not period_ids or _suspended:
        return
    for hook in working_days_changed:
        transaction.on_commit(lambda hook=hook: hook(period_ids))

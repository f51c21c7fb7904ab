"""Core reads shared by pages and the API."""

from __future__ import annotations

import datetime

from django.db.models import QuerySet

from .models import FiscalYear, Notification, Period, PeriodKind, User


def periods_containing(day: datetime.date) -> dict[str, Period]:
    """The year, quarter, month and week that contain `day` (empty if no fiscal year does)."""
    rows = Period.objects.filter(start__lte=day, end__gte=day).select_related("fiscal_year")
    return {p.kind: p for p in rows}


def fiscal_year_for(day: datetime.date) -> FiscalYear | None:
    return FiscalYear.objects.filter(start__lte=day, end__gte=day).first()


def period_tree(fiscal_year: FiscalYear) -> list[Period]:
    """All periods of a year in display order (year, then each quarter's months and weeks)."""
    order = {PeriodKind.YEAR: 0, PeriodKind.QUARTER: 1, PeriodKind.MONTH: 2, PeriodKind.WEEK: 3}
    periods = list(Period.objects.filter(fiscal_year=fiscal_year))
    return sorted(periods, key=lambda p: (p.start, order[p.kind]))


def notifications_for(user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user)

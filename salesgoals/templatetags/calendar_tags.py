"""Template filters for fiscal periods: labels and date ranges in the active language.

`{{ period|period_label }}` needs `period.fiscal_year` loaded (select_related) to avoid a query
per period.
"""

from __future__ import annotations

import datetime

from django import template

from salesgoals import fiscal
from salesgoals.models import FiscalYear, Period

register = template.Library()


@register.filter
def period_label(period: Period) -> str:
    return fiscal.display_label(
        period.kind, period.number, period.start, period.end, period.fiscal_year
    )


@register.filter
def fiscal_year_label(fiscal_year: FiscalYear) -> str:
    return fiscal.display_year_name(fiscal_year.year, fiscal_year.start_month)


@register.filter
def date_span(obj: Period | FiscalYear, with_year: bool = False) -> str:
    """`{{ period|date_span }}`, or `{{ fiscal_year|date_span:True }}` with the years."""
    return fiscal.display_span(obj.start, obj.end, with_year=bool(with_year))


@register.filter
def day_count(obj: Period | FiscalYear) -> int:
    return (obj.end - obj.start).days + 1


@register.filter
def is_weekend(day: datetime.date) -> bool:
    return day.weekday() >= 5

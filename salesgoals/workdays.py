"""Working days (first cut; see tests/core/test_workdays.py)."""

from __future__ import annotations

import datetime

import holidays

from .models import CompanySettings


def working_days_between(start: datetime.date, end: datetime.date) -> int:
    if end < start:
        return 0
    region = CompanySettings.load().holiday_region
    calendar = holidays.country_holidays(region, years=range(start.year, end.year + 1))
    day, count = start, 0
    while day <= end:
        count += calendar.is_working_day(day)
        day += datetime.timedelta(days=1)
    return count

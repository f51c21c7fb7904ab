"""Fiscal-year generation: pure date arithmetic, no database.

`build_periods()` returns the period tree of one fiscal year (year ⊃ quarter ⊃ month ⊃ week)
as a flat list in depth-first order, so every parent comes before its children.

Two calendar families:

- ``gregorian``: the year runs from the 1st of the start month for twelve calendar months;
  quarters are three calendar months; weeks are calendar weeks starting on ``week_start``,
  and a week that crosses a month boundary is clipped into one week period in each month
  (so the first and last week of the year are clipped at the year boundary too).
- ``445`` / ``454`` / ``544``: the year starts on the ``week_start`` day nearest to the 1st
  of the start month (possibly in the previous month) and ends the day before the next
  year's start, so it has 52 or 53 whole weeks. Each quarter has 13 weeks split into months
  by the pattern; a 53rd week goes to the last month of the year.

`FiscalYear.year` is the calendar year of the (nominal) start month.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Final, Literal, Protocol

from django.utils import formats
from django.utils.translation import gettext, pgettext

PeriodKindName = Literal["year", "quarter", "month", "week"]

YEAR: Final = "year"
QUARTER: Final = "quarter"
MONTH: Final = "month"
WEEK: Final = "week"
KINDS: Final[tuple[PeriodKindName, ...]] = (YEAR, QUARTER, MONTH, WEEK)

GREGORIAN: Final = "gregorian"
WEEK_PATTERNS: Final[dict[str, tuple[int, int, int]]] = {
    "445": (4, 4, 5),
    "454": (4, 5, 4),
    "544": (5, 4, 4),
}
CALENDAR_TYPES: Final[tuple[str, ...]] = (GREGORIAN, *WEEK_PATTERNS)

EN_DASH: Final = "\u2013"
_ONE_DAY = datetime.timedelta(days=1)


@dataclass(frozen=True, slots=True)
class PeriodSpec:
    """One period of a generated fiscal year.

    ``number`` is 1-based within the fiscal year for its kind; ``parent`` is the index of the
    parent spec in the list returned by `build_periods()` (None for the year).
    """

    kind: PeriodKindName
    number: int
    start: datetime.date
    end: datetime.date
    parent: int | None
    label: str

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def _check(year: int, start_month: int, week_start: int, calendar_type: str) -> None:
    if not 1 <= year <= 9998:
        raise ValueError(f"year out of range: {year}")
    if not 1 <= start_month <= 12:
        raise ValueError(f"start_month must be 1-12, not {start_month}")
    if not 0 <= week_start <= 6:
        raise ValueError(f"week_start must be 0 (Monday) to 6 (Sunday), not {week_start}")
    if calendar_type not in CALENDAR_TYPES:
        raise ValueError(f"unknown calendar type {calendar_type!r}")


def _add_months(year: int, month: int, months: int) -> datetime.date:
    """The 1st of the month `months` after (year, month)."""
    index = year * 12 + (month - 1) + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def week_based_year_start(year: int, start_month: int, week_start: int) -> datetime.date:
    """The `week_start` weekday nearest to the 1st of `start_month` in `year`."""
    first = datetime.date(year, start_month, 1)
    back = (first.weekday() - week_start) % 7
    # A week has an odd number of days, so there is never a tie.
    if back <= 3:
        return first - datetime.timedelta(days=back)
    return first + datetime.timedelta(days=7 - back)


def fiscal_year_bounds(
    year: int, start_month: int, week_start: int, calendar_type: str
) -> tuple[datetime.date, datetime.date]:
    """First and last day (inclusive) of the fiscal year."""
    _check(year, start_month, week_start, calendar_type)
    if calendar_type == GREGORIAN:
        return datetime.date(year, start_month, 1), _add_months(year, start_month, 12) - _ONE_DAY
    start = week_based_year_start(year, start_month, week_start)
    end = week_based_year_start(year + 1, start_month, week_start) - _ONE_DAY
    return start, end


def _year_name(year: int, start_month: int) -> str:
    return str(year) if start_month == 1 else f"{year}/{(year + 1) % 100:02d}"


def fiscal_year_label(year: int, start_month: int) -> str:
    """Neutral label: "FY2026", or "FY2026/27" when the year does not start in January."""
    return f"FY{_year_name(year, start_month)}"


def _week_label(week_of_year: int, start: datetime.date, end: datetime.date) -> str:
    return f"W{week_of_year:02d} {start:%m-%d}{EN_DASH}{end:%m-%d}"


def week_of_year(day: datetime.date, year_start: datetime.date, week_start: int) -> int:
    """1-based calendar week of the fiscal year containing `day`.

    The (possibly partial) week holding the first day of the year is week 1; the two clipped
    halves of a gregorian week that crosses a month boundary share one number.
    """
    offset = (year_start.weekday() - week_start) % 7
    return ((day - year_start).days + offset) // 7 + 1


def build_periods(
    year: int, start_month: int, week_start: int, calendar_type: str
) -> list[PeriodSpec]:
    """The whole period tree of one fiscal year, parents before children."""
    start, end = fiscal_year_bounds(year, start_month, week_start, calendar_type)
    fy = fiscal_year_label(year, start_month)
    specs: list[PeriodSpec] = [PeriodSpec(YEAR, 1, start, end, None, fy)]
    if calendar_type == GREGORIAN:
        _gregorian_tree(specs, fy, year, start_month, week_start)
    else:
        _week_based_tree(specs, fy, start, end, WEEK_PATTERNS[calendar_type])
    return specs


def _gregorian_tree(
    specs: list[PeriodSpec], fy: str, year: int, start_month: int, week_start: int
) -> None:
    year_start = specs[0].start
    month_number = week_number = 0
    for q in range(4):
        q_start = _add_months(year, start_month, 3 * q)
        q_end = _add_months(year, start_month, 3 * q + 3) - _ONE_DAY
        q_index = len(specs)
        specs.append(PeriodSpec(QUARTER, q + 1, q_start, q_end, 0, f"{fy} Q{q + 1}"))
        for m in range(3):
            m_start = _add_months(year, start_month, 3 * q + m)
            m_end = _add_months(year, start_month, 3 * q + m + 1) - _ONE_DAY
            month_number += 1
            m_index = len(specs)
            specs.append(
                PeriodSpec(MONTH, month_number, m_start, m_end, q_index, f"{m_start:%Y-%m}")
            )
            w_start = m_start
            while w_start <= m_end:
                to_week_end = (week_start + 6 - w_start.weekday()) % 7
                w_end = min(w_start + datetime.timedelta(days=to_week_end), m_end)
                week_number += 1
                label = _week_label(week_of_year(w_start, year_start, week_start), w_start, w_end)
                specs.append(PeriodSpec(WEEK, week_number, w_start, w_end, m_index, label))
                w_start = w_end + _ONE_DAY


def _week_based_tree(
    specs: list[PeriodSpec],
    fy: str,
    start: datetime.date,
    end: datetime.date,
    pattern: tuple[int, int, int],
) -> None:
    extra_weeks = ((end - start).days + 1) // 7 - 52
    week = datetime.timedelta(weeks=1)
    cursor = start
    month_number = week_number = 0
    for q in range(4):
        month_weeks = list(pattern)
        if q == 3:
            month_weeks[2] += extra_weeks
        q_index = len(specs)
        q_end = cursor + sum(month_weeks) * week - _ONE_DAY
        specs.append(PeriodSpec(QUARTER, q + 1, cursor, q_end, 0, f"{fy} Q{q + 1}"))
        for weeks in month_weeks:
            month_number += 1
            m_index = len(specs)
            m_end = cursor + weeks * week - _ONE_DAY
            label = f"{fy} P{month_number:02d}"
            specs.append(PeriodSpec(MONTH, month_number, cursor, m_end, q_index, label))
            for _ in range(weeks):
                week_number += 1
                w_end = cursor + week - _ONE_DAY
                label = _week_label(week_number, cursor, w_end)
                specs.append(PeriodSpec(WEEK, week_number, cursor, w_end, m_index, label))
                cursor = w_end + _ONE_DAY


class FiscalYearLike(Protocol):
    year: int
    start: datetime.date
    start_month: int
    week_start: int
    calendar_type: str


def _month_day(day: datetime.date) -> str:
    return formats.date_format(day, pgettext("short month and day, PHP date() format", "M j"))


def display_span(start: datetime.date, end: datetime.date, *, with_year: bool = False) -> str:
    """An inclusive date range in the active language, such as "Jan 26-31"."""
    if with_year:
        if start == end:
            return formats.date_format(start, "DATE_FORMAT")
        return (
            f"{formats.date_format(start, 'DATE_FORMAT')} {EN_DASH} "
            f"{formats.date_format(end, 'DATE_FORMAT')}"
        )
    if start == end:
        return _month_day(start)
    if start.month == end.month and start.year == end.year:
        end_day = formats.date_format(end, pgettext("day of month, PHP date() format", "j"))
        return f"{_month_day(start)}{EN_DASH}{end_day}"
    return f"{_month_day(start)}{EN_DASH}{_month_day(end)}"


def display_year_name(year: int, start_month: int) -> str:
    """The fiscal year's name in the active language ("FY2026", "FY2026/27")."""
    return gettext("FY%(year)s") % {"year": _year_name(year, start_month)}


def display_label(
    kind: str, number: int, start: datetime.date, end: datetime.date, fiscal_year: FiscalYearLike
) -> str:
    """The label of a period in the active language (the stored label is language-neutral)."""
    fy_name = display_year_name(fiscal_year.year, fiscal_year.start_month)
    if kind == YEAR:
        return fy_name
    if kind == QUARTER:
        return gettext("%(year)s Q%(number)s") % {"year": fy_name, "number": number}
    if kind == MONTH:
        if fiscal_year.calendar_type == GREGORIAN:
            return formats.date_format(start, "YEAR_MONTH_FORMAT")
        return gettext("%(year)s P%(number)02d") % {"year": fy_name, "number": number}
    if fiscal_year.calendar_type == GREGORIAN:
        week = week_of_year(start, fiscal_year.start, fiscal_year.week_start)
    else:
        week = number
    return gettext("W%(week)02d · %(dates)s") % {"week": week, "dates": display_span(start, end)}

"""Working days: the official calendar of the company's holiday region plus company overrides.

Official calendar
    The `holidays` package's calendar for the region (`CompanySettings.holiday_region`,
    default ``CN``; ``US-CA`` style codes select a subdivision). Its China calendar has the
    statutory holidays, the days off moved by the State Council's yearly notice and the
    make-up workdays (调休上班日, weekend days that are working days). The per-year results are
    cached in-process: they depend only on the installed package version.

Provisional years
    Some governments (China's among them) publish each year's arrangement only late in the
    previous year. The `holidays` package records those notices in its special-day table
    (`special_public_holidays`), as day swaps that move a working day onto a weekend. A region
    is *notice-based* when that table holds any swap; for such a region every year after the
    last year with swaps is **provisional**: it still counts weekends and statutory holidays
    (including the day off the law grants when a statutory holiday falls on a weekend), but
    lacks the make-up workdays and moved days off. Rule-based regions (no swaps in the table,
    e.g. ``US``) are never provisional. For ``CN`` with holidays 0.109 the last published year
    is 2026, matching `chinese_calendar`, so 2027 and later are provisional.

Company overrides
    `CalendarDay` rows apply on top: ``closed`` makes a day non-working, ``working`` makes it
    a working day. They are read with one query per call, for the whole range.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import Protocol

import holidays
from django.utils.translation import get_language, gettext

from .models import CalendarDay, CompanySettings

__all__ = [
    "DEFAULT_REGION",
    "OfficialDay",
    "company_region",
    "holidays_in",
    "is_notice_based_region",
    "is_provisional_year",
    "is_supported_region",
    "is_working_day",
    "last_published_year",
    "official_is_working_day",
    "provisional_years",
    "region_choices",
    "working_day_flags",
    "working_days_between",
    "working_days_in",
]

DEFAULT_REGION = "CN"
_ONE_DAY = datetime.timedelta(days=1)


class HasDates(Protocol):
    start: datetime.date
    end: datetime.date


@dataclass(frozen=True, slots=True)
class OfficialDay:
    """A public holiday / day off (`is_working` False) or a make-up workday (True).

    `swapped_with` pairs a make-up workday with the day off it pays for, and back.
    """

    date: datetime.date
    name: str
    is_working: bool
    swapped_with: datetime.date | None = None


@dataclass(frozen=True, slots=True)
class _Year:
    off: frozenset[datetime.date]  # official non-working days (weekends and holidays)
    holidays: frozenset[datetime.date]
    makeup: frozenset[datetime.date]  # weekend days that are working days
    swaps: tuple[tuple[datetime.date, datetime.date], ...]  # (day off, make-up workday)


# --- regions ---------------------------------------------------------------------------------


def _split(region: str) -> tuple[str, str | None]:
    country, _sep, subdiv = region.strip().upper().partition("-")
    return country, subdiv or None


def _calendar(region: str, years: Iterable[int] = (), language: str | None = None):
    country, subdiv = _split(region)
    return holidays.country_holidays(country, subdiv=subdiv, years=list(years), language=language)


@functools.lru_cache(maxsize=256)
def is_supported_region(region: str) -> bool:
    if not region:
        return False
    try:
        _calendar(region)
    except NotImplementedError:
        return False
    return True


@functools.cache
def region_choices() -> list[tuple[str, str]]:
    """(code, "CN · China") for every country the holidays package knows, by code."""
    registry = getattr(getattr(holidays, "registry", None), "COUNTRIES", None) or {}
    names = {entry[1]: entry[0] for entry in registry.values()}
    choices = []
    for code in holidays.list_supported_countries():
        if len(code) != 2:  # the package also lists three-letter aliases
            continue
        class_name = names.get(code, "")
        name = "".join(f" {c}" if c.isupper() and i else c for i, c in enumerate(class_name))
        choices.append((code, f"{code} · {name}" if name else code))
    return sorted(choices)


def company_region() -> str:
    return CompanySettings.load().holiday_region or DEFAULT_REGION


def _region(region: str | None) -> str:
    return region if region else company_region()


def _entries(value: object) -> tuple[tuple, ...]:
    """A special-day table value is one tuple or a tuple of tuples."""
    if not isinstance(value, tuple) or not value:
        return ()
    return (value,) if not isinstance(value[0], tuple) else value


def _swaps_of_year(table: dict, year: int) -> list[tuple[datetime.date, datetime.date]]:
    swaps = []
    for entry in _entries(table.get(year, ())):
        # (to_month, to_day, from_month, from_day[, from_year]): a day off moved from a
        # working day; 3-tuples are one-off named holidays.
        if len(entry) >= 4:
            day_off = datetime.date(year, entry[0], entry[1])
            from_year = entry[4] if len(entry) > 4 else year
            swaps.append((day_off, datetime.date(from_year, entry[2], entry[3])))
    return swaps


@functools.cache
def _special_table(region: str) -> dict:
    return getattr(_calendar(region), "special_public_holidays", None) or {}


@functools.cache
def last_published_year(region: str) -> int | None:
    """Last year whose government notice (day swaps) the holidays package carries.

    None for a rule-based region, whose calendar never needs a notice.
    """
    table = _special_table(region)
    years = [year for year in table if _swaps_of_year(table, year)]
    return max(years) if years else None


def is_notice_based_region(region: str) -> bool:
    return last_published_year(region) is not None


def is_provisional_year(year: int, region: str | None = None) -> bool:
    """True when the official working-day arrangement of `year` is not published yet."""
    last = last_published_year(_region(region))
    return last is not None and year > last


def provisional_years(
    start: datetime.date, end: datetime.date, *, region: str | None = None
) -> list[int]:
    """The calendar years touched by start..end whose arrangement is not published yet."""
    region = _region(region)
    return [y for y in range(start.year, end.year + 1) if is_provisional_year(y, region)]


# --- the official calendar, cached per region and year ----------------------------------------


@functools.cache
def _year(region: str, year: int) -> _Year:
    # Make-up workdays late in December can belong to next year's notice, so load both.
    cal = _calendar(region, years=(year, year + 1))
    first, last = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    days = [first + datetime.timedelta(days=i) for i in range((last - first).days + 1)]
    off = frozenset(d for d in days if not cal.is_working_day(d))
    table = _special_table(region)
    swaps = tuple(
        (day_off, workday)
        for y in (year - 1, year, year + 1)
        for day_off, workday in _swaps_of_year(table, y)
        if first <= day_off <= last or first <= workday <= last
    )
    return _Year(
        off=off,
        holidays=frozenset(d for d in cal if first <= d <= last),
        makeup=frozenset(d for d in days if d not in off and cal.is_weekend(d)),
        swaps=swaps,
    )


def official_is_working_day(day: datetime.date, region: str | None = None) -> bool:
    """The government's answer, without company overrides."""
    return day not in _year(_region(region), day.year).off


def _overrides(start: datetime.date, end: datetime.date) -> dict[datetime.date, bool]:
    """Company overrides in start..end: date → is a working day (one query)."""
    rows = CalendarDay.objects.filter(date__range=(start, end)).values_list("date", "kind")
    return {day: kind == CalendarDay.Kind.WORKING for day, kind in rows}


def working_day_flags(
    start: datetime.date, end: datetime.date, *, region: str | None = None
) -> list[bool]:
    """For each day of start..end (inclusive): is it a working day for the company?"""
    if end < start:
        return []
    region = _region(region)
    overrides = _overrides(start, end)
    flags = []
    day = start
    while day <= end:
        flag = overrides.get(day)
        flags.append(flag if flag is not None else day not in _year(region, day.year).off)
        day += _ONE_DAY
    return flags


def is_working_day(day: datetime.date, *, region: str | None = None) -> bool:
    return working_day_flags(day, day, region=region)[0]


def working_days_between(
    start: datetime.date, end: datetime.date, *, region: str | None = None
) -> int:
    """Working days in start..end, both included; 0 when end is before start."""
    return sum(working_day_flags(start, end, region=region))


def working_days_in(
    periods: Sequence[HasDates | tuple[datetime.date, datetime.date]],
    *,
    region: str | None = None,
) -> list[int]:
    """Working days of each period (objects with start/end, or (start, end) pairs).

    One override query and one pass over the days for all periods together.
    """
    spans = [p if isinstance(p, tuple) else (p.start, p.end) for p in periods]
    spans_ok = [(s, e) for s, e in spans if e >= s]
    if not spans_ok:
        return [0] * len(spans)
    first = min(s for s, _ in spans_ok)
    last = max(e for _, e in spans_ok)
    # prefix[i] = working days among the first i days from `first`.
    prefix = [0, *accumulate(working_day_flags(first, last, region=region))]
    return [
        prefix[(e - first).days + 1] - prefix[(s - first).days] if e >= s else 0 for s, e in spans
    ]


# --- display -----------------------------------------------------------------------------------


def _holiday_language(region: str) -> str | None:
    """The holidays package's language closest to the active Django language."""
    supported = getattr(_calendar(region), "supported_languages", ()) or ()
    code = (get_language() or "en").lower()
    if code.startswith("zh"):
        wanted = ["zh_TW"] if code in ("zh-hant", "zh-tw", "zh-hk") else ["zh_CN"]
    else:
        base = code.split("-")[0]
        wanted = [code.replace("-", "_"), f"{base}_US" if base == "en" else base, base]
    for candidate in wanted:
        for lang in supported:
            if lang.lower() == candidate.lower():
                return lang
    return None


@functools.cache
def _names(region: str, year: int, language: str | None) -> dict[datetime.date, str]:
    cal = _calendar(region, years=(year,), language=language)
    return {d: cal.get(d) for d in cal if d.year == year}


def _block_name(day: datetime.date, region: str, names: dict, moved: set) -> str | None:
    """Names of the statutory holidays in the run of days off around `day`, by date."""
    first = last = day
    while not official_is_working_day(first - _ONE_DAY, region) and (day - first).days < 15:
        first -= _ONE_DAY
    while not official_is_working_day(last + _ONE_DAY, region) and (last - day).days < 15:
        last += _ONE_DAY
    found: list[str] = []
    d = first
    while d <= last:
        name = names.get(d)
        if name and d not in moved and name not in found:
            found.append(name)
        d += _ONE_DAY
    return gettext(", ").join(found) if found else None


def holidays_in(
    start: datetime.date, end: datetime.date, *, region: str | None = None
) -> list[OfficialDay]:
    """Public holidays, moved days off and make-up workdays in start..end, by date.

    Names are in the active language when the holidays package has it.
    """
    if end < start:
        return []
    region = _region(region)
    language = _holiday_language(region)
    names: dict[datetime.date, str] = {}
    for y in range(start.year - 1, end.year + 2):
        names.update(_names(region, y, language))
    swaps: dict[datetime.date, datetime.date] = {}
    for y in range(start.year, end.year + 1):
        for day_off, workday in _year(region, y).swaps:
            swaps[day_off] = workday
            swaps[workday] = day_off
    moved = {d for d in swaps if d in names}

    days: list[OfficialDay] = []
    for y in range(start.year, end.year + 1):
        calendar_year = _year(region, y)
        for d in sorted(calendar_year.holidays | calendar_year.makeup):
            if not start <= d <= end:
                continue
            if d in calendar_year.makeup:
                holiday = _block_name(swaps[d], region, names, moved) if d in swaps else None
                name = (
                    gettext("Make-up workday for %(holiday)s") % {"holiday": holiday}
                    if holiday
                    else gettext("Make-up workday")
                )
                days.append(OfficialDay(d, name, True, swaps.get(d)))
            else:
                name = names.get(d, "")
                if d in moved:
                    name = _block_name(d, region, names, moved) or name
                days.append(OfficialDay(d, name, False, swaps.get(d)))
    return days

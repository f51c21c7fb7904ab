"""Working days: the CN calendar with 调休, provisional years, company overrides."""

from __future__ import annotations

import datetime

import chinese_calendar
import pytest
from django.utils import translation

from salesgoals import services, workdays
from salesgoals.models import CalendarDay, CompanySettings, FiscalYear, Period

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def cn() -> CompanySettings:
    settings = CompanySettings.load()
    settings.holiday_region = "CN"
    settings.save()
    return settings


@pytest.mark.parametrize(
    "day",
    [
        D(2025, 1, 26),  # Sunday, make-up workday for the Spring Festival
        D(2025, 2, 8),  # Saturday, make-up workday for the Spring Festival
        D(2025, 9, 28),  # Sunday, make-up workday for National Day
        D(2026, 1, 4),  # Sunday, make-up workday for New Year's Day
    ],
)
def test_make_up_workdays_are_working_days(cn, day) -> None:
    assert day.weekday() >= 5
    assert workdays.is_working_day(day)


@pytest.mark.parametrize(
    "day",
    [
        D(2025, 1, 1),
        D(2025, 1, 29),  # Spring Festival
        D(2025, 2, 3),  # Monday, day off moved from 26 Jan
        D(2025, 10, 1),
        D(2025, 10, 8),  # Wednesday, day off moved from 11 Oct
        D(2026, 2, 20),
    ],
)
def test_holidays_and_moved_days_off_are_not(cn, day) -> None:
    assert not workdays.is_working_day(day)


@pytest.mark.parametrize("year", [2024, 2025, 2026])
def test_agrees_with_chinese_calendar_on_every_day(cn, year) -> None:
    first, last = D(year, 1, 1), D(year, 12, 31)
    ours = workdays.working_day_flags(first, last, region="CN")
    theirs = [
        chinese_calendar.is_workday(first + datetime.timedelta(days=i))
        for i in range((last - first).days + 1)
    ]
    disagreements = [
        first + datetime.timedelta(days=i)
        for i, (a, b) in enumerate(zip(ours, theirs, strict=True))
        if a != b
    ]
    assert disagreements == []
    assert workdays.working_days_between(first, last, region="CN") == sum(theirs)


def test_provisional_years() -> None:
    assert workdays.last_published_year("CN") >= 2026
    assert not workdays.is_provisional_year(2025, "CN")
    assert not workdays.is_provisional_year(2026, "CN")
    assert workdays.is_provisional_year(2030, "CN")
    # chinese_calendar knows exactly the published years: where it stops, we turn provisional.
    last = workdays.last_published_year("CN")
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(D(last + 1, 3, 2))
    assert workdays.is_provisional_year(last + 1, "CN")
    # A rule-based calendar never waits for a notice.
    assert not workdays.is_provisional_year(2030, "US")
    assert workdays.provisional_years(D(2026, 4, 1), D(2027, 3, 31), region="CN") == [2027]


def test_provisional_year_is_weekends_and_statutory_holidays(cn) -> None:
    year = 2030
    assert workdays.is_provisional_year(year, "CN")
    flags = workdays.working_day_flags(D(year, 1, 1), D(year, 12, 31), region="CN")
    days = [D(year, 1, 1) + datetime.timedelta(days=i) for i in range(len(flags))]
    # No weekend day works without the notice...
    assert not any(flag for day, flag in zip(days, flags, strict=True) if day.weekday() >= 5)
    # ... and the statutory holidays are still off (New Year, National Day on weekdays).
    assert not workdays.is_working_day(D(year, 1, 1))
    assert not workdays.is_working_day(D(year, 10, 1))
    assert workdays.is_working_day(D(year, 1, 2))


def test_working_days_between_is_inclusive_and_zero_when_reversed(cn) -> None:
    # Mon 29 Sep .. Fri 3 Oct 2025: 29, 30 working; 1-3 National Day.
    assert workdays.working_days_between(D(2025, 9, 29), D(2025, 10, 3)) == 2
    assert workdays.working_days_between(D(2025, 9, 30), D(2025, 9, 30)) == 1
    assert workdays.working_days_between(D(2025, 10, 3), D(2025, 9, 29)) == 0


def test_working_days_in_counts_many_periods_with_one_query(cn, django_assert_num_queries):
    spans = [
        (D(2025, 1, 1), D(2025, 1, 31)),
        (D(2025, 2, 1), D(2025, 2, 28)),
        (D(2025, 3, 2), D(2025, 3, 1)),
    ]
    with django_assert_num_queries(1):
        counts = workdays.working_days_in(spans, region="CN")
    # January 2025: 23 weekdays, minus 1 Jan and 28-31 Jan, plus Sunday 26 Jan = 19.
    # February 2025: 20 weekdays, minus 3-4 Feb, plus Saturday 8 Feb = 19.
    assert counts == [19, 19, 0]


def test_company_overrides_change_counts(cn) -> None:
    start, end = D(2025, 6, 1), D(2025, 6, 30)
    before = workdays.working_days_between(start, end)
    services.calendar_day_set(date=D(2025, 6, 13), kind=CalendarDay.Kind.CLOSED, note="Offsite")
    services.calendar_day_set(date=D(2025, 6, 14), kind=CalendarDay.Kind.WORKING)
    assert not workdays.is_working_day(D(2025, 6, 13))
    assert workdays.is_working_day(D(2025, 6, 14))
    assert workdays.working_days_between(start, end) == before
    services.calendar_day_remove(date=D(2025, 6, 14))
    assert workdays.working_days_between(start, end) == before - 1
    # The official calendar alone is unchanged.
    assert workdays.official_is_working_day(D(2025, 6, 13), "CN")


def test_overrides_that_change_nothing_are_refused(cn) -> None:
    with pytest.raises(services.CalendarError) as error:
        services.calendar_day_set(date=D(2025, 10, 1), kind=CalendarDay.Kind.CLOSED)
    assert "date" in error.value.message_dict
    with pytest.raises(services.CalendarError):
        services.calendar_day_set(date=D(2025, 1, 26), kind=CalendarDay.Kind.WORKING)
    with pytest.raises(services.CalendarError):
        services.calendar_day_remove(date=D(2025, 6, 2))


def test_period_working_days_are_recomputed_after_an_override(cn) -> None:
    fiscal_year = services.fiscal_year_generate(year=2025)
    day = D(2025, 6, 13)  # a Friday
    containing = Period.objects.filter(fiscal_year=fiscal_year, start__lte=day, end__gte=day)
    before = {p.kind: p.working_days for p in containing}
    assert set(before) == {"year", "quarter", "month", "week"}

    services.calendar_day_set(date=day, kind=CalendarDay.Kind.CLOSED)
    after = {p.kind: p.working_days for p in containing.all()}
    assert after == {kind: count - 1 for kind, count in before.items()}

    services.calendar_day_remove(date=day)
    assert {p.kind: p.working_days for p in containing.all()} == before
    # Other periods are untouched.
    other = Period.objects.get(fiscal_year=fiscal_year, kind="month", number=1)
    assert other.working_days == 19


def test_generated_year_counts_and_flags(cn) -> None:
    fy2025 = services.fiscal_year_generate(year=2025)
    assert not fy2025.is_provisional
    year = Period.objects.get(fiscal_year=fy2025, kind="year")
    assert year.working_days == sum(
        chinese_calendar.is_workday(D(2025, 1, 1) + datetime.timedelta(days=i)) for i in range(365)
    )
    months = Period.objects.filter(fiscal_year=fy2025, kind="month")
    assert sum(m.working_days for m in months) == year.working_days
    weeks = Period.objects.filter(fiscal_year=fy2025, kind="week")
    assert sum(w.working_days for w in weeks) == year.working_days

    fy2030 = services.fiscal_year_generate(year=2030)
    assert fy2030.is_provisional


def test_recompute_clears_the_provisional_flag_once_published(cn) -> None:
    fiscal_year = services.fiscal_year_generate(year=2025)
    FiscalYear.objects.filter(pk=fiscal_year.pk).update(is_provisional=True)
    Period.objects.filter(fiscal_year=fiscal_year).update(working_days=0)
    fiscal_year.refresh_from_db()
    services.fiscal_year_recompute(fiscal_year=fiscal_year)
    fiscal_year.refresh_from_db()
    assert not fiscal_year.is_provisional
    assert Period.objects.get(fiscal_year=fiscal_year, kind="year").working_days > 240


def test_holidays_in_lists_named_holidays_and_make_up_workdays(cn) -> None:
    with translation.override("en"):
        days = workdays.holidays_in(D(2025, 1, 1), D(2025, 2, 28))
    by_date = {d.date: d for d in days}
    assert not by_date[D(2025, 1, 29)].is_working
    assert "Spring Festival" in by_date[D(2025, 1, 29)].name
    makeup = by_date[D(2025, 1, 26)]
    assert makeup.is_working
    assert makeup.swapped_with == D(2025, 2, 3)
    assert "Make-up workday" in makeup.name
    assert "Spring Festival" in makeup.name
    assert by_date[D(2025, 2, 3)].swapped_with == D(2025, 1, 26)
    assert [d.date for d in days] == sorted(by_date)

    with translation.override("zh-hans"):
        zh = {d.date: d for d in workdays.holidays_in(D(2025, 1, 1), D(2025, 1, 31))}
    assert "春节" in zh[D(2025, 1, 29)].name


def test_other_regions_use_their_own_calendar() -> None:
    # 4 July 2025 is a Friday and a US federal holiday; 14 July a normal Monday.
    assert not workdays.is_working_day(D(2025, 7, 4), region="US")
    assert workdays.is_working_day(D(2025, 7, 14), region="US")
    assert workdays.is_supported_region("US-CA")
    assert not workdays.is_supported_region("XX")

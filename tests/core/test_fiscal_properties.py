"""Properties of the generated period tree, for every calendar setting (salesgoals/fiscal.py)."""

from __future__ import annotations

import datetime
import itertools
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from salesgoals import fiscal
from salesgoals.fiscal import PeriodSpec

ONE_DAY = datetime.timedelta(days=1)

years = st.integers(min_value=1990, max_value=2100)
start_months = st.integers(min_value=1, max_value=12)
week_starts = st.integers(min_value=0, max_value=6)
calendar_types = st.sampled_from(fiscal.CALENDAR_TYPES)


def _of_kind(specs: list[PeriodSpec], kind: str) -> list[PeriodSpec]:
    return [s for s in specs if s.kind == kind]


def _assert_tiles(periods: list[PeriodSpec], start: datetime.date, end: datetime.date) -> None:
    """Sorted by start, the periods cover start..end with no gap and no overlap."""
    assert periods, "no periods"
    ordered = sorted(periods, key=lambda p: p.start)
    assert ordered[0].start == start
    assert ordered[-1].end == end
    for before, after in itertools.pairwise(ordered):
        assert before.end + ONE_DAY == after.start, (before, after)
    for p in ordered:
        assert p.start <= p.end


@settings(max_examples=300, deadline=None)
@given(years, start_months, week_starts, calendar_types)
def test_each_level_tiles_the_year_and_parents_contain_children(
    year: int, start_month: int, week_start: int, calendar_type: str
) -> None:
    specs = fiscal.build_periods(year, start_month, week_start, calendar_type)
    root = specs[0]
    assert root.kind == fiscal.YEAR
    assert root.parent is None
    assert (root.start, root.end) == fiscal.fiscal_year_bounds(
        year, start_month, week_start, calendar_type
    )

    for kind in (fiscal.QUARTER, fiscal.MONTH, fiscal.WEEK):
        level = _of_kind(specs, kind)
        _assert_tiles(level, root.start, root.end)
        # Numbers are 1..n in date order.
        assert [p.number for p in sorted(level, key=lambda p: p.start)] == list(
            range(1, len(level) + 1)
        )

    assert len(_of_kind(specs, fiscal.QUARTER)) == 4
    assert len(_of_kind(specs, fiscal.MONTH)) == 12

    expected_parent_kind = {
        fiscal.QUARTER: fiscal.YEAR,
        fiscal.MONTH: fiscal.QUARTER,
        fiscal.WEEK: fiscal.MONTH,
    }
    for index, spec in enumerate(specs[1:], start=1):
        assert spec.parent is not None
        assert spec.parent < index, "parents come before their children"
        parent = specs[spec.parent]
        assert parent.kind == expected_parent_kind[spec.kind]
        assert parent.start <= spec.start <= spec.end <= parent.end

    # The children of every parent tile that parent exactly.
    for index, parent in enumerate(specs):
        if parent.kind == fiscal.WEEK:
            continue
        children = [s for s in specs if s.parent == index]
        _assert_tiles(children, parent.start, parent.end)

    # Stored labels are unique per kind and fit the model's column.
    assert all(len(s.label) <= 40 for s in specs)
    for kind in (fiscal.YEAR, fiscal.QUARTER, fiscal.MONTH):
        labels = [s.label for s in _of_kind(specs, kind)]
        assert len(set(labels)) == len(labels)


@settings(max_examples=200, deadline=None)
@given(years, start_months, week_starts, calendar_types, st.integers(0, 400))
def test_every_day_lies_in_exactly_one_period_of_each_kind(
    year: int, start_month: int, week_start: int, calendar_type: str, offset: int
) -> None:
    specs = fiscal.build_periods(year, start_month, week_start, calendar_type)
    root = specs[0]
    day = root.start + datetime.timedelta(days=offset % root.days)
    containing = Counter(s.kind for s in specs if s.start <= day <= s.end)
    assert containing == Counter(fiscal.KINDS)
    # ... and those periods form one chain week ⊂ month ⊂ quarter ⊂ year.
    week_index = next(
        i for i, s in enumerate(specs) if s.kind == fiscal.WEEK and s.start <= day <= s.end
    )
    chain = []
    index: int | None = week_index
    while index is not None:
        chain.append(specs[index].kind)
        index = specs[index].parent
    assert chain == [fiscal.WEEK, fiscal.MONTH, fiscal.QUARTER, fiscal.YEAR]


@settings(max_examples=200, deadline=None)
@given(years, start_months, week_starts)
def test_gregorian_months_are_calendar_months_and_weeks_are_clipped(
    year: int, start_month: int, week_start: int
) -> None:
    specs = fiscal.build_periods(year, start_month, week_start, fiscal.GREGORIAN)
    root = specs[0]
    assert root.start == datetime.date(year, start_month, 1)
    for month in _of_kind(specs, fiscal.MONTH):
        assert month.start.day == 1
        assert (month.end + ONE_DAY).day == 1
        assert month.start.month == month.end.month
    for quarter in _of_kind(specs, fiscal.QUARTER):
        months = (quarter.end.year - quarter.start.year) * 12 + quarter.end.month
        assert months - quarter.start.month == 2
    weeks = _of_kind(specs, fiscal.WEEK)
    # One week period starts on each week-start day and on each 1st of a month.
    starts = [
        d
        for d in (root.start + datetime.timedelta(days=i) for i in range(root.days))
        if d.weekday() == week_start or d.day == 1
    ]
    assert [w.start for w in weeks] == starts
    for week in weeks:
        assert week.days <= 7
        assert week.start.month == week.end.month, "a week never crosses a month boundary"
        # A week starts on the week-start day unless it is clipped at the start of a month...
        assert week.start.weekday() == week_start or week.start.day == 1
        # ... and ends the day before the next week-start day unless clipped at month end.
        next_day = week.end + ONE_DAY
        assert next_day.weekday() == week_start or next_day.day == 1
        # Clipped halves of one calendar week share the week number in their label.
        assert week.label.startswith(
            f"W{fiscal.week_of_year(week.start, root.start, week_start):02d} "
        )


@settings(max_examples=300, deadline=None)
@given(years, start_months, week_starts, st.sampled_from(sorted(fiscal.WEEK_PATTERNS)))
def test_week_based_years(year: int, start_month: int, week_start: int, calendar_type: str) -> None:
    specs = fiscal.build_periods(year, start_month, week_start, calendar_type)
    root = specs[0]
    nominal = datetime.date(year, start_month, 1)
    # Starts on the week-start day nearest to the 1st of the start month.
    assert root.start.weekday() == week_start
    assert abs((root.start - nominal).days) <= 3
    # Ends the day before next year's start: contiguous years.
    next_start, _ = fiscal.fiscal_year_bounds(year + 1, start_month, week_start, calendar_type)
    assert root.end + ONE_DAY == next_start

    weeks = _of_kind(specs, fiscal.WEEK)
    assert root.days in (364, 371)
    assert len(weeks) == root.days // 7
    assert (len(weeks) == 53) == (root.days == 371)
    assert all(w.days == 7 and w.start.weekday() == week_start for w in weeks)

    pattern = fiscal.WEEK_PATTERNS[calendar_type]
    months = _of_kind(specs, fiscal.MONTH)
    expected = [w * 7 for w in pattern * 4]
    if len(weeks) == 53:
        expected[-1] += 7  # the 53rd week belongs to the last month of the year
    assert [m.days for m in months] == expected
    quarters = _of_kind(specs, fiscal.QUARTER)
    assert [q.days for q in quarters[:3]] == [91, 91, 91]


@pytest.mark.parametrize(
    ("year", "start_month", "week_start", "calendar_type", "start", "end", "weeks"),
    [
        # Thursday 1 Jan 2026: the nearest Monday is 29 Dec 2025; 2027-01-01 is a Friday,
        # so FY2027 starts on Monday 4 Jan 2027 and FY2026 has 53 weeks.
        (2026, 1, 0, "445", datetime.date(2025, 12, 29), datetime.date(2027, 1, 3), 53),
        (2027, 1, 0, "454", datetime.date(2027, 1, 4), datetime.date(2028, 1, 2), 52),
        (2025, 1, 0, "544", datetime.date(2024, 12, 30), datetime.date(2025, 12, 28), 52),
        # A Sunday-start 4-4-5 year from April: 1 Apr 2026 is a Wednesday → Sunday 29 Mar.
        (2026, 4, 6, "445", datetime.date(2026, 3, 29), datetime.date(2027, 4, 3), 53),
        (2027, 4, 6, "445", datetime.date(2027, 4, 4), datetime.date(2028, 4, 1), 52),
        (2026, 1, 0, "gregorian", datetime.date(2026, 1, 1), datetime.date(2026, 12, 31), 63),
        (2026, 7, 0, "gregorian", datetime.date(2026, 7, 1), datetime.date(2027, 6, 30), 62),
    ],
)
def test_known_years(year, start_month, week_start, calendar_type, start, end, weeks) -> None:
    specs = fiscal.build_periods(year, start_month, week_start, calendar_type)
    assert (specs[0].start, specs[0].end) == (start, end)
    assert len(_of_kind(specs, fiscal.WEEK)) == weeks


def test_53_week_years_follow_the_calendar() -> None:
    """Over 400 years (one full Gregorian cycle) 53-week years come 71 times for every rule."""
    for calendar_type in fiscal.WEEK_PATTERNS:
        for week_start in range(7):
            long_years = [
                y
                for y in range(2000, 2400)
                if len(_of_kind(fiscal.build_periods(y, 1, week_start, calendar_type), "week"))
                == 53
            ]
            assert len(long_years) == 71
            # Never two long years in a row.
            assert all(b - a >= 5 for a, b in itertools.pairwise(long_years))


def test_gregorian_labels_and_clipping_example() -> None:
    specs = fiscal.build_periods(2026, 1, 0, "gregorian")
    labels = [s.label for s in specs[:11]]
    assert labels[:3] == ["FY2026", "FY2026 Q1", "2026-01"]
    assert "W05 01-26\u201301-31" in labels
    # Sunday 1 Feb 2026 is the clipped rest of week 5, in February.
    february = next(s for s in specs if s.label == "2026-02")
    first_feb_week = next(s for s in specs if s.kind == "week" and s.start.month == 2)
    assert specs[first_feb_week.parent] == february
    assert (first_feb_week.start, first_feb_week.end) == (
        datetime.date(2026, 2, 1),
        datetime.date(2026, 2, 1),
    )
    assert first_feb_week.label.startswith("W05 ")


def test_week_based_labels() -> None:
    specs = fiscal.build_periods(2026, 4, 0, "445")
    assert specs[0].label == "FY2026/27"
    assert _of_kind(specs, "month")[0].label == "FY2026/27 P01"
    assert _of_kind(specs, "quarter")[3].label == "FY2026/27 Q4"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((2026, 0, 0, "gregorian"), "start_month"),
        ((2026, 13, 0, "gregorian"), "start_month"),
        ((2026, 1, 7, "gregorian"), "week_start"),
        ((2026, 1, 0, "4-4-5"), "calendar type"),
    ],
)
def test_bad_settings_are_rejected(args, message) -> None:
    with pytest.raises(ValueError, match=message):
        fiscal.build_periods(*args)

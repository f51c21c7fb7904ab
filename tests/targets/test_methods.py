"""The split methods on real data: seasonal from history, history and headcount owners,
profiles, and a rep hired mid-year."""

from __future__ import annotations

import datetime

import pytest

from kpis.models import KpiValue
from salesgoals.models import Metric, Period, PeriodKind
from targets.models import SplitProfile, TargetLine
from tests.targets.plan_fixtures import make_plan, org_fixture, period, year_period  # noqa: F401

pytestmark = pytest.mark.django_db


def value(plan, owner, period_id) -> int:
    return TargetLine.objects.get(plan=plan, owner_type=owner[0], owner_id=owner[1]).value_of(
        period_id
    )


def history(owner, per_day: dict[int, int], default: int = 100) -> None:
    revenue = Metric.objects.get(code="revenue")
    for month in Period.objects.filter(fiscal_year__year=2025, kind=PeriodKind.MONTH):
        KpiValue.objects.create(
            metric=revenue,
            owner_type=owner[0],
            owner_id=owner[1],
            period=month,
            actual=month.working_days * per_day.get(month.number, default),
        )


def test_seasonal_split_follows_last_years_rate_per_working_day(org):
    root = ("unit", org.company.pk)
    history(root, {11: 300})  # November sold three times as much per working day
    plan = make_plan(org, period_method="seasonal")
    october, november = period(PeriodKind.MONTH, 10), period(PeriodKind.MONTH, 11)
    ratio = value(plan, root, november.pk) / value(plan, root, october.pk)
    expected = 3 * november.working_days / october.working_days
    assert ratio == pytest.approx(expected, rel=1e-6)


def test_seasonal_without_history_falls_back_to_working_days(org):
    root = ("unit", org.company.pk)
    plan = make_plan(org, period_method="seasonal")
    march, april = period(PeriodKind.MONTH, 3), period(PeriodKind.MONTH, 4)
    ratio = value(plan, root, march.pk) / value(plan, root, april.pk)
    assert ratio == pytest.approx(march.working_days / april.working_days, rel=1e-6)


def test_history_owner_split_follows_last_years_actuals(org):
    revenue = Metric.objects.get(code="revenue")
    for unit, amount in ((org.north, 300_000_00), (org.south, 100_000_00)):
        KpiValue.objects.create(
            metric=revenue,
            owner_type="unit",
            owner_id=unit.pk,
            period=year_period(2025),
            actual=amount,
        )
    plan = make_plan(org, owner_method="history")
    year = year_period()
    assert value(plan, ("unit", org.north.pk), year.pk) == 9_000_000_00
    assert value(plan, ("unit", org.south.pk), year.pk) == 3_000_000_00


def test_headcount_prorates_and_zeroes_before_hire(org):
    org.rep_a2.hire_date = datetime.date(2026, 7, 1)
    org.rep_a2.save()
    plan = make_plan(org, owner_method="headcount")
    year = year_period()
    june, july = period(PeriodKind.MONTH, 6), period(PeriodKind.MONTH, 7)
    newcomer, veteran = ("rep", org.rep_a2.pk), ("rep", org.rep.pk)
    assert value(plan, newcomer, june.pk) == 0
    assert value(plan, newcomer, july.pk) > 0
    assert value(plan, newcomer, year.pk) < value(plan, veteran, year.pk)
    for week in Period.objects.filter(
        fiscal_year__year=2026, kind=PeriodKind.WEEK, end__lt=july.start
    ):
        assert value(plan, newcomer, week.pk) == 0
    # Team A (two reps, one for half a year) gets less than Team B (one full-year rep) × 1.5
    team_a, team_b = (
        value(plan, ("unit", org.team_a.pk), year.pk),
        value(plan, ("unit", org.team_b.pk), year.pk),
    )
    assert team_b < team_a < 2 * team_b


def test_profile_split(org):
    shares = [500] * 11 + [4500]  # December carries 45%
    profile = SplitProfile.objects.create(name="Year-end", month_shares_bp=shares)
    plan = make_plan(org, period_method="profile", profile=profile)
    december = period(PeriodKind.MONTH, 12)
    assert value(plan, ("unit", org.company.pk), december.pk) == 12_000_000_00 * 45 // 100


def test_rates_are_inherited_not_split(org):
    plan = make_plan(
        org,
        metric=Metric.objects.get(code="conversion_rate"),
        value=3500,
        description="Win 35% of the deals we close, in every team.",
    )
    march = period(PeriodKind.MONTH, 3)
    for line in plan.lines.all():
        assert line.value_of(march.pk) == 3500
        assert line.value_of(year_period().pk) == 3500

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
    months = list(Period.objects.filter(fiscal_year__year=2026, kind=PeriodKind.MONTH))
    rate = {m.number: (300 if m.number == 11 else 100) for m in months}
    # last year's actual per working day, times this year's working days
    shape = {m.number: rate[m.number] * m.working_days for m in months}
    days = sum(m.working_days for m in months)

    def weight(month):  # 80% history (actual per working day x this year's days), 20% days
        return 0.8 * shape[month.number] / sum(shape.values()) + 0.2 * month.working_days / days

    ratio = value(plan, root, november.pk) / value(plan, root, october.pk)
    assert ratio == pytest.approx(weight(november) / weight(october), rel=1e-6)
    assert ratio > 2 * november.working_days / october.working_days


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


def test_headcount_with_several_late_hires_in_one_team_stays_possible(org):
    from tests.factories import UserFactory

    org.rep_a2.hire_date = datetime.date(2026, 8, 1)
    org.rep_a2.save()
    UserFactory(
        username="r3",
        display_name="Rep A3",
        org_unit=org.team_a,
        hire_date=datetime.date(2026, 8, 17),
    )
    UserFactory(
        username="r4",
        display_name="Rep B4",
        org_unit=org.team_b,
        leave_date=datetime.date(2026, 3, 31),
    )
    plan = make_plan(org, owner_method="headcount")
    from targets import services

    assert services.verify_plan(plan) == []
    # The team's weeks follow where its people can work: before August only one rep carries it.
    team_a = ("unit", org.team_a.pk)
    july, september = period(PeriodKind.MONTH, 7), period(PeriodKind.MONTH, 9)
    per_day_july = value(plan, team_a, july.pk) / july.working_days
    per_day_september = value(plan, team_a, september.pk) / september.working_days
    assert per_day_september > 2 * per_day_july


def test_seasonal_reps_follow_their_units_history(org):
    history(("unit", org.company.pk), {})
    history(("unit", org.north.pk), {})
    history(("unit", org.team_a.pk), {11: 400})  # Team A sells its year in November
    history(("rep", org.rep.pk), {2: 900})  # one rep's own history is noise
    plan = make_plan(org, period_method="seasonal")
    october, november = period(PeriodKind.MONTH, 10), period(PeriodKind.MONTH, 11)
    team = value(plan, ("unit", org.team_a.pk), november.pk) / value(
        plan, ("unit", org.team_a.pk), october.pk
    )
    rep = value(plan, ("rep", org.rep.pk), november.pk) / value(
        plan, ("rep", org.rep.pk), october.pk
    )
    assert team > 1.3 * november.working_days / october.working_days
    assert rep == pytest.approx(team, rel=0.01)


def test_one_reps_own_history_does_not_shape_their_year(org):
    history(("unit", org.company.pk), {})
    history(("rep", org.rep.pk), {2: 900})  # a lucky February last year
    plan = make_plan(org, period_method="seasonal")
    january, february = period(PeriodKind.MONTH, 1), period(PeriodKind.MONTH, 2)
    mine = value(plan, ("rep", org.rep.pk), february.pk) / value(
        plan, ("rep", org.rep.pk), january.pk
    )
    peer = value(plan, ("rep", org.rep_a2.pk), february.pk) / value(
        plan, ("rep", org.rep_a2.pk), january.pk
    )
    assert mine == pytest.approx(peer, rel=0.01)

"""Splitting by working days on the official China calendar (Spring Festival, 调休)."""

from __future__ import annotations

import datetime

import pytest

from salesgoals import workdays
from salesgoals.models import Period, PeriodKind
from targets.models import TargetLine
from tests.targets.plan_fixtures import make_plan, org_fixture, period  # noqa: F401

pytestmark = pytest.mark.django_db


def test_february_with_spring_festival_gets_less_than_march(org):
    plan = make_plan(org, period_method="working_days")
    root = TargetLine.objects.get(plan=plan, owner_type="unit", owner_id=org.company.pk)
    february, march = period(PeriodKind.MONTH, 2), period(PeriodKind.MONTH, 3)
    assert february.working_days < march.working_days
    assert root.value_of(february.pk) < root.value_of(march.pk)
    # Shares follow working days (within one minor unit of the exact share of the quarter).
    q1 = period(PeriodKind.QUARTER, 1)
    q1_days = sum(p.working_days for p in Period.objects.filter(parent=q1))
    exact = root.value_of(q1.pk) * february.working_days / q1_days
    assert abs(root.value_of(february.pk) - exact) < 1


def test_make_up_saturday_counts_as_a_working_day(org):
    saturday = datetime.date(2026, 2, 14)  # 调休: worked to pay for the Spring Festival
    assert saturday.weekday() == 5
    assert workdays.is_working_day(saturday, region="CN")
    week = Period.objects.get(kind=PeriodKind.WEEK, start__lte=saturday, end__gte=saturday)
    plain = sum(
        1
        for i in range((week.end - week.start).days + 1)
        if (week.start + datetime.timedelta(days=i)).weekday() < 5
        and workdays.is_working_day(week.start + datetime.timedelta(days=i), region="CN")
    )
    assert week.working_days == plain + 1
    plan = make_plan(org, period_method="working_days")
    rep = TargetLine.objects.get(plan=plan, owner_type="rep", owner_id=org.rep.pk)
    february = period(PeriodKind.MONTH, 2)
    weeks = list(Period.objects.filter(parent=february).order_by("start"))
    total_days = sum(w.working_days for w in weeks)
    for w in weeks:  # each week's share of the month follows its working days
        exact = rep.value_of(february.pk) * w.working_days / total_days
        assert abs(rep.value_of(w.pk) - exact) < 1.0 + 1e-9

"""The full demo (org, facts, rollup, target numbers) loads and looks like real sales."""

import datetime

import pytest
from django.db.models import Count, Sum

from kpis.models import Deal, DealShare, KpiTarget, KpiValue
from salesgoals.demo import seed_all
from salesgoals.models import OrgUnit

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 27)


def test_demo_facts_rollup_and_targets() -> None:
    ctx = seed_all(today=TODAY)
    assert Deal.objects.filter(status="won").count() > 1000
    shared = DealShare.objects.values("deal").annotate(n=Count("pk")).filter(n__gt=1)
    assert shared.exists()
    assert Deal.objects.exclude(currency="CNY").exists()
    assert not Deal.objects.filter(owner__hire_date__gt=datetime.date(2100, 1, 1)).exists()

    company = OrgUnit.objects.get(kind="company")
    monthly = dict(
        KpiValue.objects.filter(
            metric__code="revenue",
            owner_type="unit",
            owner_id=company.pk,
            period__kind="month",
            period__fiscal_year__year=2025,
        ).values_list("period__number", "actual")
    )
    assert monthly[11] > monthly[2]  # Double 11 beats the Spring Festival month
    assert monthly[6] > monthly[2]  # and so does 618

    rep = ctx.logins["rep"]
    assert KpiValue.objects.filter(owner_type="rep", owner_id=rep.pk).count() > 100
    targets = KpiTarget.objects.filter(metric__code="revenue", period__fiscal_year__year=2026)
    year = targets.get(owner_type="unit", owner_id=company.pk, period__kind="year").value
    months = targets.filter(owner_type="unit", owner_id=company.pk, period__kind="month")
    assert months.aggregate(total=Sum("value"))["total"] == year
    assert KpiValue.objects.exclude(status="no_target").exists()

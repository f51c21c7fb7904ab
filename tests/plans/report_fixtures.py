"""Shared pieces of the report tests: the fixed org, fiscal year 2026 and KPI cells."""

from __future__ import annotations

import datetime

import pytest

from kpis.models import KpiValue
from plans.models import PeriodicReport
from plans.services import reports as services
from salesgoals.models import Metric, Period, PeriodKind
from salesgoals.services import fiscal_year_generate
from tests.core.org_fixtures import Org, build_org

WEEK_DAY = datetime.date(2026, 3, 11)


@pytest.fixture(name="org")
def org_fixture(db: None) -> Org:
    fiscal_year_generate(year=2026)
    return build_org()


def week(day: datetime.date = WEEK_DAY) -> Period:
    return Period.objects.get(kind=PeriodKind.WEEK, start__lte=day, end__gte=day)


def month(day: datetime.date = WEEK_DAY) -> Period:
    return Period.objects.get(kind=PeriodKind.MONTH, start__lte=day, end__gte=day)


def cell(
    code: str, owner_type: str, owner_id: int, period: Period, actual: int, target: int | None
) -> KpiValue:
    attainment = None if not target else actual * 10000 // target
    return KpiValue.objects.create(
        metric=Metric.objects.get(code=code),
        owner_type=owner_type,
        owner_id=owner_id,
        period=period,
        actual=actual,
        target=target,
        attainment_bp=attainment,
        pace_bp=attainment,
        status="on_track" if attainment and attainment >= 9000 else "behind",
    )


def submitted(org: Org, period: Period | None = None, **sections: str) -> PeriodicReport:
    report = services.report_create(
        actor=org.rep,
        period=period or week(),
        achievements=sections.get("achievements", "Closed two deals."),
        problems=sections.get("problems", ""),
        help_needed=sections.get("help_needed", ""),
        next_steps=sections.get("next_steps", "Visit three customers."),
    )
    return services.report_submit(actor=org.rep, report=report)

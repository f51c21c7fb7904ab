"""Shared pieces of the target tests: the org of `tests.core.org_fixtures` plus a second rep
in Team A, fiscal year 2026 (and 2025 for history), and a helper to create a plan."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from salesgoals.models import FiscalYear, Metric, Period, PeriodKind, User
from salesgoals.services import fiscal_year_generate
from targets import services
from targets.models import TargetPlan
from targets.smart import PlanDraft
from tests.core.org_fixtures import Org, build_org
from tests.factories import UserFactory

TODAY = datetime.date(2026, 1, 15)


@pytest.fixture(name="org")
def org_fixture(db: None) -> Org:
    fiscal_year_generate(year=2025)
    fiscal_year_generate(year=2026)
    org = build_org()
    org.rep_a2 = UserFactory(username="r2", display_name="Rep A2", org_unit=org.team_a)
    return org


def fy(year: int = 2026) -> FiscalYear:
    return FiscalYear.objects.get(year=year)


def period(kind: str, number: int, year: int = 2026) -> Period:
    return Period.objects.get(fiscal_year__year=year, kind=kind, number=number)


def year_period(year: int = 2026) -> Period:
    return period(PeriodKind.YEAR, 1, year)


def draft(org: Org, **changes) -> PlanDraft:
    values = {
        "metric": Metric.objects.get(code="revenue"),
        "fiscal_year": fy(),
        "org_unit": org.company,
        "value": 12_000_000_00,
        "description": "Company revenue for 2026, through new logos and upsell.",
        "objective": "Grow revenue",
        "warnings_reason": "New product line launches in March.",
    }
    values.update(changes)
    return PlanDraft(**values)


def make_plan(org: Org, actor: User | None = None, **changes) -> TargetPlan:
    return services.plan_create(
        actor=actor or org.executive, draft=draft(org, **changes), today=TODAY
    )


def money(text: str) -> int:
    return int(Decimal(text) * 100)

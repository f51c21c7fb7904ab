"""Data for the dashboard and alert tests: the org of `tests.core.org_fixtures`, fiscal year
2026, won deals, orders and activities written through `kpis.services`, revenue targets
through `targets_store`, rolled up for TODAY.

Acme ── North (manager M) ── Team A (rep R), Team B (rep RB)
    └── South (manager MS) ── Team C (rep RC)
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest

from kpis import rollup, services
from kpis.models import OwnerType
from salesgoals.models import Metric, Period, Role, User
from salesgoals.services import fiscal_year_generate
from tests.core.org_fixtures import Org, build_org
from tests.factories import UserFactory

TODAY = datetime.date(2026, 5, 20)
MAY = datetime.date(2026, 5, 12)


@pytest.fixture(autouse=True)
def no_drain_on_commit(settings: Any) -> None:
    """Tests roll up explicitly, for a fixed TODAY."""
    settings.SALESGOALS = {**settings.SALESGOALS, "DRAIN_ON_COMMIT": False}


def period(kind: str, day: datetime.date = TODAY) -> Period:
    return Period.objects.select_related("fiscal_year").get(kind=kind, start__lte=day, end__gte=day)


def won_deal(owner: User, amount: str, day: datetime.date = MAY, **kw: Any) -> Any:
    return services.deal_upsert(
        owner=owner,
        name=kw.pop("name", f"Deal of {owner.username} {amount}"),
        amount=Decimal(amount),
        created_date=kw.pop("created_date", day - datetime.timedelta(days=20)),
        close_date=day,
        status="won",
        **kw,
    )


def revenue_targets(rows: list[tuple[str, int, int]], kind: str = "month") -> None:
    """(owner_type, owner_id, amount in yuan) as revenue targets of the TODAY period of `kind`."""
    metric = Metric.objects.get(code="revenue")
    target_period = period(kind)
    services.targets_store(
        metric=metric,
        rows=[(t, o, target_period.pk, yuan * 100) for t, o, yuan in rows],
        source_ref="test",
        today=TODAY,
    )


def build_sales(org: Org) -> None:
    """May 2026: Team A's rep is ahead, Team B's behind, Team C's at ¥0 with a target."""
    won_deal(org.rep, "60000.00")
    won_deal(org.rep_b, "10000.00")
    services.activity_upsert(owner=org.rep, subject="Visit", activity_date=MAY)
    rollup.full_recompute(today=TODAY)
    revenue_targets(
        [
            (OwnerType.REP, org.rep.pk, 80000),
            (OwnerType.REP, org.rep_b.pk, 80000),
            (OwnerType.REP, org.rep_c.pk, 80000),
            (OwnerType.UNIT, org.north.pk, 160000),
            (OwnerType.UNIT, org.company.pk, 240000),
        ]
    )


def more_reps(org: Org, count: int) -> list[User]:
    """`count` extra reps in Team A and Team C, each with a won deal and an activity."""
    reps = []
    for i in range(count):
        team = org.team_a if i % 2 == 0 else org.team_c
        rep = UserFactory(role=Role.REP, org_unit=team, display_name=f"Extra {i}")
        won_deal(rep, f"{1000 + i}.00")
        services.activity_upsert(owner=rep, subject="Call", activity_date=MAY)
        reps.append(rep)
    return reps


@pytest.fixture(name="org")
def org_fixture(db: None) -> Org:
    fiscal_year_generate(year=2026)
    return build_org()


@pytest.fixture(name="sales")
def sales_fixture(org: Org) -> Org:
    build_sales(org)
    return org

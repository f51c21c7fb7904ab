"""Shared pieces of the rollup tests: the org of `tests.core.org_fixtures`, fiscal year 2026,
and snapshots of the rollup tables for exact comparison."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from kpis import rollup
from kpis.models import KpiGrain, KpiValue
from salesgoals.models import Period
from salesgoals.services import fiscal_year_generate
from tests.core.org_fixtures import Org, build_org

TODAY = datetime.date(2026, 5, 20)

VALUE_FIELDS = [
    "metric_id",
    "owner_type",
    "owner_id",
    "period_id",
    "numerator",
    "denominator",
    "actual",
    "target",
    "attainment_bp",
    "expected_to_date",
    "pace_bp",
    "status",
    "required_rate",
    "forecast",
    "open_pipeline",
    "weighted_pipeline",
    "pipeline_coverage_bp",
]


@pytest.fixture(autouse=True)
def _no_drain_on_commit(settings: Any) -> None:
    """Tests drain explicitly (and compare with a full recompute)."""
    settings.SALESGOALS = {**settings.SALESGOALS, "DRAIN_ON_COMMIT": False}


@pytest.fixture(name="org")
def org_fixture(db: None) -> Org:
    fiscal_year_generate(year=2026)
    return build_org()


def values_table() -> list[tuple]:
    return sorted(KpiValue.objects.values_list(*VALUE_FIELDS))


def grain_table() -> list[tuple]:
    return sorted(
        KpiGrain.objects.values_list(
            "metric_id",
            "user_id",
            "org_unit_id",
            "week_id",
            "numerator",
            "denominator",
            "open_pipeline",
            "weighted_pipeline",
        )
    )


def drain_then_full(today: datetime.date = TODAY) -> tuple[list[tuple], list[tuple]]:
    """(incremental table, full table) after draining the outbox and then rebuilding."""
    rollup.drain_outbox(today=today)
    incremental = values_table(), grain_table()
    rollup.full_recompute(today=today)
    full = values_table(), grain_table()
    return incremental, full


def period(kind: str, day: datetime.date) -> Period:
    return Period.objects.get(kind=kind, start__lte=day, end__gte=day)


def cell(code: str, owner_type: str, owner_id: int, period_obj: Period) -> KpiValue | None:
    return KpiValue.objects.filter(
        metric__code=code, owner_type=owner_type, owner_id=owner_id, period=period_obj
    ).first()

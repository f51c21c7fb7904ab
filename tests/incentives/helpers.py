"""Shared builders for the incentives tests: a fiscal year, KPI cells and a standard plan."""

from __future__ import annotations

from typing import Any

from incentives import services
from incentives.models import IncentivePlan
from kpis.models import KpiValue, OwnerType
from salesgoals.models import Metric, Period, User
from salesgoals.services import fiscal_year_generate

YEAR = 2025

TIERED = {
    "kind": "tiered",
    "key": "bonus",
    "label": "Quarterly bonus",
    "metric": "revenue",
    "target_amount": "10000.00",
    "threshold_pct": "80",
    "accelerator": "2",
    "cap_pct": "150",
    "bands": [
        {"from_pct": "80", "to_pct": "100", "mode": "linear", "rate": "2.5", "step_pct": "50"},
        {"from_pct": "100", "to_pct": None, "mode": "linear", "rate": "2.5"},
    ],
}
COMMISSION = {
    "kind": "commission",
    "key": "commission",
    "label": "Commission",
    "metric": "revenue",
    "tiers": [
        {"from_amount": "0", "to_amount": "1000000", "rate_pct": "1"},
        {"from_amount": "1000000", "to_amount": None, "rate_pct": "2"},
    ],
}
BADGE = {
    "kind": "badge",
    "key": "star",
    "label": "Star",
    "badge": "Star",
    "metric": "revenue",
    "min_attainment_pct": "120",
}


def quarters(year: int = YEAR) -> list[Period]:
    if not Period.objects.filter(fiscal_year__year=year).exists():
        fiscal_year_generate(year=year)
    return list(Period.objects.filter(fiscal_year__year=year, kind="quarter").order_by("start"))


def set_cell(
    person: User, period: Period, *, actual: int, target: int | None, metric: str = "revenue"
) -> KpiValue:
    """A rep cell in minor units (tests write the KPI table directly; kpis owns it in prod)."""
    attainment = None if not target else actual * 10000 // target
    cell, _ = KpiValue.objects.update_or_create(
        metric=Metric.objects.get(code=metric),
        owner_type=OwnerType.REP,
        owner_id=person.pk,
        period=period,
        defaults={"actual": actual, "target": target, "attainment_bp": attainment},
    )
    return cell


def make_plan(admin: User, *components: dict[str, Any], **fields: Any) -> IncentivePlan:
    values = {"name": "Rep plan", "period_kind": "quarter", "role": "rep"}
    values.update(fields)
    return services.plan_create(
        actor=admin, components=list(components or (TIERED, COMMISSION)), **values
    )
